"""`siaran backup` and `siaran restore`: one archive, made while Siaran runs.

The archive is a tar file:

    database/<app>.<model>.jsonl.gz   every table's rows, one JSON list a line (siaran.core.tables)
    media/...                         the uploaded files
    keys.enc                          only with --with-keys: the secret key and the credentials
                                      key, encrypted with a passphrase (scrypt, then Fernet)
    manifest.json                     last: the format, the engine it came from, the migrations,
                                      every table's row count, every file's size and SHA-256

The database is read from one snapshot (siaran.core.tables.snapshot); the media after it.
Media files are written once under random names and never changed, so every file the
snapshot names is there; a file added after the snapshot is an extra, harmless.

A restore reads the whole archive once and checks it against its manifest before it
writes anything: a changed byte, a missing or extra file or a wrong manifest is refused
with a sentence. It then fills an empty database (either engine) and an empty media
folder, and checks the row counts and the audit trail.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import secrets
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import tables

FORMAT = "siaran-backup"
VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys.enc"
CHUNK = 1 << 20
SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class ArchiveError(Exception):
    """The archive cannot be made or restored; the message says why, in a sentence."""


@dataclass
class Summary:
    path: Path
    size: int
    seconds: float
    rows: int
    tables: int
    media: int
    media_bytes: int
    keys: bool


# -- Keys --------------------------------------------------------------------------------


def _fernet(passphrase: str, salt: bytes, n: int, r: int, p: int) -> Fernet:
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal_keys(passphrase: str) -> tuple[bytes, dict]:
    salt = secrets.token_bytes(16)
    keys = {"secret_key": settings.SECRET_KEY, "credentials_key": settings.SIARAN_CREDENTIALS_KEY}
    token = _fernet(passphrase, salt, **SCRYPT).encrypt(json.dumps(keys).encode())
    return token, {"kdf": "scrypt", "salt": base64.b64encode(salt).decode(), **SCRYPT}


def open_keys(token: bytes, params: dict, passphrase: str) -> dict:
    try:
        salt = base64.b64decode(params["salt"])
        fernet = _fernet(passphrase, salt, params["n"], params["r"], params["p"])
        return json.loads(fernet.decrypt(token))
    except (InvalidToken, KeyError, ValueError, TypeError):
        raise ArchiveError(_("The passphrase does not open the archive's keys.")) from None


# -- Backup ------------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """A file read through: its SHA-256 and size while tar copies it."""

    def __init__(self, file):
        self.file, self.sha, self.size = file, hashlib.sha256(), 0

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.file.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _media_files() -> list[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith(".readyz-"):
            found.append((path.relative_to(root).as_posix(), path))
    return found


def backup(out: Path, *, passphrase: str | None = None, alias: str = "default") -> Summary:
    """Writes the archive to `out` (beside it first, renamed when complete). With a
    passphrase the keys go in, encrypted with it."""
    started = time.monotonic()
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    manifest: dict = {
        "format": FORMAT,
        "version": VERSION,
        "made": timezone.now().isoformat(),
        "engine": connections[alias].vendor,
        "files": {},
        "tables": {},
    }
    files = manifest["files"]
    # Readable by its owner only: it holds every person's data.
    partial.unlink(missing_ok=True)  # left by a backup that was killed
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as written,
            tarfile.open(fileobj=written, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            with tables.snapshot(alias) as source:
                manifest["migrations"] = tables.migrations(source)
                for model in tables.all_models():
                    name = f"database/{tables.label(model)}.jsonl.gz"
                    with tempfile.TemporaryFile(dir=partial.parent) as temporary:
                        count = 0
                        with gzip.GzipFile(fileobj=temporary, mode="wb", mtime=0) as zipped:
                            for row in tables.rows(model, source):
                                line = json.dumps(row, default=tables.encode, ensure_ascii=False)
                                zipped.write(line.encode("utf-8") + b"\n")
                                count += 1
                        manifest["tables"][tables.label(model)] = count
                        files[name] = _add(tar, name, temporary)
            media_bytes = 0
            media = _media_files()
            for relative, path in media:
                with open(path, "rb") as file:
                    files[f"media/{relative}"] = _add(tar, f"media/{relative}", file)
                media_bytes += files[f"media/{relative}"]["size"]
            if passphrase is not None:
                token, manifest["keys"] = seal_keys(passphrase)
                files[KEYS] = _add(tar, KEYS, io.BytesIO(token))
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.close()
            written.flush()
            os.fsync(written.fileno())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(
        path=out,
        size=out.stat().st_size,
        seconds=time.monotonic() - started,
        rows=sum(manifest["tables"].values()),
        tables=len(manifest["tables"]),
        media=len(media),
        media_bytes=media_bytes,
        keys=passphrase is not None,
    )


def _add(tar: tarfile.TarFile, name: str, file) -> dict:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(time.time()), 0o600
    reader = _Hashing(file)
    tar.addfile(info, reader)
    if reader.size != size:  # a media file is never rewritten; if one was, say so
        raise ArchiveError(_("%(name)s changed while it was copied.") % {"name": name})
    return {"sha256": reader.sha.hexdigest(), "size": size}


# -- Checking an archive -------------------------------------------------------------------


def check(path: Path) -> dict:
    """The archive's manifest, once every file in it is what the manifest says and the
    manifest names nothing that is not there. Refused with a sentence otherwise."""
    seen: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                if not member.isfile() or not _safe(member.name) or member.name in seen:
                    raise ArchiveError(
                        _("The archive holds an entry Siaran does not write: %(name)s.")
                        % {"name": member.name}
                    )
                file = tar.extractfile(member)
                if member.name == MANIFEST:
                    manifest_bytes = file.read()
                    seen[MANIFEST] = {}
                    continue
                sha = hashlib.sha256()
                while chunk := file.read(CHUNK):
                    sha.update(chunk)
                seen[member.name] = {"sha256": sha.hexdigest(), "size": member.size}
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as error:
        raise ArchiveError(
            _("The archive cannot be read (%(error)s): it is damaged or not a Siaran backup.")
            % {"error": error}
        ) from None
    if manifest_bytes is None:
        raise ArchiveError(
            _("The archive has no manifest: it is incomplete or not a Siaran backup.")
        )
    try:
        manifest = json.loads(manifest_bytes)
        files, row_counts = manifest["files"], manifest["tables"]
        if manifest["format"] != FORMAT:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ArchiveError(
            _("The archive's manifest cannot be read: it is not a Siaran backup.")
        ) from None
    if manifest["version"] != VERSION:
        raise ArchiveError(
            _("The archive is of format %(version)s, which this Siaran does not read.")
            % {"version": manifest["version"]}
        )
    del seen[MANIFEST]
    for name in sorted(set(files) - set(seen)):
        raise ArchiveError(_("%(name)s is missing from the archive.") % {"name": name})
    for name in sorted(set(seen) - set(files)):
        raise ArchiveError(
            _("%(name)s is in the archive but not in its manifest.") % {"name": name}
        )
    for name in sorted(files):
        if files[name] != seen[name]:
            raise ArchiveError(
                _(
                    "%(name)s is not as it was saved (its SHA-256 or size differs): "
                    "the archive is damaged."
                )
                % {"name": name}
            )
    for name in row_counts:
        if f"database/{name}.jsonl.gz" not in files:
            raise ArchiveError(
                _("The table %(name)s is missing from the archive.") % {"name": name}
            )
    if (KEYS in files) != ("keys" in manifest):
        raise ArchiveError(_("The archive's keys do not match its manifest."))
    return manifest


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


# -- Restore -----------------------------------------------------------------------------


def restore(path: Path, *, passphrase=None, alias: str = "default", log=None):
    """Restores the archive into the empty database `alias` and the empty media folder.
    Returns the restored row counts and whether the keys were in it. Nothing is written
    unless the whole archive holds."""
    log = log or (lambda message: None)
    path = Path(path)
    manifest = check(path)
    log(_("The archive holds: every file matches its manifest."))
    keys = None
    if "keys" in manifest:
        if passphrase is None:
            raise ArchiveError(_("The archive holds the keys: give its passphrase."))
        if callable(passphrase):  # asked only once the archive is known to hold keys
            passphrase = passphrase()
        with tarfile.open(path, "r:") as tar:
            keys = open_keys(tar.extractfile(KEYS).read(), manifest["keys"], passphrase)
    if manifest["migrations"] != tables.code_migrations():
        raise ArchiveError(
            _(
                "The archive was made by another version of Siaran (its migrations differ): "
                "restore it with that version, then upgrade."
            )
        )
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
        raise ArchiveError(
            _("The media folder %(folder)s is not empty: restore into a new data folder.")
            % {"folder": media_root}
        )
    held = tables.holdings(alias) if tables.existing_tables(alias) else {}
    if held:
        raise ArchiveError(
            _("The database is not empty (%(tables)s): restore into a new database.")
            % {"tables": ", ".join(sorted(held)[:3])}
        )

    from django.core.management import call_command

    call_command("migrate", database=alias, interactive=False, verbosity=0)
    log(_("The database is migrated; loading the tables."))
    by_label = {tables.label(model): model for model in tables.all_models()}
    with tarfile.open(path, "r:") as tar, transaction.atomic(using=alias):
        tables.clear_made_by_migrate(alias)
        for name in tables.all_models():
            model = name
            member = f"database/{tables.label(model)}.jsonl.gz"
            if member not in manifest["files"]:
                continue
            with gzip.GzipFile(fileobj=tar.extractfile(member)) as lines:
                decoded = (tables.decode(model, json.loads(line)) for line in lines)
                for batch in tables.batches(decoded):
                    tables.insert(model, batch, alias)
        tables.reset_sequences(alias)
        restored = tables.counts(alias)
        for name, count in manifest["tables"].items():
            if name in by_label and restored.get(name) != count:
                raise ArchiveError(
                    _("The table %(name)s has %(got)d rows after the restore, not %(want)d.")
                    % {"name": name, "got": restored.get(name, 0), "want": count}
                )
    log(_("%(rows)d rows restored; writing the media files.") % {"rows": sum(restored.values())})
    with tarfile.open(path, "r:") as tar:
        for member in tar:
            if member.name.startswith("media/"):
                target = media_root / member.name.removeprefix("media/")
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(target, "xb") as file:
                    while chunk := source.read(CHUNK):
                        file.write(chunk)
    if keys is not None:
        for name in ("secret_key", "credentials_key"):
            key_path = Path(settings.DATA_DIR) / name
            key_path.write_text(keys[name], encoding="utf-8")
            key_path.chmod(0o600)
        log(_("The keys are written to %(folder)s.") % {"folder": settings.DATA_DIR})
    return restored, keys is not None
