"""Pinned SOP versions: the exact definition a case started on, read once per process.

A version is stored (pinned) by `siaran.cases.actions` when a case starts."""

from __future__ import annotations

from siaran.orgs.models import SopVersion
from siaran.sop.load import load_text
from siaran.sop.model import Sop

_parsed: dict[str, Sop] = {}  # sha256 -> definition; a version's text never changes
_digests: dict[int, str] = {}  # version id -> sha256; a stored version never changes either


def definition(version: SopVersion) -> Sop:
    return definition_of(version.sha256, version.pk)


def definition_of(sha256: str, version_id: int) -> Sop:
    """The definition of a stored version by its digest; its text is read on a miss only."""
    sop = _parsed.get(sha256)
    if sop is None:
        version = SopVersion.objects.get(pk=version_id, sha256=sha256)
        # A stored version was valid when pinned; the loader is the one way to read it.
        sop = _parsed[sha256] = load_text(version.text, f"{version.sop_id} (pinned)")
    _digests[version_id] = sha256
    return sop


def definition_by_id(version_id: int) -> Sop:
    """The definition of a stored version by its id alone: where a row carries only the
    case's `sop_version_id` (the inbox, a notification), read from the database once per
    process and version."""
    sha256 = _digests.get(version_id)
    if sha256 is None:
        sha256 = SopVersion.objects.values_list("sha256", flat=True).get(pk=version_id)
    return definition_of(sha256, version_id)
