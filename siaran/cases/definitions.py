"""Pinned SOP versions: the exact definition a case started on, read once per process."""

from __future__ import annotations

from siaran.core import sops
from siaran.orgs.models import SopVersion
from siaran.sop.load import load_text
from siaran.sop.model import Sop


def pin(sop_id: str) -> SopVersion | None:
    """The stored version of the SOP as the deployment has it now."""
    text = sops.catalog().texts.get(sop_id)
    if text is None:
        return None
    version, _created = SopVersion.objects.get_or_create(
        sha256=SopVersion.digest(text), defaults={"sop_id": sop_id, "text": text}
    )
    return version


_parsed: dict[str, Sop] = {}  # sha256 -> definition; a version's text never changes


def definition(version: SopVersion) -> Sop:
    return definition_of(version.sha256, version.pk)


def definition_of(sha256: str, version_id: int) -> Sop:
    """The definition of a stored version by its digest; its text is read on a miss only."""
    sop = _parsed.get(sha256)
    if sop is None:
        version = SopVersion.objects.get(pk=version_id, sha256=sha256)
        # A stored version was valid when pinned; the loader is the one way to read it.
        sop = _parsed[sha256] = load_text(version.text, f"{version.sop_id} (pinned)")
    return sop
