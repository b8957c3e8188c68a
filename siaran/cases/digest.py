"""The content SHA-256: one fingerprint of a content version, its text and its media.

The approval sheet prints it and the verification page compares it, so a sheet proves
which content was approved. It is defined here once:

    sha256( canonical JSON of content_document(version) )

where `content_document` is the object below: the scheme's name ("siaran-content/1"),
the title, narrative, captions per channel and hashtags as written, and the SHA-256 of
each media file (images, videos) in the version's order (the order they were
added, until an editor moves one: `ContentVersion.ordered_media`). Canonical JSON means
keys sorted, no spaces (separators "," and ":"), non-ASCII characters kept as they are,
encoded as UTF-8. The case export writes the same object into each version's
`content.json`, so anyone can recompute the digest without Siaran.
"""

from __future__ import annotations

import hashlib
import json

from .models import ContentVersion

SCHEME = "siaran-content/1"


def content_document(version: ContentVersion) -> dict:
    return {
        "scheme": SCHEME,
        "title": version.title,
        "narrative": version.narrative,
        "captions": dict(version.captions or {}),
        "hashtags": version.hashtags,
        "media": [file.sha256 for file in version.ordered_media()],
    }


def canonical_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def content_sha256(version: ContentVersion) -> str:
    return hashlib.sha256(canonical_json(content_document(version))).hexdigest()
