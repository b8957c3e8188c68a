"""REST API v1: the same actions as the pages, for other tools and phones.

Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`.
Errors are JSON `{"detail": message, "code": ...}` in the request's language.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from siaran.archive.views import export_response
from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.channels import case_channels_drop as channels_drop
from siaran.cases.definitions import definition
from siaran.cases.models import Case
from siaran.cases.selectors import open_tasks, visible_cases
from siaran.core import sops
from siaran.core.ids import RowId
from siaran.documents.actions import approval_sheet_for
from siaran.documents.views import sheet_response
from siaran.publishing.api import router as publishing_router
from siaran.publishing.selectors import publications_of
from siaran.signin.factors import token_refusal
from siaran.sop.engine import CaseState
from siaran.sop.export import sop_as_json

from .actions import TokenError, token_issue, token_revoke, token_revoke_current
from .models import ApiToken
from .schemas import (
    ERRORS,
    Attachment,
    CaseDetail,
    CaseSummary,
    Content,
    SavedContent,
    SopDocument,
    Task,
)
from .selectors import tokens_of


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        person = ApiToken.person_for(token)
        if person is not None:
            request.person = person
            request.bearer_token = token
        return person


api = NinjaAPI(
    title="Siaran API",
    version="1",
    urls_namespace="api-v1",
    auth=BearerToken(),
    description=__doc__,
)


@api.exception_handler(ActionError)
def _action_error(request, error: ActionError):
    return api.create_response(
        request, {"detail": error.message, "code": error.code}, status=error.status
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return api.create_response(
        request,
        {"detail": _("Log in first: send a valid bearer token."), "code": "unauthenticated"},
        status=401,
    )


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    if all(problem.get("loc", ("",))[0] == "path" for problem in error.errors):
        # An id no row can have (beyond 64 bits, or 0): there is no such thing.
        return api.create_response(
            request, {"detail": _("Not found."), "code": "not_found"}, status=404
        )
    return api.create_response(
        request,
        {"detail": _("The request is not valid."), "code": "invalid", "errors": error.errors},
        status=422,
    )


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    if error.status_code == 400:  # a body that is not JSON is bad input like any other
        return api.create_response(
            request, {"detail": _("The request is not valid."), "code": "invalid"}, status=422
        )
    return api.create_response(
        request, {"detail": str(error), "code": "error"}, status=error.status_code
    )


api.add_router("/", publishing_router)  # /cases/{id}/publications/{channel}/...


# -- schemas ----------------------------------------------------------------------------


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""  # what the token is for ("laptop humas", "jadwal otomatis"): shown in lists
    code: str = ""  # the authenticator app's code, for whoever signs in with a second factor


class TokenOut(Schema):
    token: str


class TokenRow(Schema):
    id: int
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


class CaseIn(Schema):
    sop: str
    title: str
    description: str = ""
    channels: list[str] | None = None  # absent: every channel of the SOP; [] is refused
    desired_date: dt.date | None = None
    # Content version 1 at once, as the start form writes it: a caption per channel.
    captions: dict[str, str] = {}
    hashtags: str = ""


class ActionIn(Schema):
    outcome: str
    note: str = ""
    # The step visit the client saw (`step.run` of the case): a double submit changes nothing.
    run: int | None = None
    # At a publish step: where (the case's channels when absent) and when (now when absent).
    channels: list[str] | None = None
    at: dt.datetime | None = None


class ContentIn(Schema):
    title: str
    narrative: str = ""
    captions: dict[str, str] = {}
    hashtags: str = ""


# -- endpoints --------------------------------------------------------------------------


def _file_response(description: str, content_type: str) -> dict:
    """The OpenAPI of an operation that answers a file, not JSON."""
    return {"responses": {200: {"description": description, "content": {content_type: {}}}}}


@api.post("/auth/token", auth=None, response={200: TokenOut, **ERRORS}, tags=["auth"])
def token(request, body: TokenIn):
    """Trade a username and password for a bearer token (failed tries count to lockout)."""
    user = authenticate(request, username=body.username, password=body.password)
    person = getattr(user, "person", None) if user else None
    if person is None:
        raise ActionError(
            401,
            "bad_credentials",
            _("The username or password is wrong, or the account is locked."),
        )
    refusal = token_refusal(person, body.code)
    if refusal is not None:
        raise ActionError(401, *refusal)
    return {"token": token_issue(person=person, name=body.name)}


@api.delete("/auth/token", response={204: None, **ERRORS}, tags=["auth"])
def token_delete(request):
    """Revoke the token this request came with (log a script out)."""
    token_revoke_current(person=request.person, token=request.bearer_token)
    return Status(204, None)


@api.get("/auth/tokens", response={200: list[TokenRow], **ERRORS}, tags=["auth"])
def token_list(request):
    """My tokens that have not expired, newest first; never the tokens themselves."""
    return tokens_of(request.person)


@api.delete("/auth/tokens/{token_id}", response={204: None, **ERRORS}, tags=["auth"])
def token_revoke_one(request, token_id: RowId):
    """Revoke one of my tokens, or, for an administrator, one of my institution's."""
    try:
        token_revoke(person=request.person, token_id=token_id)
    except TokenError as error:
        raise ActionError(404, "not_found", str(error)) from None
    return Status(204, None)


@api.get("/sops", response={200: list[SopDocument], **ERRORS}, tags=["sops"])
def sop_list(request):
    """The SOPs my institution runs."""
    return [sop_as_json(sop) for sop in sops.run_by(request.person.organization)]


@api.get("/cases", response={200: list[CaseSummary], **ERRORS}, tags=["cases"])
def case_list(request, status: str | None = None, q: str | None = None):
    """The cases I may see, newest first."""
    cases = visible_cases(request.person).select_related("sop_version").order_by("-created_at")
    if status:
        cases = cases.filter(status=status)
    if q:
        cases = cases.filter(title__icontains=q)
    return [case_summary(case) for case in cases[:200]]


@api.post("/cases", tags=["cases"], response={201: CaseDetail, **ERRORS})
def case_create(request, body: CaseIn):
    case = actions.case_start(
        person=request.person,
        sop_id=body.sop,
        title=body.title,
        description=body.description,
        channels=body.channels,
        desired_date=body.desired_date,
        captions=body.captions,
        hashtags=body.hashtags,
    )
    return Status(201, case_detail(_case(request, case.pk)))


@api.get("/cases/{case_id}", response={200: CaseDetail, **ERRORS}, tags=["cases"])
def case_get(request, case_id: RowId):
    return case_detail(_case(request, case_id))


@api.post("/cases/{case_id}/actions", response={200: CaseDetail, **ERRORS}, tags=["cases"])
def case_action(request, case_id: RowId, body: ActionIn):
    """Finish the current step with one of its outcomes (`done` for a plain step)."""
    actions.case_decide(
        person=request.person,
        case_id=case_id,
        outcome=body.outcome,
        note=body.note,
        seen=body.run,
        channels=body.channels,
        at=body.at,
    )
    return case_detail(_case(request, case_id))


@api.put("/cases/{case_id}/content", response={200: SavedContent, **ERRORS}, tags=["cases"])
def case_content(request, case_id: RowId, body: ContentIn):
    version = actions.content_save(
        person=request.person,
        case_id=case_id,
        title=body.title,
        narrative=body.narrative,
        captions=body.captions,
        hashtags=body.hashtags,
    )
    return {"version": version.number, "title": version.title, "captions": version.captions}


@api.post("/cases/{case_id}/attachments", tags=["cases"], response={201: Attachment, **ERRORS})
def case_attachment(request, case_id: RowId, file: File[UploadedFile], output: Form[str] = ""):
    """Upload a letter (PDF), a poster (image) or a video, as multipart `file`; `output`:
    the SOP document it is (an id of the SOP's `documents`), one the step requires."""
    attachment = actions.attachment_add(
        person=request.person, case_id=case_id, upload=file, output=output
    )
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.name,
            "kind": attachment.kind,
            "output": attachment.output,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )


class MediaOrderIn(Schema):
    order: list[int]  # each image and video of the version being produced, once


@api.put("/cases/{case_id}/media", response={200: Content, **ERRORS}, tags=["cases"])
def case_media_order(request, case_id: RowId, body: MediaOrderIn):
    """Set the order of the content's images and videos; the first image is the main one."""
    actions.version_media_order(person=request.person, case_id=case_id, order=body.order)
    return content_detail(_case(request, case_id))


@api.delete(
    "/cases/{case_id}/media/{attachment_id}", response={200: Content, **ERRORS}, tags=["cases"]
)
def case_media_remove(request, case_id: RowId, attachment_id: RowId):
    """Take an image or video out of the version being produced (the case keeps the file)."""
    actions.version_media_remove(
        person=request.person, case_id=case_id, attachment_id=attachment_id
    )
    return content_detail(_case(request, case_id))


@api.post(
    "/cases/{case_id}/media/{attachment_id}/replace",
    tags=["cases"],
    response={201: Content, **ERRORS},
)
def case_media_replace(request, case_id: RowId, attachment_id: RowId, file: File[UploadedFile]):
    """Upload an image or video in the place of one of the version being produced."""
    actions.attachment_add(
        person=request.person, case_id=case_id, upload=file, replaces=attachment_id
    )
    return Status(201, content_detail(_case(request, case_id)))


class ChannelsIn(Schema):
    channels: list[str]


@api.post("/cases/{case_id}/channels/drop", response={200: CaseDetail, **ERRORS}, tags=["cases"])
def case_channels_drop(request, case_id: RowId, body: ChannelsIn):
    """Drop channels the content cannot go to (a poster: not YouTube), at a content step."""
    channels_drop(person=request.person, case_id=case_id, channels=body.channels)
    return case_detail(_case(request, case_id))


@api.get(
    "/cases/{case_id}/approval-sheet",
    response={200: None, **ERRORS},
    tags=["cases"],
    openapi_extra={
        "responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}
    },
)
def case_approval_sheet(request, case_id: RowId):
    """The case's approval sheet as PDF: its newest sheet while it still matches the
    case, else a new one. 404 while no review is done."""
    sheet = approval_sheet_for(
        person=request.person, case_id=case_id, base_url=request.build_absolute_uri("/")
    )
    return sheet_response(request.person, sheet)


@api.get(
    "/cases/{case_id}/export",
    response={200: None, **ERRORS},
    tags=["cases"],
    openapi_extra={
        "responses": {200: {"description": "The ZIP", "content": {"application/zip": {}}}}
    },
)
def case_export(request, case_id: RowId):
    """The case as one ZIP: approval sheets, every version with its media, the files, the
    timeline as CSV and JSON, the published links, and a manifest of SHA-256 digests."""
    case = _case(request, case_id)
    return export_response(request.person, case, request.build_absolute_uri("/"))


@api.get("/tasks", response={200: list[Task], **ERRORS}, tags=["tasks"])
def task_list(request):
    """The open steps in my lanes, soonest due first."""
    return [
        {
            "run": case.lock_version,
            "case": case.pk,
            "title": case.title,
            "sop": case.sop_id,
            "step": case.current_step,
            "lane": case.current_lane,
            "round": case.current_round,
            "started_at": case.current_since,
            "due_at": case.current_due,
            "claimed_by": case.claimed_by_username,
        }
        for case in open_tasks(request.person, detail=True)
    ]


# -- shapes -----------------------------------------------------------------------------


def _case(request, case_id: RowId) -> Case:
    case = (
        visible_cases(request.person)
        .select_related("sop_version")
        .defer("sop_version__text")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise ActionError(404, "not_found", _("No such case."))
    return case


def case_summary(case: Case) -> dict:
    return {
        "id": case.pk,
        "sop": case.sop_id,
        "title": case.title,
        "status": case.status,
        "current_step": case.current_step or None,
        "rework_count": case.rework_count,
        "created_at": case.created_at,
    }


def case_detail(case: Case) -> dict:
    sop = definition(case.sop_version)
    state = CaseState.from_dict(case.state)
    step = None
    if case.current_step:
        current = sop.step(case.current_step)
        step = {
            "id": current.id,
            "no": current.no,
            "activity": current.activity,
            "lane": current.lane,
            "kind": current.kind,
            "run": case.lock_version,
            "round": case.current_round,
            "due_at": case.current_due,
            "outcomes": [
                {
                    "id": outcome.id,
                    "label": outcome.label,
                    "next": outcome.next,
                    "back": sop.is_rework(current.id, outcome),
                }
                for outcome in current.exits()
            ],
        }
    events = case.events.select_related("actor__user", "on_behalf_of__user").order_by("seq")
    return {
        **case_summary(case),
        "description": case.description,
        "channels": case.channels,
        "desired_date": case.desired_date,
        "closed": state.closed,
        "step": step,
        "content": content_detail(case),
        "publications": publications_of(case),
        "timeline": [
            {
                "seq": event.seq,
                "at": event.at,
                "kind": event.kind,
                "step": event.step_id or None,
                "outcome": event.outcome or None,
                "actor": event.actor.user.username if event.actor else None,
                "on_behalf_of": event.on_behalf_of.user.username if event.on_behalf_of else None,
                "note": event.note,
                "round": event.round,
                "to_step": event.to_step or None,
            }
            for event in events
        ],
    }


def content_detail(case: Case) -> dict | None:
    """The newest content version: what reviewers see and, once `locked`, what is
    published (its `approved_sha256` is the approval sheet's content SHA-256)."""
    version = case.versions.order_by("-number").prefetch_related("media").first()
    if version is None:
        return None
    return {
        "version": version.number,
        "title": version.title,
        "narrative": version.narrative,
        "captions": version.captions,
        "hashtags": version.hashtags,
        "locked": version.frozen,
        "approved_sha256": version.approved_sha256 or None,
        "media": [
            {
                "id": file.pk,
                "name": file.name,
                "kind": file.kind,
                "content_type": file.content_type,
                "size": file.size,
                "sha256": file.sha256,
                "width": file.width,
                "height": file.height,
                "seconds": file.seconds,
            }
            for file in version.ordered_media()
        ],
    }
