"""Ids from addresses and forms, parsed once into integers the database can hold.

Several hot paths run hand-written SQL, which skips the ORM's integer-range guard: a
20-digit id would reach the driver and fail there (OverflowError, a 500). Anything beyond
a 64-bit row id is no row at all: the page answers 404, the parameter is ignored.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1  # a BIGINT / SQLite INTEGER primary key

# An id in an API path: out of range answers 404 (siaran.api.v1).
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def number(text: str | None, default: int | None = None) -> int | None:
    """A positive integer a row id or a page number can be, or `default`."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 19 and 0 < int(text) <= MAX_ID:
        return int(text)
    return default


class IdConverter:
    """`<id:case_id>` in an address: digits, within a row id's range, or no match (404)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        parsed = number(value)
        if parsed is None:
            raise ValueError(value)
        return parsed

    def to_url(self, value) -> str:
        return str(int(value))
