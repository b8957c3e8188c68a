"""The SOPs this deployment offers: the built-in files and those in SIARAN_SOP_DIRS."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.utils.translation import get_language, gettext

from siaran.cases.definitions import definition_of
from siaran.sop.messages import Message
from siaran.sop.model import Sop
from siaran.sop.registry import Catalog, load_catalog

log = logging.getLogger(__name__)


@functools.cache
def catalog() -> Catalog:
    """Read once per process; a bad file in an SOP folder is logged and left out."""
    result = load_catalog(settings.SIARAN_SOP_DIRS)
    for problem in result.problems:
        log.warning("SOP file left out: %s", problem)
    return result


def available() -> list[Sop]:
    return sorted(catalog().sops.values(), key=lambda sop: (sop.institution, sop.name))


def find(sop_id: str) -> Sop | None:
    return catalog().sops.get(sop_id)


# Institution id -> (its sops_version when read, {sop id: (version id, sha256)}): the SOP
# versions an institution has installed, read once per process and again only after the
# institution's counter moved, so pages and transitions stay at their statement counts.
_installed: dict[int, tuple[int, dict[str, tuple[int, str]]]] = {}


def running(organization, sop_id: str) -> Sop | None:
    """The definition `organization` runs for `sop_id` now: the version it installed, or
    else the shipped (or SIARAN_SOP_DIRS) file of that id. New cases start on it; a case
    already running keeps its own pinned version (siaran.cases.definitions)."""
    pinned = installed(organization).get(sop_id)
    if pinned is None:
        return find(sop_id)
    return definition_of(pinned[1], pinned[0])


def installed(organization) -> dict[str, tuple[int, str]]:
    """{sop id: (version id, sha256)} of the SOPs `organization` runs on an installed
    version rather than on the file of its id; no query while nothing was installed."""
    if not organization.sops_version:
        return {}
    cached = _installed.get(organization.pk)
    if cached is None or cached[0] != organization.sops_version:
        from siaran.orgs.models import OrgSop

        rows = OrgSop.objects.filter(
            organization_id=organization.pk, version__isnull=False
        ).values_list("sop_id", "version_id", "version__sha256")
        cached = _installed[organization.pk] = (
            organization.sops_version,
            {sop_id: (version_id, sha256) for sop_id, version_id, sha256 in rows},
        )
    return cached[1]


def run_by(organization) -> list[Sop]:
    """Every SOP `organization` runs (active), as it runs it now, by name."""
    ids = organization.sops.filter(active=True).values_list("sop_id", flat=True)
    found = [sop for sop_id in ids if (sop := running(organization, sop_id))]
    return sorted(found, key=lambda sop: sop.name)


def translate(message: Message) -> str:
    """A message of the pure SOP package in the active language."""
    return message.render(gettext)


def english() -> bool:
    return (get_language() or "").startswith("en")
