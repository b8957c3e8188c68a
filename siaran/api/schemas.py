"""What the API answers, declared for its OpenAPI document: each success's shape and the
error every failure answers, so that a client (and the schema fuzzing in the tests) can
check each response against it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from siaran.core.api import ERRORS, Error  # noqa: F401 (declared with every operation)
from siaran.publishing.api import Publication


class Outcome(Schema):
    id: str
    label: str
    next: str | None
    back: bool


class Step(Schema):
    id: str
    no: str | None
    activity: str
    lane: str
    kind: str
    run: int
    round: int
    due_at: dt.datetime | None
    outcomes: list[Outcome]


class Media(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    seconds: float | None


class Content(Schema):
    version: int
    title: str
    narrative: str
    captions: dict[str, str]
    hashtags: str
    locked: bool
    approved_sha256: str | None
    media: list[Media]


class TimelineEvent(Schema):
    seq: int
    at: dt.datetime
    kind: str
    step: str | None
    outcome: str | None
    actor: str | None
    on_behalf_of: str | None
    note: str
    round: int
    to_step: str | None


class CaseSummary(Schema):
    id: int
    sop: str
    title: str
    status: str
    current_step: str | None
    rework_count: int
    created_at: dt.datetime


class CaseDetail(CaseSummary):
    description: str
    channels: list[str]
    desired_date: dt.date | None
    closed: bool
    step: Step | None
    content: Content | None
    publications: list[Publication]
    timeline: list[TimelineEvent]


class SavedContent(Schema):
    version: int
    title: str
    captions: dict[str, str]


class Attachment(Schema):
    id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    output: str  # the SOP document it is ("" for none): a step may require one


class Task(Schema):
    run: int
    case: int
    title: str
    sop: str
    step: str
    lane: str
    round: int
    started_at: dt.datetime | None
    due_at: dt.datetime | None
    claimed_by: str | None


# An SOP as `siaran sop show --json` writes it; its fields are documented in
# docs/sop-format.md rather than repeated here.
SopDocument = dict[str, Any]
