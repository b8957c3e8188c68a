"""`siaran backup`, `siaran restore` and `siaran dbcopy`, run as an operator runs them: real
processes on real data folders, SQLite and PostgreSQL, and from one to the other."""

import gzip
import io
import json
import os
import secrets
import sqlite3
import tarfile
from pathlib import Path

import pytest

from tests.conftest import need
from tests.test_commands import siaran

SQLITE = {"DATABASE_URL": "", "SIARAN_BACKUP_PASSPHRASE": ""}
SERVER = os.environ.get("CI_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def run(*args, data: Path, database: str = "", **env):
    result = siaran(*args, env={**SQLITE, "DATABASE_URL": database, **env}, tmp_data=data)
    return result


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """An install on SQLite with the demo's people, cases, files and audit trail."""
    data = tmp_path_factory.mktemp("source")
    ok(run("migrate", "--noinput", data=data))
    ok(run("demo", "--no-history", data=data))
    return data


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archives") / "siaran.tar"
    out = ok(run("backup", "-o", str(path), data=source))
    assert "tanpa kunci" in out
    return path


def manifest(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


def rows(path: Path) -> dict[str, list]:
    """Every table's rows as values (JSON objects compare whatever their key order)."""
    found = {}
    with tarfile.open(path) as tar:
        for member in tar:
            if member.name.startswith("database/"):
                with gzip.GzipFile(fileobj=tar.extractfile(member)) as lines:
                    found[member.name] = [json.loads(line) for line in lines]
    return found


def media(data: Path) -> dict[str, bytes]:
    root = data / "media"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def postgres():
    """Makes empty PostgreSQL databases for the test, dropped after it."""
    import psycopg

    made = []
    base, server_db = SERVER.rsplit("/", 1)

    def admin():
        try:
            return psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            need(False, f"PostgreSQL at {SERVER}: {error}")

    def make() -> str:
        name = f"{server_db}_backup_{secrets.token_hex(4)}"
        with admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{base}/{name}"

    yield make
    if made:
        with admin() as connection:
            for name in made:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_sqlite_install_is_the_one_backed_up(source, archive, tmp_path):
    out = ok(run("restore", str(archive), data=tmp_path / "restored"))
    assert "Jejak audit utuh" in out
    assert media(tmp_path / "restored") == media(source)
    assert len(media(source)) > 10  # the demo's posters, sheets and proofs
    again = tmp_path / "again.tar"
    ok(run("backup", "-o", str(again), data=tmp_path / "restored"))
    assert rows(again) == rows(archive)
    assert manifest(again)["tables"] == manifest(archive)["tables"]
    assert sum(manifest(archive)["tables"].values()) > 500
    # and the audit trail holds there by its own command too
    ok(run("audit", "verify", data=tmp_path / "restored"))


def _rewrite(archive: Path, out: Path, change) -> Path:
    """A copy of the archive with `change(name, bytes)` applied (None drops the entry)."""
    with tarfile.open(archive) as old, tarfile.open(out, "w") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return out


def test_a_damaged_archive_is_refused_and_nothing_is_restored(archive, tmp_path):
    first_media = next(n for n in manifest(archive)["files"] if n.startswith("media/"))

    def flip(name, data):
        if name != first_media:
            return data
        return data[:100] + bytes([data[100] ^ 1]) + data[101:]

    def drop(name, data):
        return None if name == "database/cases.caseevent.jsonl.gz" else data

    def lie(name, data):
        if name != "manifest.json":
            return data
        claims = json.loads(data)
        claims["files"]["database/orgs.person.jsonl.gz"]["sha256"] = "0" * 64
        return json.dumps(claims).encode()

    target = tmp_path / "target"
    for change, sentence in [
        (flip, f"{first_media} tidak sama seperti saat disimpan"),
        (drop, "database/cases.caseevent.jsonl.gz tidak ada di dalam arsip"),
        (lie, "database/orgs.person.jsonl.gz tidak sama seperti saat disimpan"),
    ]:
        damaged = _rewrite(archive, tmp_path / f"{change.__name__}.tar", change)
        result = run("restore", str(damaged), data=target)
        assert result.returncode == 1
        assert "Tidak ada yang dipulihkan" in result.stderr and sentence in result.stderr
        assert not (target / "media").exists()
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = run("restore", str(truncated), data=target)
    assert result.returncode == 1 and "Tidak ada yang dipulihkan" in result.stderr
    # Nothing was written: the good archive still restores into the same folder.
    ok(run("restore", str(archive), data=target))
    # and once restored, the folder is no longer empty: a second restore is refused.
    result = run("restore", str(archive), data=target)
    assert result.returncode == 1 and "tidak kosong" in result.stderr


def test_keys_travel_only_when_asked_and_only_encrypted(source, tmp_path):
    secret_key = (source / "secret_key").read_text()
    credentials_key = (source / "credentials_key").read_text()
    path = tmp_path / "with-keys.tar"
    short = run("backup", "-o", str(path), "--with-keys", data=source, SIARAN_BACKUP_PASSPHRASE="x")
    assert short.returncode == 1 and "minimal 12 karakter" in short.stderr
    phrase = tmp_path / "phrase"
    phrase.write_text("a long passphrase of the office\n")
    ok(run("backup", "-o", str(path), "--with-keys", "--passphrase-file", str(phrase), data=source))
    whole = path.read_bytes()
    assert secret_key.encode() not in whole and credentials_key.encode() not in whole
    assert "keys.enc" in manifest(path)["files"]

    asked = run("restore", str(path), data=tmp_path / "a")  # no terminal, no passphrase
    assert asked.returncode == 1 and "--passphrase-file" in asked.stderr
    wrong = run("restore", str(path), data=tmp_path / "b", SIARAN_BACKUP_PASSPHRASE="not the one")
    assert wrong.returncode == 1 and "tidak membuka kunci" in wrong.stderr
    assert not (tmp_path / "b" / "media").exists()
    ok(run("restore", str(path), data=tmp_path / "c", SIARAN_BACKUP_PASSPHRASE=phrase.read_text()))
    assert (tmp_path / "c" / "secret_key").read_text() == secret_key
    assert (tmp_path / "c" / "credentials_key").read_text() == credentials_key


def test_from_sqlite_to_postgresql_and_back(source, archive, postgres, tmp_path):
    """An SQLite backup restores into PostgreSQL; PostgreSQL's backup into SQLite; the rows,
    the files and the audit trail are the same at the end."""
    database = postgres()
    out = ok(run("restore", str(archive), data=tmp_path / "pg", database=database))
    assert "Jejak audit utuh" in out
    from_pg = tmp_path / "from-pg.tar"
    ok(run("backup", "-o", str(from_pg), data=tmp_path / "pg", database=database))
    assert manifest(from_pg)["engine"] == "postgresql"
    assert rows(from_pg) == rows(archive)
    ok(run("restore", str(from_pg), data=tmp_path / "back"))
    assert media(tmp_path / "back") == media(source)
    back = tmp_path / "back.tar"
    ok(run("backup", "-o", str(back), data=tmp_path / "back"))
    assert rows(back) == rows(archive)
    # New rows in PostgreSQL take keys after the restored ones (the sequences moved on).
    ok(run("audit", "anchor", data=tmp_path / "pg", database=database))


def test_dbcopy_moves_an_sqlite_install_to_postgresql(source, archive, postgres, tmp_path):
    database = postgres()
    out = ok(run("dbcopy", "--to", database, data=source))
    assert "setiap jumlah cocok" in out
    assert "Jejak audit utuh" in out
    import psycopg

    with sqlite3.connect(source / "siaran.sqlite3") as lite, psycopg.connect(database) as pg:
        for table in ("cases_caseevent", "orgs_person", "audit_auditchain", "django_session"):
            here = lite.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            there = pg.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            assert here == there, table
        assert pg.execute("SELECT count(*) FROM cases_caseevent").fetchone()[0] > 50
    ok(run("audit", "verify", data=source, database=database))
    ok(run("audit", "anchor", data=source, database=database))  # new keys after the copied
    again = run("dbcopy", "--to", database, data=source)
    assert again.returncode == 1 and "tidak kosong" in again.stderr


SNAPSHOT = """
from django.contrib.auth.models import User
from django.db import connections
from siaran.core import tables
User.objects.create(username="before")
name = tables.attnames(User).index("username")
tables.add_alias("writer", connections["default"].settings_dict)
with tables.snapshot() as alias:
    first = [row[name] for row in tables.rows(User, alias)]
    User.objects.using("writer").create(username="during")
    after = [row[name] for row in tables.rows(User, alias)]
print(first, after, sorted(User.objects.values_list("username", flat=True)))
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_backup_reads_one_moment_while_siaran_writes(engine, postgres, tmp_path):
    """What another connection commits while the snapshot is open (the worker, a request)
    is not in it, on either engine: every table of an archive is of one moment."""
    database = postgres() if engine == "postgresql" else ""
    ok(run("migrate", "--noinput", "-v", "0", data=tmp_path, database=database))
    out = ok(run("shell", "-c", SNAPSHOT, data=tmp_path, database=database))
    assert out.strip().splitlines()[-1] == "['before'] ['before'] ['before', 'during']"
