"""What changed between two content versions: words added and removed, media in and out."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import ContentVersion

# A diff costs up to the product of the two texts' pieces (SequenceMatcher without its
# junk heuristic). Past this many pairs of words, a long text is compared line by line,
# and past this many pairs of lines, it is struck and marked whole: a long narrative can
# never make a reviewer's page take seconds.
MAX_PAIRS = 1_000_000


def text_diff(old: str, new: str) -> SafeString:
    """`new` with removed words struck through and added words marked, HTML-escaped."""
    before, after = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    if len(before) * len(after) > MAX_PAIRS:
        before, after = (old or "").splitlines(True), (new or "").splitlines(True)
    if len(before) * len(after) > MAX_PAIRS:
        before, after = [old] if old else [], [new] if new else []
    parts = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(before[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(after[b1:b2]))}</ins>")
        if op == "equal":
            parts.append(escape("".join(after[b1:b2])))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def version_diff(old: ContentVersion, new: ContentVersion) -> dict:
    channels = sorted(set(old.captions) | set(new.captions))
    old_order, new_order = old.ordered_media(), new.ordered_media()
    old_media = {m.pk: m for m in old_order}
    new_media = {m.pk: m for m in new_order}
    return {
        "old": old,
        "new": new,
        # Only what changed: a reviewer reads the difference, not the whole content again.
        "title": text_diff(old.title, new.title) if old.title != new.title else "",
        "narrative": text_diff(old.narrative, new.narrative)
        if old.narrative != new.narrative
        else "",
        "hashtags": text_diff(old.hashtags, new.hashtags) if old.hashtags != new.hashtags else "",
        "captions": [
            (c, text_diff(old.captions.get(c, ""), new.captions.get(c, "")))
            for c in channels
            if old.captions.get(c, "") != new.captions.get(c, "")
        ],
        "media_added": [m for pk, m in new_media.items() if pk not in old_media],
        "media_removed": [m for pk, m in old_media.items() if pk not in new_media],
        # Both versions' images and videos in order, shown side by side.
        "old_media": old_order,
        "new_media": new_order,
        "media_changed": list(old_media) != list(new_media),
        "changed": (old.title, old.narrative, old.hashtags, old.captions, list(old_media))
        != (new.title, new.narrative, new.hashtags, new.captions, list(new_media)),
    }
