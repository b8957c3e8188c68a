"""The hash chain: every event's hash covers its content and the hash of the event before.

Pure Python, shared by the writers (cases and audit actions) and the verifier, so that
both compute a hash the same way. Changing anything here breaks every stored chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

GENESIS = ""  # the "previous hash" of a chain's first event


def digest(previous: str, content: Mapping) -> str:
    """SHA-256 over the previous hash and the event's content as canonical JSON."""
    body = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _plain(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")
