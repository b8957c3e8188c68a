"""The only code that changes a case: check -> mutate -> record, in one transaction.

Views, the API and commands call these functions; they never write case models.
A transition is guarded by a conditional update on the case's `lock_version`: two
people finishing the same step at once give exactly one transition, and the other gets
a conflict, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
import re
import secrets
import unicodedata

import filetype
from django.core.exceptions import SuspiciousFileOperation
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from siaran.archive import hooks as archive_hooks
from siaran.audit.chain import digest
from siaran.core import sops
from siaran.core.sops import translate
from siaran.core.sql import Increment, Table
from siaran.core.templatetags.siaran import localized, platform_label
from siaran.notifications import actions as notifications
from siaran.notifications.rules import step_timers
from siaran.orgs.calendar import calendar_of
from siaran.orgs.models import OrgSop, Person, SopVersion, Unit
from siaran.orgs.selectors import lanes_from, lanes_of, seats_sql
from siaran.publishing.connectors import caption_limits
from siaran.sop import engine
from siaran.sop.engine import Actor, CaseState, Refused, Transition
from siaran.sop.model import PUBLISH, Sop

from . import media
from .definitions import definition, definition_of
from .digest import content_sha256
from .models import Attachment, Case, CaseEvent, Comment, ContentVersion, SeenVersion
from .selectors import can_see, visible_cases

log = logging.getLogger(__name__)


class ActionError(Exception):
    """Why an action changed nothing, with the HTTP status the API answers with."""

    NOT_FOUND = 404
    FORBIDDEN = 403
    CONFLICT = 409
    INVALID = 422

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# How each engine refusal reaches the user.
_REFUSAL_STATUS = {
    Refused.NOT_YOUR_LANE: ActionError.FORBIDDEN,
    Refused.SEPARATE_DUTIES: ActionError.FORBIDDEN,
    Refused.NOT_STARTER: ActionError.FORBIDDEN,
    Refused.CASE_CLOSED: ActionError.CONFLICT,
    Refused.NOT_CURRENT_STEP: ActionError.CONFLICT,
    Refused.UNKNOWN_OUTCOME: ActionError.INVALID,
    Refused.NOTE_REQUIRED: ActionError.INVALID,
    Refused.OUTPUT_REQUIRED: ActionError.INVALID,
}


def _refused(refusal: Refused) -> ActionError:
    return ActionError(_REFUSAL_STATUS[refusal.code], refusal.code, translate(refusal.message))


def _moved_on() -> ActionError:
    return ActionError(
        ActionError.CONFLICT,
        "moved_on",
        _("Someone else has just acted on this step; the case has moved on. Reload to see it."),
    )


def actor_for(
    person: Person, lanes: dict[str, Person | None], lane_id: str | None = None
) -> tuple[Actor, Person | None]:
    """The engine's view of `person` with their `lanes` today, and whom they stand in for
    in `lane_id` (Plh.), if anyone."""
    on_behalf = lanes.get(lane_id) if lane_id else None
    actor = Actor(
        id=str(person.pk),
        lanes=frozenset(lanes),
        on_behalf_of=str(on_behalf.pk) if on_behalf else None,
    )
    return actor, on_behalf


HASHTAGS_MAX = ContentVersion._meta.get_field("hashtags").max_length
TITLE_MAX = ContentVersion._meta.get_field("title").max_length
# A long article's text, in characters. Beyond it the comparison of two versions would
# cost a reviewer's page seconds (cases/diff.py bounds it too).
TEXT_MAX = 50_000


def file_name(raw: str | None, fallback: str, limit: int = 200) -> str:
    """A file's name as sent, safe to keep and to serve: the fallback when nothing usable
    is left ("()", ":"), and at most `limit` characters with its extension kept."""
    try:
        name = get_valid_filename(os.path.basename(raw or ""))
    except SuspiciousFileOperation:  # nothing left once cleaned
        name = ""
    name = name or fallback
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:10] if dot and stem else ""
        name = name[: limit - len(extension) - 1].rstrip(".") + (
            f".{extension}" if extension else ""
        )
    return name


def _checked_title(title: str, required: str) -> str:
    """A title on one line, without control characters: it heads lists and mail subjects,
    where a line break makes every mail about the case fail."""
    title = "".join(" " if unicodedata.category(c) == "Cc" else c for c in title or "")
    title = " ".join(title.split())
    if not title:
        raise ActionError(ActionError.INVALID, "title_required", required)
    if len(title) > TITLE_MAX:
        raise ActionError(
            ActionError.INVALID,
            "title_too_long",
            _("The title is too long: at most %(limit)s characters.") % {"limit": TITLE_MAX},
        )
    return title


def _checked_text(text: str) -> str:
    if len(text) > TEXT_MAX:
        limit = number_format(TEXT_MAX, force_grouping=True)
        raise ActionError(
            ActionError.INVALID,
            "text_too_long",
            _("The text is too long: at most %(limit)s characters.") % {"limit": limit},
        )
    return text


def case_start(
    *,
    person: Person,
    sop_id: str,
    title: str,
    description: str = "",
    requesting_unit: Unit | None = None,
    channels: list[str] | None = None,
    desired_date: dt.date | None = None,
    now: dt.datetime | None = None,
    captions: dict[str, str] | None = None,
    hashtags: str = "",
    uploads: list | None = None,
) -> Case:
    """Open a case at the SOP's first step; only someone of the first lane may.

    `channels` None means every channel of the SOP; an empty list is refused when the SOP
    publishes. The starter may write content version 1 at once, whatever the first step:
    its `captions` (per chosen channel), `hashtags`, and `uploads` (letters, posters,
    videos), each checked as `attachment_add` checks a file, the images and videos in the
    version's media. A refused file refuses the start: no case, no file kept.
    """
    now = now or timezone.now()
    title = _checked_title(title, _("Give the case a title."))
    description = _checked_text(description or "")
    # The version the institution runs now, in the same statement as the check that it
    # runs the SOP at all.
    running = (
        OrgSop.objects.filter(organization_id=person.organization_id, sop_id=sop_id, active=True)
        .values_list("version_id", "version__sha256")
        .first()
    )
    if running is None:
        raise ActionError(
            ActionError.NOT_FOUND, "unknown_sop", _("Your institution does not run this SOP.")
        )
    version = _pin(sop_id, *running)
    if version is None:
        raise ActionError(ActionError.NOT_FOUND, "unknown_sop", _("This SOP is not available."))
    sop = definition(version)
    allowed = {c.platform for step in sop.steps for c in step.channels}
    chosen = list(dict.fromkeys(sorted(allowed) if channels is None else channels))
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        raise ActionError(
            ActionError.INVALID,
            "unknown_channel",
            _("This SOP does not publish to: %(channels)s.") % {"channels": ", ".join(unknown)},
        )
    if not chosen and allowed and any(step.kind == "publish" for step in sop.steps):
        raise ActionError(
            ActionError.INVALID, "channels_required", _("Choose at least one channel.")
        )
    captions = {k: v for k, v in (captions or {}).items() if k in chosen and v.strip()}
    _refuse_long_captions(captions)
    hashtags = (hashtags or "").strip()
    if len(hashtags) > HASHTAGS_MAX:
        raise ActionError(
            ActionError.INVALID,
            "hashtags_too_long",
            _("The hashtags are too long: at most %(limit)s characters.") % {"limit": HASHTAGS_MAX},
        )
    if requesting_unit and requesting_unit.organization_id != person.organization_id:
        raise ActionError(ActionError.INVALID, "unknown_unit", _("Unknown unit."))
    actor, on_behalf = actor_for(person, lanes_of(person, sop_id), sop.first_step.lane)
    try:
        transition = engine.start(sop, actor)
    except Refused as refusal:
        raise _refused(refusal) from refusal
    case = Case(
        organization_id=person.organization_id,
        sop_version=version,
        sop_id=sop_id,
        title=title,
        description=(description or "").strip(),
        requesting_unit=requesting_unit or person.unit,
        channels=chosen,
        desired_date=desired_date,
        state=transition.state.as_dict(),
        created_by=person,
    )
    # Every file is checked before anything is written (its type by its content, its size).
    files = [
        (upload, _checked(upload, case, person, sop.first_step.id)) for upload in uploads or []
    ]
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case.save(force_insert=True)
            content = ContentVersion.objects.create(
                case=case,
                number=1,
                title=title,
                narrative=case.description,
                captions=captions,
                hashtags=hashtags,
                created_by=person,
            )
            _apply(case, sop, transition, person, on_behalf, now)
            for upload, attachment in files:
                stored.append(
                    _attachment_store(
                        case, person, upload, sop.first_step.id, content, attachment=attachment
                    )
                )
    except BaseException:
        for attachment in stored:  # written, then rolled back: no orphan file
            attachment.file.delete(save=False)
            media.discard(attachment, attachment.stored_renditions)
        raise
    return case


def case_decide(
    *,
    person: Person,
    case_id: int,
    outcome: str,
    note: str = "",
    seen: int | None = None,
    now: dt.datetime | None = None,
    channels: list[str] | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Finish the case's current step with one of its outcomes.

    `seen` is the case's `lock_version` on the page or in the client that decided: if the
    step was finished since (a double click, or a colleague a second earlier), nothing
    happens and they are told. At a publish step, `channels` (all of the case's when
    None) and `at` (now when None) say where and when `publish` posts.
    """
    now = now or timezone.now()
    note = _checked_text(note or "")
    case, lanes, sop = _load_case(person, case_id)
    if seen is not None and seen != case.lock_version:
        raise _moved_on()
    state = CaseState.from_dict(case.state)
    actor, on_behalf = actor_for(person, lanes, case.current_lane)
    step_id = state.current[0] if len(state.current) == 1 else None
    outputs = outputs_attached(case, sop, step_id)
    try:
        transition = engine.advance(
            sop, state, actor, outcome, step=step_id, note=note, outputs=outputs
        )
    except Refused as refusal:
        if refusal.code == Refused.NOT_YOUR_LANE and _just_left_them(sop, state, lanes):
            raise _moved_on() from refusal  # they lost a race for their own step
        raise _refused(refusal) from refusal
    if _review_passes(sop, step_id, outcome):  # not with content a channel would refuse
        refusal = _fit().content_fit_refusal(case, case.versions.order_by("-number").first())
        if refusal is not None:
            raise refusal
    if _publication_starts(sop, transition):  # the step waits for its channels (below)
        return _publishing().publication_start(
            person=person, case=case, on_behalf=on_behalf, channels=channels, at=at, now=now
        )
    sent_back = any(event.kind == engine.SENT_BACK for event in transition.events)
    final_review = archive_hooks.concerns(sop, transition)
    # A step change that writes only the case and its timeline needs no transaction
    # around it: `_append` makes that write one (on PostgreSQL a single statement).
    with transaction.atomic() if sent_back or final_review else contextlib.nullcontext():
        approved = None
        if final_review:  # issue 5: consent first; the approval sheet with the change
            archive_hooks.before_decision(case=case, person=person)
            approved = _content_freeze(case, now)
        _apply(case, sop, transition, person, on_behalf, now, approved=approved)
        if sent_back:
            _new_content_version(case, person)
    return case


def outputs_attached(case: Case, sop: Sop, step_id: str | None) -> frozenset[str]:
    """The documents a step requires that were attached at it (in any of its rounds);
    no query for the many steps that require none."""
    if step_id is None or not sop.step(step_id).requires:
        return frozenset()
    found = case.attachments.filter(step_id=step_id).exclude(output="")
    return frozenset(found.values_list("output", flat=True))


def _just_left_them(sop: Sop, state: CaseState, lanes: dict) -> bool:
    """Did the case come to its current step from a step of one of `lanes`? Then whoever of
    those lanes acts now was a step behind: a colleague finished it first (a race, or a
    page opened before), and "moved on" tells them so, not "not your lane"."""
    return any(
        step.lane in lanes and state.visits.get(step.id)
        for step in sop.steps
        if any(way.next in state.current for way in step.exits())
    )


def _content_freeze(case: Case, now: dt.datetime) -> str:
    """The last review passes: its version is what will be published, as it is now. Its
    content SHA-256 is kept on the version and on the decision's timeline row."""
    version = case.versions.order_by("-number").prefetch_related("media").first()
    version.approved_sha256 = content_sha256(version)
    version.approved_at = now
    version.save(update_fields=["approved_sha256", "approved_at"])
    return version.approved_sha256


def case_withdraw(*, person: Person, case_id: int, note: str = "", now=None) -> Case:
    """The person who started a case takes it back."""
    return _close(
        person, case_id, now, lambda sop, state, actor: engine.withdraw(sop, state, actor, note)
    )


def case_cancel(*, person: Person, case_id: int, note: str, now=None) -> Case:
    """An institution administrator stops a case for good, saying why."""
    if not person.is_admin:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can cancel a case."),
        )
    return _close(
        person, case_id, now, lambda sop, state, actor: engine.cancel(sop, state, actor, note)
    )


def step_claim(*, person: Person, case_id: int) -> Case:
    """Take a case's open step from the team queue, so colleagues leave it."""
    case, lanes, _sop = _load_case(person, case_id)
    if case.status != "active" or case.current_lane not in lanes:
        raise ActionError(
            ActionError.FORBIDDEN, "not_your_lane", _("This step is not for your lane.")
        )
    if case.claimed_by_id not in (None, person.pk):
        raise ActionError(
            ActionError.CONFLICT, "claimed", _("A colleague has already taken this step.")
        )
    if case.claimed_by_id == person.pk:
        return case
    # Still the same visit and still free: a colleague's claim or a transition wins.
    free = Case.objects.filter(pk=case.pk, lock_version=case.lock_version, claimed_by=None)
    with transaction.atomic():
        if not free.update(claimed_by=person):
            raise _moved_on()
        _record(person, case, "step_claimed", step_id=case.current_step)
    case.claimed_by = person
    return case


def step_release(*, person: Person, case_id: int) -> Case:
    case, _lanes, _sop = _load_case(person, case_id)
    with transaction.atomic():
        if Case.objects.filter(pk=case.pk, claimed_by=person).update(claimed_by=None):
            _record(person, case, "step_released", step_id=case.current_step)
    case.claimed_by = None
    return case


def claims_release(*, person: Person, actor: Person) -> int:
    """Put back in their team's queue every step `person` had taken, because an
    administrator (`actor`) deactivated them; each case's timeline says so. In the
    caller's transaction. Returns how many steps were released."""
    released = 0
    for case in Case.objects.filter(organization_id=person.organization_id, claimed_by=person):
        with transaction.atomic():
            if Case.objects.filter(pk=case.pk, claimed_by=person).update(claimed_by=None):
                data = {"holder": person.pk, "holder_name": person.name}
                _record(actor, case, "step_released_for", step_id=case.current_step, data=data)
                released += 1
    return released


def timeline_add(
    *, person: Person, case: Case, kind: str, note: str = "", data: dict | None = None
) -> None:
    """Put something done around a case on its timeline, the case's audit chain: a
    download of an archived file, a retention decision, a consent record. For the other
    apps' actions; a case's own actions record their events themselves."""
    _record(person, case, kind, note=note, data=data)


def _file_data(attachment: Attachment) -> dict:
    data = {"file": attachment.key, "sha256": attachment.sha256, "size": attachment.size}
    if attachment.output:
        data["output"] = attachment.output  # the timeline says which document it is
    return data


def _refuse_long_captions(captions: dict[str, str]) -> None:
    """Refuse captions longer than their platform allows (its connector's rules), naming
    the platform as people write it and both counts; a caption is never cut."""
    limits = caption_limits()  # each platform's own, from its connector's rules
    problems = []
    for channel, text in captions.items():
        limit = limits.get(channel, 100_000)
        if len(text) > limit:
            problems.append(
                _(
                    "The caption for %(platform)s is too long: %(length)s characters;"
                    " at most %(limit)s."
                )
                % {
                    "platform": platform_label(channel),
                    "length": number_format(len(text), force_grouping=True),
                    "limit": number_format(limit, force_grouping=True),
                }
            )
    if problems:
        raise ActionError(ActionError.INVALID, "caption_too_long", " ".join(problems))


def content_save(
    *,
    person: Person,
    case_id: int,
    title: str,
    narrative: str = "",
    captions: dict[str, str] | None = None,
    hashtags: str = "",
) -> ContentVersion:
    """Write the content of the current version; only whoever may act on the step can."""
    case, _state = _load_case_at_work(person, case_id)
    title = _checked_title(title, _("The content needs a title."))
    narrative = _checked_text(narrative or "")
    captions = {k: v for k, v in (captions or {}).items() if k in case.channels}
    _refuse_long_captions(captions)  # kept as typed: refused, never cut
    version = case.versions.order_by("-number").first()
    version.title = title
    version.narrative = narrative or ""
    version.captions = captions
    version.hashtags = hashtags or ""
    with transaction.atomic():
        version.save(update_fields=["title", "narrative", "captions", "hashtags"])
        text = {"title": title, "narrative": version.narrative, "captions": captions}
        text["hashtags"] = version.hashtags
        data = {"version": version.number, "sha256": digest("", text)}
        _record(person, case, "content_saved", note=title, data=data)
    return version


def comment_add(*, person: Person, case_id: int, text: str) -> Comment:
    """Anyone who sees the case may comment; @username mentions a colleague who sees it too."""
    case, _lanes, _sop = _load_case(person, case_id)
    text = _checked_text((text or "").strip())
    if not text:
        raise ActionError(ActionError.INVALID, "empty", _("Write something first."))
    usernames = set(re.findall(r"@([\w.@+-]+)", text))
    mentioned = [
        p
        for p in Person.objects.filter(
            organization_id=case.organization_id, user__username__in=usernames
        )
        if visible_cases(p).filter(pk=case.pk).exists()
    ]
    with transaction.atomic():
        comment = Comment.objects.create(case=case, author=person, text=text[:5000])
        comment.mentions.set(mentioned)
        _record(person, case, "comment_added", note=comment.text, data={"comment": comment.pk})
        notifications.mentions_notify(comment=comment, people=mentioned)
    return comment


def case_mark_seen(*, person: Person, case: Case, number: int) -> int | None:
    """Remember that `person` saw content version `number`; return the one seen before."""
    seen = SeenVersion.objects.filter(case=case, person=person).values_list("number", flat=True)
    before = seen.first()
    if before != number:
        SeenVersion.objects.update_or_create(case=case, person=person, defaults={"number": number})
    return before


# What may be uploaded, told by the file's content, never by its name.
UPLOAD_TYPES = {
    "application/pdf": ("document", ".pdf"),
    "image/jpeg": ("image", ".jpg"),
    "image/png": ("image", ".png"),
    "image/webp": ("image", ".webp"),
    "image/heic": ("image", ".heic"),  # photos from phones; previews and renditions are JPEG
    "image/heif": ("image", ".heif"),
    "video/mp4": ("video", ".mp4"),
    "video/quicktime": ("video", ".mov"),
    "video/webm": ("video", ".webm"),
}
UPLOAD_LIMITS = {"document": 20 * 2**20, "image": 20 * 2**20, "video": 2 * 2**30}


def checked_upload(
    upload,
    *,
    case: Case,
    person: Person,
    step_id: str,
    refusal: str,
    types: dict[str, tuple[str, str]] = UPLOAD_TYPES,
    default_name: str = "file",
) -> Attachment:
    """An unsaved attachment of `case` for `upload`: its type told by its content, never by
    its name (one of `types`, else refused with `refusal`), within the size allowed for its
    kind, its name cleaned, its SHA-256 taken. The caller saves the file and the row."""
    head = upload.read(8192)
    upload.seek(0)
    found = filetype.guess(head)
    mime = found.mime if found else ""
    if mime not in types:
        raise ActionError(ActionError.INVALID, "file_type", refusal)
    category, extension = types[mime]
    if upload.size > UPLOAD_LIMITS[category]:
        raise ActionError(
            ActionError.INVALID,
            "file_size",
            _("The file is too large: at most %(mb)d MB for this kind of file.")
            % {"mb": UPLOAD_LIMITS[category] // 2**20},
        )
    if category == "document" and media.pdf_is_active(upload):
        raise ActionError(
            ActionError.INVALID,
            "pdf_active",
            _(
                "This PDF holds a script or an action that runs something, which a letter "
                "does not need. Print it to PDF again, or scan it, and upload that."
            ),
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = file_name(upload.name, f"{default_name}{extension}")
    return Attachment(
        case=case,
        key=secrets.token_hex(16),
        name=name,
        kind=category,
        content_type=mime,
        extension=extension,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=person,
        step_id=step_id,
    )


def _upload_refusal() -> str:
    return _(
        "This file is not a PDF, an image (JPEG, PNG, WebP, HEIC) or a video (MP4, MOV, WebM)."
    )


def _checked(upload, case: Case, person: Person, step_id: str) -> Attachment:
    return checked_upload(
        upload, case=case, person=person, step_id=step_id, refusal=_upload_refusal()
    )


def _attachment_store(
    case: Case,
    person: Person,
    upload,
    step_id: str,
    version: ContentVersion | None = None,
    *,
    attachment: Attachment | None = None,
    replaces: tuple[ContentVersion, list[int], int] | None = None,
) -> Attachment:
    """Keep `upload` with `case`: the one way a case's file is stored (`attachment_add`,
    `case_start`). Checked by `checked_upload` unless `attachment` is its result already;
    the file stored, its row written, an image or video put into `version`'s media (the
    case's latest version when None), the upload recorded on the timeline. The rows in
    one transaction (the caller's, if any); the file deleted again if they fail.

    `replaces`: (version, its media order, the file) the upload takes the place of."""
    if attachment is None:
        attachment = _checked(upload, case, person, step_id)
    attachment.case = case  # the case may have been saved since the check
    made = media.examine(attachment, upload, case.channels)  # facts, preview, renditions
    attachment.file.save("upload", upload, save=False)
    renditions = media.keep(attachment, made)
    # What a caller's transaction must remove again if it rolls back (case_start).
    attachment.stored_renditions = renditions
    try:
        with transaction.atomic():
            attachment.save()
            _renditions_save(attachment, renditions)
            data = _file_data(attachment)
            if replaces is not None:
                version, order, old = replaces
                version.media.add(attachment)
                version.media.remove(old)
                version.media_order = [attachment.pk if pk == old else pk for pk in order]
                version.save(update_fields=["media_order"])
                data["replaces"] = old
            elif attachment.kind in ("image", "video") and not attachment.output:
                version = version or case.versions.order_by("-number").first()
                version.media.add(attachment)
            kind = "file_replaced" if replaces is not None else "file_added"
            _record(person, case, kind, note=attachment.name, data=data)
    except BaseException:
        attachment.file.delete(save=False)  # no orphan file when the row cannot be written
        media.discard(attachment, renditions)
        raise
    return attachment


def attachment_add(
    *, person: Person, case_id: int, upload, replaces: int | None = None, output: str = ""
) -> Attachment:
    """Keep an uploaded letter, poster or video with the case, checked by its content.

    `replaces`: an image or video of the version being produced that the upload takes the
    place of (same position); earlier versions keep the file they had. `output`: the SOP
    document the file is (a signed request form), one the current step `requires`; such a
    file, even a photo, is a document of the case, not part of its content.
    """
    case, state = _load_case_at_work(person, case_id, content=False)
    old = (*_version_file(case, replaces), replaces) if replaces is not None else None
    step_id = state.current[0] if state.current else ""
    output = (output or "").strip()
    if output:
        step = definition(case.sop_version).step(step_id)
        if output not in step.requires or old is not None:
            raise ActionError(
                ActionError.INVALID,
                "unknown_output",
                _("This step does not ask for that document."),
            )
    attachment = _checked(upload, case, person, step_id)
    attachment.output = output
    if output:
        pass  # a required document, never content
    elif attachment.kind in ("image", "video"):  # content; a letter is not
        content_editable(definition(case.sop_version), state)
    elif old is not None:
        raise ActionError(
            ActionError.INVALID,
            "file_type",
            _("An image or a video can only be replaced by an image or a video."),
        )
    return _attachment_store(case, person, upload, step_id, attachment=attachment, replaces=old)


def _version_file(case: Case, attachment_id: int) -> tuple[ContentVersion, list[int]]:
    """The newest version and its media order, if `attachment_id` is one of its files."""
    version = case.versions.order_by("-number").prefetch_related("media").first()
    order = [a.pk for a in version.ordered_media()]
    if attachment_id not in order:
        raise ActionError(
            ActionError.NOT_FOUND,
            "no_such_file",
            _("This file is not part of the content being produced."),
        )
    return version, order


def version_media_remove(*, person: Person, case_id: int, attachment_id: int) -> ContentVersion:
    """Take an image or video out of the version being produced. The file stays with the
    case (earlier versions and the archive keep it)."""
    case, _state = _load_case_at_work(person, case_id)
    version, order = _version_file(case, attachment_id)
    name = next(a.name for a in version.media.all() if a.pk == attachment_id)
    with transaction.atomic():
        version.media.remove(attachment_id)
        version.media_order = [pk for pk in order if pk != attachment_id]
        version.save(update_fields=["media_order"])
        data = {"file": name, "version": version.number, "attachment": attachment_id}
        _record(person, case, "file_removed", note=name, data=data)
    return version


def version_media_order(*, person: Person, case_id: int, order: list[int]) -> ContentVersion:
    """Set the order of the version's images and videos; the first image is the main one
    (the approval sheet's thumbnail, the cover of a carousel). `order` names each file of
    the version once."""
    case, _state = _load_case_at_work(person, case_id)
    version = case.versions.order_by("-number").prefetch_related("media").first()
    current = [a.pk for a in version.ordered_media()]
    if sorted(order) != sorted(current) or len(set(order)) != len(order):
        raise ActionError(
            ActionError.INVALID,
            "bad_order",
            _("Name each image and video of the content once, in the order wanted."),
        )
    if order != current:
        with transaction.atomic():
            version.media_order = list(order)
            version.save(update_fields=["media_order"])
            data = {"version": version.number, "order": list(order)}
            _record(person, case, "media_reordered", data=data)
    return version


def version_media_move(
    *, person: Person, case_id: int, attachment_id: int, change: str
) -> ContentVersion:
    """Move one image or video of the version being produced: `up`, `down`, or `main`
    (first: the main image)."""
    case, _state = _load_case_at_work(person, case_id)
    _version, order = _version_file(case, attachment_id)
    at = order.index(attachment_id)
    order.pop(at)
    order.insert({"main": 0, "up": max(at - 1, 0)}.get(change, at + 1), attachment_id)
    return version_media_order(person=person, case_id=case_id, order=order)


def renditions_ensure(attachments: list[Attachment], channels: list[str]) -> list[Attachment]:
    """Make the renditions `channels` need of images that lack them (uploaded before a
    channel was added, or before renditions existed); the renditions made.

    An image whose renditions already fit every channel costs one query and no read."""
    from siaran.publishing.connectors import rules_for
    from siaran.publishing.media import MediaFile
    from siaran.publishing.rules import file_problems

    made = []
    for attachment in attachments:
        if attachment.kind != "image" or attachment.original_id:
            continue
        item = MediaFile(attachment)
        unfit = [
            channel
            for channel, rules in ((c, rules_for(c)) for c in channels)
            if "image" in rules.kinds and file_problems(rules, item.fitting(rules))
        ]
        if not unfit:
            continue
        try:
            with attachment.file.storage.open(attachment.file.name, "rb") as upload:
                probe = Attachment(
                    case_id=attachment.case_id,
                    name=attachment.name,
                    kind="image",
                    content_type=attachment.content_type,
                    size=attachment.size,
                    uploaded_by_id=attachment.uploaded_by_id,
                    step_id=attachment.step_id,
                )
                result = media.examine_image(probe, upload, unfit)
        except Exception:  # an unreadable old file keeps its problems, which the page names
            log.warning("no rendition of attachment %s", attachment.pk, exc_info=True)
            continue
        if not result.copies:
            continue
        renditions = media.keep(probe, media.Made(copies=result.copies))
        try:
            with transaction.atomic():
                _renditions_save(attachment, renditions)
        except Exception:
            media.discard(probe, renditions)
            raise
        made += renditions
    return made


def _renditions_save(original: Attachment, renditions: list[Attachment]) -> None:
    """Write the rows of the platform copies `media.keep` stored, once the original's is
    written (in the same transaction)."""
    for rendition in renditions:
        rendition.original = original
        rendition.save()


# -- inside ---------------------------------------------------------------------------


_CASES = Table(Case)
_EVENTS = Table(CaseEvent)


def _load_case(person: Person, case_id: int) -> tuple[Case, dict[str, Person | None], Sop]:
    """The case if `person` may see it, with their lanes in its SOP and its definition.

    One statement: the case, its SOP version's digest and the person's seats in its SOP,
    one row per seat (or one row with no seat).
    """
    seats, seat_params = seats_sql(person)
    with connection.cursor() as cursor:
        cursor.execute(_load_case_sql(seats), [*seat_params, case_id, person.organization_id])
        rows = cursor.fetchall()
    case = _CASES.from_row(rows[0]) if rows else None
    lanes = lanes_from(person, [row[-2:] for row in rows if row[-2] is not None])
    if case is None or not can_see(person, case, lanes):
        raise ActionError(ActionError.NOT_FOUND, "not_found", _("No such case."))
    return case, lanes, definition_of(rows[0][-3], case.sop_version_id)


@functools.cache
def _load_case_sql(seats: str) -> str:
    versions = connection.ops.quote_name(SopVersion._meta.db_table)
    return (
        f"SELECT {_CASES.columns('c')}, v.sha256, s.lane_id, s.person_id"  # noqa: S608
        f" FROM {_CASES.name} c JOIN {versions} v ON v.id = c.sop_version_id"
        f" LEFT JOIN ({seats}) s ON s.sop_id = c.sop_id"
        " WHERE c.id = %s AND c.organization_id = %s"
    )


def _pin(sop_id: str, version_id: int | None, sha256: str | None) -> SopVersion | None:
    """The stored version a new case of the SOP runs on to the end, whatever later becomes
    of the SOP: the one the institution installed (`version_id`), or else the file of the
    deployment as it is now, stored if new."""
    if version_id is not None:
        # Only what `definition` and the case's row need: no second statement.
        return SopVersion(pk=version_id, sop_id=sop_id, sha256=sha256)
    text = sops.catalog().texts.get(sop_id)
    if text is None:
        return None
    version, _created = SopVersion.objects.get_or_create(
        sha256=SopVersion.digest(text), defaults={"sop_id": sop_id, "text": text}
    )
    return version


def _load_case_at_work(
    person: Person, case_id: int, *, content: bool = True
) -> tuple[Case, CaseState]:
    """A running case whose current step `person` may work on (content, files).

    Nothing changes once the last review approved the content (it is frozen until a
    send-back). `content`: the change touches the content (text, captions, images,
    videos), which only the SOP's content-editing steps may change; a letter (PDF) may be
    added at any step.
    """
    case, lanes, sop = _load_case(person, case_id)
    state = CaseState.from_dict(case.state)
    if state.closed:
        raise ActionError(ActionError.CONFLICT, "case_closed", _("This case is closed."))
    if not any(sop.step(s).lane in lanes for s in state.current):
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_your_lane",
            _("Only the people of the current step can change the content or add files."),
        )
    # Only a send-back makes a new version, so the newest one tells whether it is frozen.
    if case.versions.order_by("-number").values_list("approved_sha256", flat=True).first():
        raise content_locked(
            _(
                "The content was approved and is frozen: what is published is what was "
                "approved. To change it, a reviewer must send the case back."
            )
        )
    if content:
        content_editable(sop, state)
    return case, state


def content_editable(sop: Sop, state: CaseState) -> None:
    """Refuse a change of the content at a step that does not make or edit it."""
    if any(sop.edits_content(s) for s in state.current):
        return
    editing = [localized(step, "activity") for step in sop.steps if sop.edits_content(step.id)]
    raise content_locked(
        _(
            "The content is not changed at this step: reviewers comment and send back. "
            "It is written at: %(steps)s."
        )
        % {"steps": "; ".join(editing)}
    )


def content_locked(message: str) -> ActionError:
    return ActionError(ActionError.CONFLICT, "content_locked", message)


def _close(person: Person, case_id: int, now, decide) -> Case:
    now = now or timezone.now()
    case, lanes, sop = _load_case(person, case_id)
    state = CaseState.from_dict(case.state)
    actor, _on_behalf = actor_for(person, lanes)
    try:
        transition = decide(sop, state, actor)
    except Refused as refusal:
        raise _refused(refusal) from refusal
    with transaction.atomic():
        _apply(case, sop, transition, person, None, now)
    return case


def _new_content_version(case: Case, person: Person) -> None:
    """A send-back starts a new version from the last one, so reviewers see what changed."""
    last = case.versions.order_by("-number").prefetch_related("media").first()
    version = ContentVersion.objects.create(
        case=case,
        number=last.number + 1,
        title=last.title,
        narrative=last.narrative,
        captions=last.captions,
        hashtags=last.hashtags,
        media_order=last.media_order,
        created_by=person,
    )
    version.media.set(last.media.all())


def _apply(
    case: Case,
    sop: Sop,
    transition: Transition,
    person: Person,
    on_behalf: Person | None,
    now: dt.datetime,
    approved: str | None = None,
) -> None:
    """Write one transition: the case's new state and open step, and its timeline rows.

    Two statements. The case must still be at the version it was read at; otherwise
    someone acted first (a double click, a colleague a second earlier) and nothing is
    written. A `step_done` row keeps the finished visit: lane, start, due time, end.
    """
    state = transition.state
    values = {
        "lock_version": Increment,
        "state": state.as_dict(),
        "status": state.status,
        "rework_count": state.reworks,
        "closed_at": now if state.closed else None,
        "updated_at": now,
    }
    entered = [e.step for e in transition.events if e.kind == engine.STEP_ENTERED]
    if state.closed or entered:
        step = sop.step(entered[-1]) if entered and not state.closed else None
        calendar = calendar_of(person.organization)  # built once per process and change
        # An open-ended step ("sewaktu-waktu") has no due time, so no reminder and no
        # escalation either.
        due = calendar.due(now, step.time) if step else None
        remind_at, escalate_at = step_timers(calendar, now, due) if due else (None, None)
        values.update(
            current_step=step.id if step else "",
            current_lane=step.lane if step else "",
            current_round=state.visits[step.id] if step else 0,
            current_since=now if step else None,
            current_due=due,
            remind_at=remind_at,  # read by the step timers: no task is queued here
            escalate_at=escalate_at,
            claimed_by_id=None,
        )
    # Only what changes is set: SQLite then leaves alone the indexes of the columns that
    # keep their value (the status, the claim), and their pages stay out of the commit.
    values = {k: v for k, v in values.items() if v is Increment or getattr(case, k) != v}
    taken = int((now - case.current_since).total_seconds()) if case.current_since else None
    rows = [
        _event_row(
            case,
            event.kind,
            now,
            actor=person if event.actor else None,
            on_behalf=on_behalf if event.actor else None,
            step_id=event.step or "",
            outcome=event.outcome or "",
            note=event.note,
            round=event.round,
            to_step=event.to_step or "",
            visit=event.kind == engine.STEP_DONE,
            seconds_taken=taken,
            # The approving decision names what it approved, in the audit chain.
            data={"content_sha256": approved}
            if approved and event.kind == engine.STEP_DONE and event.actor
            else None,
        )
        for event in transition.events
    ]
    _append(case, rows, values, lock_version=case.lock_version)
    values["lock_version"] = case.lock_version + 1
    for name, value in values.items():
        setattr(case, name, value)
    notifications.transition_notify_on_commit(case, transition.events, person, now)


def _event_row(
    case: Case,
    kind: str,
    at: dt.datetime,
    *,
    actor: Person | None = None,
    on_behalf: Person | None = None,
    step_id: str = "",
    outcome: str = "",
    note: str = "",
    round: int = 0,
    to_step: str = "",
    visit: bool = False,
    seconds_taken: int | None = None,
    data: dict | None = None,
) -> dict:
    """A timeline row as `_append` writes it; `visit` marks a finished step visit."""
    return {
        "case_id": case.pk,
        "kind": kind,
        "step_id": step_id,
        "outcome": outcome,
        "actor_id": actor.pk if actor else None,
        "on_behalf_of_id": on_behalf.pk if on_behalf else None,
        "note": note,
        "round": round,
        "to_step": to_step,
        "at": at,
        "lane_id": case.current_lane if visit else "",
        "started_at": case.current_since if visit else None,
        "due_at": case.current_due if visit else None,
        "seconds_taken": seconds_taken if visit else None,
        "data": data or {},
    }


def _append(case: Case, rows: list[dict], values: dict, lock_version: int | None = None) -> None:
    """Add `rows` to the case's timeline, each chained to the one before, and update the
    case with `values` in the same conditional UPDATE: both or neither, in the caller's
    transaction if there is one, else as a transaction of their own.

    The UPDATE holds only if nobody appended meanwhile (and, for a transition, the case
    is still at `lock_version`). When only the timeline grew (a comment or a file a
    moment earlier), the rows are chained anew onto its new end and written; when the
    case moved on, the caller's user is told.
    """
    where = (
        {"id": case.pk} if lock_version is None else {"id": case.pk, "lock_version": lock_version}
    )
    for _attempt in range(5):
        previous = case.last_hash
        for seq, row in enumerate(rows, case.last_event + 1):
            row["seq"], row["prev_hash"] = seq, previous
            row["hash"] = previous = digest(previous, {k: row[k] for k in CaseEvent.HASHED})
        values.update(last_event=case.last_event + len(rows), last_hash=previous)
        if _CASES.update_then_insert(
            values, {**where, "last_event": case.last_event}, _EVENTS, rows
        ):
            case.last_event, case.last_hash = values["last_event"], values["last_hash"]
            return
        head = Case.objects.filter(pk=case.pk).values("lock_version", "last_event", "last_hash")
        head = head.first()
        if head is None or (lock_version is not None and head["lock_version"] != lock_version):
            raise _moved_on()
        case.last_event, case.last_hash = head["last_event"], head["last_hash"]
    raise _moved_on()


def _record(person: Person, case: Case, kind: str, **fields) -> None:
    """One timeline row for something done on a case besides deciding: a comment, a
    file, a content save, a claim, a download. Its own transaction unless inside one."""
    row = _event_row(case, kind, timezone.now(), actor=person, **fields)
    _append(case, [row], {"updated_at": row["at"]})


# -- publishing -------------------------------------------------------------------------
# The publish step's `publish` does not close the case at once: siaran.publishing makes
# one publish job per channel and the case waits as `publishing`, its engine state still
# at the publish step. When the last channel is published or done by hand,
# `case_publication_finish` finishes the step through the engine: the case is published.


def _publishing():
    from siaran.publishing import actions  # it imports this module

    return actions


def _fit():
    from siaran.publishing import fit  # it imports this module

    return fit


def _review_passes(sop: Sop, step_id: str | None, outcome: str) -> bool:
    """A review step's outcome that sends the content forward, not back for rework."""
    step = sop.step(step_id) if step_id else None
    if step is None or step.kind != "review":
        return False
    chosen = step.outcome(outcome)
    return chosen is not None and not sop.is_rework(step.id, chosen)


def _publication_starts(sop: Sop, transition: Transition) -> bool:
    return any(
        event.kind == engine.STEP_DONE
        and event.outcome == PUBLISH
        and sop.step(event.step).kind == "publish"
        for event in transition.events
    )


def case_publishing_event(
    *,
    case_id: int,
    kind: str,
    now: dt.datetime,
    channel: str = "",
    person: Person | None = None,
    on_behalf: Person | None = None,
    note: str = "",
    status: str | None = None,
    locked: dict | None = None,
    case: Case | None = None,
) -> None:
    """Add a publishing event to the case's timeline (its audit chain), and set its status
    when given. `outcome` holds the channel.

    In the caller's transaction. Either `case` is the case as the caller read it, and the
    event is written only if the case has not moved on since, as a transition is (and
    `case` follows the change); or the case row is locked first (or was, and `locked`
    holds its `status`), so that two workers' events take turns in the chain.
    """
    lock_version = None
    if case is not None:
        current, lock_version = case.status, case.lock_version
    else:
        if locked is None:
            locked = Case.objects.select_for_update().filter(pk=case_id).values("status").get()
        current = locked["status"]
        case = Case.objects.only("pk", "last_event", "last_hash").get(pk=case_id)
    values: dict = {"updated_at": now}
    if status and status != current:
        values.update(status=status, lock_version=Increment)
    row = _event_row(case, kind, now, actor=person, on_behalf=on_behalf, outcome=channel, note=note)
    _append(case, [row], values, lock_version=lock_version)
    if lock_version is not None and "status" in values:
        case.status, case.lock_version = status, lock_version + 1


def case_publication_finish(*, case_id: int, person: Person, now: dt.datetime) -> Case:
    """Finish the publish step of a case whose every channel is published.

    The engine closes the case as published, recording `person` (who pressed publish)
    as finishing the step. In the caller's transaction, which holds the case row.
    """
    case = Case.objects.select_related("sop_version").get(pk=case_id)
    sop = definition(case.sop_version)
    step = sop.step(case.current_step)
    actor = Actor(id=str(person.pk), lanes=frozenset({step.lane}))
    transition = engine.advance(sop, CaseState.from_dict(case.state), actor, PUBLISH, step.id)
    _apply(case, sop, transition, person, None, now)
    return case
