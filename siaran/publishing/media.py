"""The media of a post as connectors read them: from Django's storage, in pieces.

Nothing here holds a whole file in memory: uploads stream from `open()` a piece at a
time, so a 1 GiB video costs a worker a few megabytes (bench/publish_memory.py).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from siaran.cases.models import Attachment
from siaran.core.site import DEVELOPMENT_URL

PIECE = 1024 * 1024  # bytes read from storage at a time
LINK_SALT = "siaran.publishing.media"
LINK_SECONDS = 24 * 3600  # an Instagram container fetches within minutes; a day is ample


@dataclass
class Info:
    width: int | None = None
    height: int | None = None
    seconds: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.width / self.height if self.width and self.height else None


class MediaFile:
    """One attachment of the post: its facts, its bytes from storage, a link to it."""

    def __init__(self, attachment: Attachment) -> None:
        self.attachment = attachment
        self.id = attachment.pk
        self.name = attachment.name
        self.kind = attachment.kind
        self.content_type = attachment.content_type
        self.size = attachment.size
        self.sha256 = attachment.sha256

    def open(self):
        return self.attachment.file.storage.open(self.attachment.file.name, "rb")

    def pieces(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` up to `end` (exclusive), read a piece at a time."""
        end = self.size if end is None else end
        with self.open() as file:
            file.seek(start)
            left = end - start
            while left > 0:
                piece = file.read(min(PIECE, left))
                if not piece:
                    raise OSError(f"{self.name}: the stored file ends before byte {end}")
                left -= len(piece)
                yield piece

    def part(self, start: int, end: int) -> Part:
        """The bytes from `start` to `end` as a file a multipart body streams from."""
        return Part(self, start, end)

    def link(self) -> str:
        """An address a platform can fetch the file from, without logging in, for a day.

        S3-compatible storage signs its own links; files on the local disk are served by
        Siaran through a signed, expiring token (views.media_link).
        """
        storage = self.attachment.file.storage
        if not isinstance(storage, FileSystemStorage):
            return storage.url(self.attachment.file.name)
        token = signing.dumps({"a": self.id}, salt=LINK_SALT)
        path = reverse("publishing:media", args=[token]) + self.attachment.extension
        return public_base() + path

    @functools.cached_property
    def info(self) -> Info:
        """Width, height and seconds as read on upload (siaran.cases.media); a file
        uploaded before that is read from its header now."""
        a = self.attachment
        if a.width and a.height and (a.kind != "video" or a.seconds is not None):
            return Info(width=a.width, height=a.height, seconds=a.seconds)
        try:
            with self.open() as file:
                if self.kind == "image":
                    return _image_info(file)
                if self.content_type in ("video/mp4", "video/quicktime"):
                    return _mp4_info(file)
        except (OSError, ValueError, struct.error):
            pass
        return Info()

    @functools.cached_property
    def renditions(self) -> list[MediaFile]:
        """Copies made for platforms that cannot take this file as is (cases.media)."""
        if self.attachment.pk is None or self.attachment.original_id:
            return []
        return [MediaFile(r) for r in self.attachment.renditions.order_by("pk")]

    def fitting(self, rules) -> MediaFile:
        """This file, or its first rendition that keeps `rules` when it breaks them."""
        from .rules import file_problems  # it imports this module

        if self.kind != "image" or not file_problems(rules, self):
            return self
        for rendition in self.renditions:
            if not file_problems(rules, rendition):
                return rendition
        return self


def attachment_from_link(token: str) -> int | None:
    try:
        return signing.loads(token, salt=LINK_SALT, max_age=LINK_SECONDS)["a"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


def _image_info(file) -> Info:
    from PIL import Image  # reads the header only; the pixels are never decoded

    with Image.open(file) as image:
        width, height = image.size
    return Info(width=width, height=height)


def _mp4_info(file) -> Info:
    """Duration and picture size of an MP4/MOV, from its `moov` box, without reading media.

    The boxes are walked by their headers, seeking past `mdat`, so a large file costs a
    handful of small reads wherever its `moov` sits.
    """
    info = Info()
    for kind, start, size in _boxes(file, 0, None):
        if kind == b"moov":
            _read_moov(file, start, size, info)
            break
    return info


def _boxes(file, start: int, end: int | None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload offset, payload size) of each box between start and end."""
    offset = start
    while end is None or offset + 8 <= end:
        file.seek(offset)
        header = file.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        head = 8
        if size == 1:
            size = struct.unpack(">Q", file.read(8))[0]
            head = 16
        elif size == 0:  # to the end of the file
            file.seek(0, 2)
            size = file.tell() - offset
        if size < head:
            raise ValueError("broken box")
        yield kind, offset + head, size - head
        offset += size


def _read_moov(file, start: int, size: int, info: Info) -> None:
    for kind, offset, length in _boxes(file, start, start + size):
        if kind == b"mvhd":
            file.seek(offset)
            version = file.read(1)[0]
            if version == 1:
                file.seek(offset + 4 + 16)
                timescale, duration = struct.unpack(">IQ", file.read(12))
            else:
                file.seek(offset + 4 + 8)
                timescale, duration = struct.unpack(">II", file.read(8))
            info.seconds = duration / timescale if timescale else None
        elif kind == b"trak" and info.width is None:
            for inner, inner_offset, _inner_length in _boxes(file, offset, offset + length):
                if inner == b"tkhd":
                    file.seek(inner_offset)
                    version = file.read(1)[0]
                    skip = 4 + (32 if version == 1 else 20) + 8 + 8 + 36
                    file.seek(inner_offset + skip)
                    width, height = struct.unpack(">II", file.read(8))
                    if width and height:  # an audio track has no picture
                        info.width, info.height = width >> 16, height >> 16


class Part:
    """A byte range of a stored file, read like a file: httpx streams a multipart field
    from it a piece at a time and learns its length by seeking, as with a real file."""

    def __init__(self, media: MediaFile, start: int, end: int) -> None:
        self.file = media.open()
        self.start, self.end = start, end
        self.position = 0
        self.file.seek(start)

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.start - self.position
        size = left if size is None or size < 0 else min(size, left)
        data = self.file.read(size) if size > 0 else b""
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.end - self.start}[whence]
        self.position = max(0, min(base + offset, self.end - self.start))
        self.file.seek(self.start + self.position)
        return self.position

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Part:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def public_base() -> str:
    """Siaran's public address (SIARAN_BASE_URL), as a platform that fetches media by
    address (Instagram) reaches it: the development server's in debug, else none."""
    return settings.SIARAN_BASE_URL or (DEVELOPMENT_URL if settings.DEBUG else "")
