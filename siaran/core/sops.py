"""The SOPs this deployment offers: the built-in files and those in SIARAN_SOP_DIRS."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.utils.translation import get_language, gettext

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


def translate(message: Message) -> str:
    """A message of the pure SOP package in the active language."""
    return message.render(gettext)


def english() -> bool:
    return (get_language() or "").startswith("en")
