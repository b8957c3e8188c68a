"""The SOP as data: what the paper form says, as frozen dataclasses.

Nothing here knows about Django, a database or a clock: a definition is a value that
the loader builds from a YAML file and the engine reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .timing import TimeStandard

# A step's kind says how it is finished:
#   task    - done once; its single implicit outcome "done" leads to `next`
#   review  - finished with one of its named outcomes (ya / tidak, setuju / kembalikan)
#   publish - puts the content on the step's channels; implicit outcome "publish"
STEP_KINDS = ("task", "review", "publish")

# Who must act on a step. Only "one" exists in the shipped SOPs; the engine resolves a
# step through one function so that "all" (every member signs) and "any" can join it.
ASSIGNMENTS = ("one",)

DONE = "done"
PUBLISH = "publish"
END = "end"  # the `next` that ends the SOP; written as `end` in the file, null in JSON

PLATFORMS = ("instagram", "facebook", "x", "youtube", "tiktok", "website", "manual")


@dataclass(frozen=True)
class Person:
    """Someone named on the form's document block. The NIP is optional: a private
    institution's staff have none."""

    name: str
    title: str = ""
    nip: str = ""


@dataclass(frozen=True)
class Lane:
    """An actor of the SOP: one column of the form (a pelaksana)."""

    id: str
    name: str
    holder: str = ""  # who fills the lane, as the form says: "Kasubbag Akademik/Umum"
    name_en: str = ""
    inferred: bool = False
    inferred_reason: str = ""  # why, when the file says (`inferred: "the scan lost it"`)


@dataclass(frozen=True)
class Document:
    """A kind of file an SOP names, such as a signed request form: steps may require one
    before they finish (`requires`)."""

    id: str
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class Outcome:
    id: str
    label: str
    next: str | None  # a step id, or None where the SOP ends
    label_en: str = ""
    note_required: bool = False  # a "no" must say why
    inferred: bool = False  # read from elsewhere: the form does not show this branch
    inferred_reason: str = ""  # why, when the file says


@dataclass(frozen=True)
class Channel:
    platform: str
    handle: str = ""
    name: str = ""
    url: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    no: str | None  # the number as printed on the form, or None (SOP A's last two rows)
    activity: str
    lane: str
    kind: str = "task"
    inputs: tuple[str, ...] = ()
    time: TimeStandard = field(default_factory=TimeStandard)
    time_text: str = ""  # the time standard as the form writes it: "1 hari"
    output: str = ""
    remarks: str = ""
    activity_en: str = ""
    outcomes: tuple[Outcome, ...] = ()
    next: str | None = None  # for task and publish steps; None ends the SOP
    channels: tuple[Channel, ...] = ()
    assignment: str = "one"
    signs_approval_sheet: bool = False
    # The content (text, captions, files and their order) may be written at this step: the
    # steps that make or edit it. Reviewers comment and send back; they do not edit.
    edits_content: bool = False
    inferred: tuple[str, ...] = ()  # fields read from sops.md because the scan lost them
    inference_note: str = ""
    # Documents (ids of the SOP's `documents`) that must be attached at this step before
    # it moves the work on.
    requires: tuple[str, ...] = ()

    def exits(self) -> tuple[Outcome, ...]:
        """Every way out of the step, the implicit ones of task and publish included."""
        if self.kind == "review":
            return self.outcomes
        implicit = PUBLISH if self.kind == "publish" else DONE
        return (Outcome(id=implicit, label=implicit, next=self.next),)

    def outcome(self, outcome_id: str) -> Outcome | None:
        return next((o for o in self.exits() if o.id == outcome_id), None)


@dataclass(frozen=True)
class Sop:
    id: str
    name: str
    number: str
    institution: str
    lanes: tuple[Lane, ...]
    steps: tuple[Step, ...]
    made: dt.date | None = None
    revised: dt.date | None = None
    revision: str = ""
    effective: dt.date | None = None
    # The document block: who approved (ratified, "Disahkan oleh") the SOP, who prepared
    # it ("Disusun oleh") and who examined it ("Diperiksa oleh", often several).
    ratified_by: Person = field(default_factory=lambda: Person(name=""))
    prepared_by: Person | None = None
    examined_by: tuple[Person, ...] = ()
    parent_organisation: str = ""
    name_en: str = ""
    legal_basis: tuple[str, ...] = ()
    qualifications: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    # Pairs of steps that one person may not both act on (the designer does not verify
    # their own design).
    separate_duties: tuple[tuple[str, str], ...] = ()
    documents: tuple[Document, ...] = ()  # the kinds of file steps may require
    source: str = ""  # the file it was loaded from

    @property
    def approved_by(self) -> Person:
        """Who approved the SOP: `approved_by` in the file, `ratified_by` in older files."""
        return self.ratified_by

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def document(self, document_id: str) -> Document:
        for document in self.documents:
            if document.id == document_id:
                return document
        raise KeyError(document_id)

    def lane(self, lane_id: str) -> Lane:
        for lane in self.lanes:
            if lane.id == lane_id:
                return lane
        raise KeyError(lane_id)

    def position(self, step_id: str) -> int:
        """The row of a step on the form, from 0; used to tell a rework from progress."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    def is_rework(self, from_step: str, outcome: Outcome) -> bool:
        """An outcome that leads back to this step or an earlier one sends work back."""
        return outcome.next is not None and self.position(outcome.next) <= self.position(from_step)

    def edits_content(self, step_id: str) -> bool:
        """May the content be written at this step? At the steps the file marks with
        `edits_content`; a file that marks none lets every task step edit, as before the
        field existed."""
        step = self.step(step_id)
        if any(s.edits_content for s in self.steps):
            return step.edits_content
        return step.kind == "task"

    def signing_lanes(self) -> frozenset[str]:
        """The lanes whose decisions are signed on the approval sheet: the review steps'."""
        return frozenset(step.lane for step in self.steps if step.kind == "review")

    def distance_to_end(self) -> dict[str, int]:
        """Fewest transitions from each step to the end; a step that cannot end is absent."""
        distance: dict[str, int] = {}
        changed = True
        while changed:
            changed = False
            for step in self.steps:
                best = distance.get(step.id)
                for outcome in step.exits():
                    if outcome.next is None:
                        candidate = 1
                    elif outcome.next in distance:
                        candidate = distance[outcome.next] + 1
                    else:
                        continue
                    if best is None or candidate < best:
                        best = candidate
                if best is not None and distance.get(step.id) != best:
                    distance[step.id] = best
                    changed = True
        return distance
