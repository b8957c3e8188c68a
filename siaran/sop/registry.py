"""Every SOP available: the built-in files, then the folders named by the deployment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .load import Problem, check_text, read_file
from .messages import Message, gettext_noop
from .model import Sop

BUILTIN_DIR = Path(__file__).parent / "builtin"


@dataclass
class Catalog:
    sops: dict[str, Sop] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # files that could not be used
    texts: dict[str, str] = field(default_factory=dict)  # the exact text each SOP was read from


def sop_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_catalog(extra_dirs: Iterable[str | Path] = ()) -> Catalog:
    """Load every SOP; a bad or clashing file is reported and left out, never fatal."""
    catalog = Catalog()
    folders = [BUILTIN_DIR, *(Path(d) for d in extra_dirs)]
    for folder in folders:
        if not folder.is_dir():
            catalog.problems.append(
                Problem(str(folder), 1, "", Message(gettext_noop("the SOP folder does not exist")))
            )
            continue
        for path in sop_files(folder):
            text, problems = read_file(path)
            sop = None
            if text is not None:
                sop, problems = check_text(text, str(path))
            if problems or sop is None:
                catalog.problems.extend(problems)
            elif sop.id in catalog.sops:
                catalog.problems.append(
                    Problem(
                        str(path),
                        1,
                        "id",
                        Message(
                            gettext_noop("%(value)s is already the id of %(other)s"),
                            value=repr(sop.id),
                            other=catalog.sops[sop.id].source,
                        ),
                    )
                )
            else:
                catalog.sops[sop.id] = sop
                catalog.texts[sop.id] = text
    return catalog
