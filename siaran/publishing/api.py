"""API for a case's publications: retry a channel, record a post made by hand.

Starting publication is the case's own action: `POST /cases/{id}/actions
{"outcome": "publish", "channels": [...], "at": "..."}`; `GET /cases/{id}` lists the
`publications`.
"""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from siaran.core.api import ERRORS
from siaran.core.ids import RowId

from . import actions
from .selectors import publications_of

router = Router(tags=["publishing"])


class Publication(Schema):
    """A channel's publication, as selectors.publications_of gives it."""

    channel: str
    status: str
    by_hand: bool
    permalink: str | None
    platform_id: str | None
    published_at: dt.datetime | None
    run_after: dt.datetime | None
    attempts: int
    error: str | None
    error_code: str | None
    content_sha256: str | None
    retryable: bool


def _publication(job) -> dict:
    return next(p for p in publications_of(job.case) if p["channel"] == job.channel)


@router.post("/cases/{case_id}/publications/{channel}/retry", response={200: Publication, **ERRORS})
def publication_retry(request, case_id: RowId, channel: str):
    """Send a failed channel again, or ask the platform again about an unknown one."""
    job = actions.publication_retry(person=request.person, case_id=case_id, channel=channel)
    return _publication(job)


@router.post("/cases/{case_id}/publications/{channel}/done", response={200: Publication, **ERRORS})
def publication_done(
    request,
    case_id: RowId,
    channel: str,
    permalink: Form[str],
    screenshot: File[UploadedFile],
):
    """Record a post made by hand (multipart: `permalink` and a `screenshot` image)."""
    job = actions.publication_done_by_hand(
        person=request.person,
        case_id=case_id,
        channel=channel,
        permalink=permalink,
        screenshot=screenshot,
    )
    return _publication(job)
