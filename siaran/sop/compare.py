"""What changed between two versions of an SOP: its steps, lanes, time standards and
outcomes, compared as data (the model), not as text.

Pure Python: the operator's page shows it, a command or a notebook could print it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Channel, Lane, Outcome, Sop, Step

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# The fields of the form compared for each kind of thing, in the order the form shows them.
SOP_FIELDS = (
    "name",
    "number",
    "institution",
    "parent_organisation",
    "revision",
    "made",
    "revised",
    "effective",
    "ratified_by",
    "legal_basis",
    "qualifications",
    "related",
    "equipment",
    "warnings",
    "records",
    "separate_duties",
)
LANE_FIELDS = ("name", "holder", "name_en")
# The time standard and the outcomes have their own lists: the reader looks for them.
STEP_FIELDS = (
    "no",
    "activity",
    "lane",
    "kind",
    "inputs",
    "output",
    "remarks",
    "next",
    "channels",
    "edits_content",
    "signs_approval_sheet",
    "activity_en",
    "position",
)
OUTCOME_FIELDS = ("label", "next", "note_required", "label_en")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    """A step, lane or outcome added, removed, or changed in `fields`.

    `id` is the step's or lane's id; for an outcome, "step id / outcome id"."""

    id: str
    label: str  # its activity, name or label, in the newer version when it has one
    status: str  # ADDED, REMOVED or CHANGED
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class TimeChange:
    step: str
    activity: str
    old: str
    new: str


@dataclass(frozen=True)
class SopChanges:
    identity: tuple[FieldChange, ...]
    steps: tuple[Change, ...]
    lanes: tuple[Change, ...]
    times: tuple[TimeChange, ...]
    outcomes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not (self.identity or self.steps or self.lanes or self.times or self.outcomes)


def compare(old: Sop, new: Sop) -> SopChanges:
    """Everything `new` says differently from `old`."""
    return SopChanges(
        identity=_fields(old, new, SOP_FIELDS),
        steps=_items(
            {s.id: s for s in old.steps},
            {s.id: s for s in new.steps},
            lambda step: step.activity,
            lambda a, b: _step_fields(old, new, a, b),
        ),
        lanes=_items(
            {lane.id: lane for lane in old.lanes},
            {lane.id: lane for lane in new.lanes},
            lambda lane: lane.name,
            lambda a, b: _fields(a, b, LANE_FIELDS),
        ),
        times=tuple(
            TimeChange(step.id, step.activity, _time(before), _time(step))
            for step in new.steps
            if (before := _find_step(old, step.id)) is not None
            and (before.time, before.time_text) != (step.time, step.time_text)
        ),
        outcomes=_items(
            _outcomes(old),
            _outcomes(new),
            lambda outcome: outcome.label,
            lambda a, b: _fields(a, b, OUTCOME_FIELDS),
        ),
    )


def _items(old: dict, new: dict, label, fields) -> tuple[Change, ...]:
    """Added, removed and changed items, in the newer version's order, removed ones last."""
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(Change(key, label(item), ADDED))
        elif found := fields(old[key], item):
            changes.append(Change(key, label(item), CHANGED, found))
    changes += [Change(key, label(item), REMOVED) for key, item in old.items() if key not in new]
    return tuple(changes)


def _step_fields(old_sop: Sop, new_sop: Sop, old: Step, new: Step) -> tuple[FieldChange, ...]:
    found = list(_fields(old, new, STEP_FIELDS[:-1]))
    # Moved in the form's order among the steps both versions have, not merely shifted
    # because a step before it was added or removed.
    kept_old = [s.id for s in old_sop.steps if _find_step(new_sop, s.id)]
    kept_new = [s.id for s in new_sop.steps if _find_step(old_sop, s.id)]
    if kept_old.index(old.id) != kept_new.index(new.id):
        found.append(
            FieldChange(
                "position", str(old_sop.position(old.id) + 1), str(new_sop.position(new.id) + 1)
            )
        )
    return tuple(found)


def _fields(old, new, names: tuple[str, ...]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, _text(getattr(old, name)), _text(getattr(new, name)))
        for name in names
        if _text(getattr(old, name)) != _text(getattr(new, name))
    )


def _outcomes(sop: Sop) -> dict[str, Outcome]:
    return {f"{s.id} / {o.id}": o for s in sop.steps if s.kind == "review" for o in s.outcomes}


def _find_step(sop: Sop, step_id: str) -> Step | None:
    return next((s for s in sop.steps if s.id == step_id), None)


def _time(step: Step) -> str:
    return step.time_text or step.time.iso()


def _text(value) -> str:
    """A field's value as the page shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Channel):
        return " ".join(p for p in (value.platform, value.handle) if p)
    if isinstance(value, Lane):
        return value.id
    if isinstance(value, tuple):
        return "; ".join(_text(item) for item in value)
    if hasattr(value, "name") and hasattr(value, "nip"):  # the ratifier
        return ", ".join(p for p in (value.name, value.title, value.nip) if p)
    return str(value)
