"""Pages for working cases. Every change goes through `actions`; every read is scoped."""

from __future__ import annotations

import copy
import datetime as dt
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.core import ids, sops
from siaran.core.templatetags.siaran import case_url_prefix, localized, when_formatter
from siaran.orgs.models import Person
from siaran.orgs.selectors import lanes_of
from siaran.publishing import views as publishing_views
from siaran.publishing.connectors import caption_limits
from siaran.publishing.fit import content_fit_refusal
from siaran.publishing.preview import content_previews
from siaran.sop.engine import CaseState

from . import actions
from .actions import ActionError
from .definitions import definition, definition_by_id
from .diff import version_diff
from .downloads import ATTACHMENT, download, stored_file_headers
from .selectors import open_tasks, seats_of, started_by, visible_cases


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


@login_required
def inbox(request: HttpRequest):
    person = _person(request)
    seats = seats_of(person)
    now = timezone.now()
    query = request.GET.get("q", "").strip()
    page = _page_number(request, "page")
    tasks = open_tasks(
        person, seats, title=query, offset=(page - 1) * INBOX_PAGE, limit=INBOX_PAGE + 1
    )
    more = len(tasks) > INBOX_PAGE
    tasks = tasks[:INBOX_PAGE]
    activities = {}  # (version, step) -> its activity: many tasks wait at the same few steps
    for task in tasks:
        key = (task.sop_version_id, task.current_step)
        if key not in activities:
            # The case's own version: one running on an earlier one may wait at a step
            # the institution's current version renamed or dropped.
            sop = definition_by_id(task.sop_version_id)
            activities[key] = localized(sop.step(task.current_step), "activity")
        task.activity = activities[key]
        task.overdue = task.current_due is not None and task.current_due < now
    mine = [t for t in tasks if t.claimed_by_id in (None, person.pk)]
    mine_page = _page_number(request, "mine_page")
    started = []
    if not query:  # a search shows "found" instead
        started = started_by(person, limit=STARTED_PAGE + 1, offset=(mine_page - 1) * STARTED_PAGE)
    return render(
        request,
        "cases/inbox.html",
        {
            "task_rows": _task_rows(mine),
            "taken": [t for t in tasks if t.claimed_by_id not in (None, person.pk)],
            "page": page,
            "more": more,
            "started": started[:STARTED_PAGE],
            "mine_page": mine_page,
            "mine_more": len(started) > STARTED_PAGE,
            "found": visible_cases(person, seats)
            .filter(title__icontains=query)
            .only("title", "status")[:50]
            if query
            else [],
            "query": query,
            "startable": _startable_sops(person, seats),
        },
    )


INBOX_PAGE = 50  # steps per page of the inbox, the most urgent first
STARTED_PAGE = 20  # cases per page of "Cases I started", the newest first


def _page_number(request: HttpRequest, name: str) -> int:
    return min(ids.number(request.GET.get(name), 1), 10**6)


def _task_rows(tasks: list) -> str:
    """The inbox's rows, as one piece of HTML ("" for none). Written here rather than in
    the template because each template tag in a row cost about as much as Python building
    the whole row, and the inbox is the page everyone opens all day (bench/README.md,
    figure 3). The markup is what cases/inbox.html wrote before. Every value goes through
    `escape` (the standard library's, which Django's own escaping calls, without its
    checks for lazy text)."""
    overdue = f"<strong>{escape(_('Overdue'))}</strong> · "
    danger = "list-group-item-danger"
    due = escape(_("due"))
    any_time = escape(_("any time"))  # an open-ended step has no due time
    take, release, taken = escape(_("Take")), escape(_("Release")), escape(_("Taken by you"))
    case_url, when = escape(case_url_prefix()), when_formatter()
    activities = {}  # each step's activity escaped once: many tasks wait at the same steps
    rows = []
    for task in tasks:
        activity = activities.get(task.activity)
        if activity is None:
            activity = activities[task.activity] = escape(task.activity)
        if task.claimed_by_id:
            action = (
                f'<span class="small text-secondary">{taken}</span>\n'
                f'      <button form="release-form" name="case" value="{task.pk}"'
                f' class="btn btn-sm btn-outline-secondary">{release}</button>'
            )
        else:
            action = (
                f'<button form="claim-form" name="case" value="{task.pk}"'
                f' class="btn btn-sm btn-outline-primary">{take}</button>'
            )
        rounds = ""
        if task.current_round > 1:
            text = escape(_("round %(n)s") % {"n": task.current_round})
            rounds = f'\n      <span class="badge text-bg-warning">{text}</span>'
        rows.append(
            f'<div class="list-group-item {danger if task.overdue else ""}">\n'
            '    <div class="d-flex justify-content-between flex-wrap gap-2">\n'
            f'      <a class="fw-semibold" href="{case_url}{task.pk}/">'
            f"{escape(task.title)}</a>\n"
            f'      <span class="small">{overdue if task.overdue else ""}{due}'
            f" {escape(when(task.current_due)) if task.current_due else any_time}</span>\n"
            "    </div>\n"
            f'    <div class="small">{activity}{rounds}</div>\n'
            f'    <div class="mt-1">\n      {action}\n    </div>\n'
            "  </div>\n"
        )
    return mark_safe("  ".join(rows))  # noqa: S308 (every value above is escaped)


def _startable_sops(person: Person, seats: set[tuple[str, str]] | None = None):
    """The SOPs whose first lane `person` sits in: the ones they may start a case of."""
    seats = seats_of(person) if seats is None else seats
    found = (sops.running(person.organization, sop_id) for sop_id, _lane in seats)
    return sorted(
        {sop.id: sop for sop in found if sop and (sop.id, sop.first_step.lane) in seats}.values(),
        key=lambda sop: sop.name,
    )


@login_required
def case_new(request: HttpRequest):
    """Start a case and write its content version 1 in one go: title, description, a
    caption per chosen channel, hashtags and files (letters, posters, videos)."""
    person = _person(request)
    startable = _startable_sops(person)
    if not startable:
        raise PermissionDenied(_("You are not in the first lane of any SOP."))
    wanted = request.POST.get("sop") or request.GET.get("sop")
    sop = next((s for s in startable if s.id == wanted), startable[0])
    status = 200
    if request.method == "POST":
        try:
            case = _case_start(request, person)
        except ActionError as error:
            messages.error(request, error.message)
            status = error.status
        else:
            messages.success(request, _("The case has started."))
            return redirect("cases:detail", case.pk)
    channels = list({c.platform: c for step in sop.steps for c in step.channels}.values())
    limits = caption_limits()
    ticked = set(request.POST.getlist("channels")) if request.method == "POST" else None
    return render(
        request,
        "cases/new.html",
        {
            "startable": startable,
            "sop": sop,
            "channels": [
                {
                    "channel": channel,
                    "platform": channel.platform,
                    "limit": limits.get(channel.platform, 100_000),
                    "limit_text": number_format(
                        limits.get(channel.platform, 100_000), force_grouping=True
                    ),
                    "ticked": ticked is None or channel.platform in ticked,
                    "caption": request.POST.get(f"caption_{channel.platform}", ""),
                }
                for channel in channels
            ],
            "form": request.POST,
            "upload_types": ",".join(actions.UPLOAD_TYPES),
        },
        status=status,
    )


def _case_start(request: HttpRequest, person: Person):
    desired = request.POST.get("desired_date") or None
    try:
        desired_date = dt.date.fromisoformat(desired) if desired else None
    except ValueError:
        raise ActionError(
            ActionError.INVALID, "bad_date", _("Write the date as YYYY-MM-DD.")
        ) from None
    return actions.case_start(
        person=person,
        sop_id=request.POST.get("sop", ""),
        title=request.POST.get("title", ""),
        description=request.POST.get("description", ""),
        channels=request.POST.getlist("channels"),  # none ticked: refused if it publishes
        desired_date=desired_date,
        captions=_captions(request),
        hashtags=request.POST.get("hashtags", ""),
        uploads=request.FILES.getlist("files"),
    )


def _captions(request: HttpRequest) -> dict[str, str]:
    """The `caption_<channel>` fields, with a browser's CRLF line ends counted as the
    platforms and the page's counter count them: one character each."""
    return {
        key.removeprefix("caption_"): value.replace("\r\n", "\n")
        for key, value in request.POST.items()
        if key.startswith("caption_")
    }


@login_required
def case_detail(request: HttpRequest, case_id: int):
    person = _person(request)
    case = (
        visible_cases(person)
        .select_related("sop_version")
        .defer("sop_version__text")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    sop = definition(case.sop_version)
    state = CaseState.from_dict(case.state)
    step = sop.step(case.current_step) if case.current_step else None
    my_lanes = lanes_of(person, case.sop_id)
    can_act = bool(step and step.lane in my_lanes)
    versions = list(case.versions.order_by("number").prefetch_related("media"))
    content = versions[-1] if versions else None
    draft = request.session.pop(_draft_key(case.pk), None)
    if draft and content and can_act:  # refused content (a caption too long), not lost
        content = copy.copy(content)
        for name, value in draft.items():
            setattr(content, name, value)
    events = list(case.events.select_related("actor", "on_behalf_of").order_by("seq"))
    steps = {s.id: s for s in sop.steps}
    for event in events:
        event.step = steps.get(event.step_id)
    # What changed since the version this person last decided on (a reviewer after a
    # send-back, the one who sent it back included), else since the one they last saw.
    # (A case disposed of under the retention schedule has no content left.)
    seen = (
        actions.case_mark_seen(person=person, case=case, number=content.number) if content else None
    )
    decided = _decided_version(events, person, sop)
    base = decided or seen
    changes = None
    if base and base < content.number:
        changes = version_diff(versions[base - 1], content)
    can_edit = bool(
        can_act and content and not content.frozen and sop.edits_content(case.current_step)
    )
    media = content.ordered_media() if content else []
    in_version = {a.pk for a in media}
    publishing = publishing_views.case_page(case, content, can_act)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "sop": sop,
            "state": state,
            "step": step,
            "can_act": can_act,
            "can_edit": can_edit,
            "acting_for": my_lanes.get(step.lane) if can_act else None,
            "overdue": bool(step and case.current_due and case.current_due < timezone.now()),
            "content": content,
            "media": media,
            "versions": versions,
            "events": events,
            "sent_back": _sent_back_to(events, case) if step else None,
            "can_withdraw": not state.closed and case.created_by_id == person.pk,
            "changes": changes,
            "changes_since_decided": bool(decided),
            # At a review step the content is shown above the decision, as it will appear.
            "review_preview": bool(step and step.kind == "review" and content),
            # A review cannot pass content a channel would refuse: its "yes" is disabled.
            "fit_refusal": content_fit_refusal(case, content, publishing["channels_unfit"])
            if can_act and step.kind == "review"
            else None,
            "previews": content_previews(case.channels, content),
            # Letters and earlier versions' files; copies made for platforms are not shown.
            "attachments": _with_output_labels(
                sop,
                [
                    a
                    for a in case.attachments.filter(original=None)
                    .select_related("uploaded_by")
                    .order_by("pk")
                    if a.pk not in in_version
                ],
            ),
            # The documents the step requires before it finishes, ticked when attached.
            "required_documents": _required_documents(case, sop, step),
            "comments": case.comments.select_related("author").order_by("pk"),
            **publishing,
        },
    )


def _required_documents(case, sop, step) -> list[tuple]:
    if step is None or not step.requires:
        return []
    attached = actions.outputs_attached(case, sop, step.id)
    return [(sop.document(d), d in attached) for d in step.requires]


def _with_output_labels(sop, attachments: list) -> list:
    """Each file that is one of the SOP's documents carries that document's label."""
    labels = {d.id: localized(d, "label") for d in sop.documents}
    for attachment in attachments:
        attachment.output_label = labels.get(attachment.output, attachment.output)
    return attachments


def _decided_version(events: list, person: Person, sop) -> int | None:
    """The content version `person` last decided on at a review step of the case: the
    first version, plus one for each send-back before their decision."""
    sent_back, decided = 0, None
    for event in events:
        if event.kind == "sent_back":
            sent_back += 1
        elif (
            event.kind == "step_done"
            and event.actor_id == person.pk
            and event.step is not None
            and event.step.kind == "review"
        ):
            decided = sent_back + 1
    return decided


def _sent_back_to(events: list, case):
    """The send-back that brought the case to its current step visit, if one did: who,
    when and why, shown at the top of the reworked step."""
    if case.current_round < 2:
        return None
    for event in reversed(events):
        if event.kind == "sent_back":
            return event if event.to_step == case.current_step else None
        if event.kind == "step_entered" and event.step_id != case.current_step:
            return None
    return None


def _act(request: HttpRequest, call, success: str = "") -> None:
    """Run an action for a page: an unknown case is a 404, any other refusal a message."""
    try:
        call()
    except ActionError as error:
        if error.status == ActionError.NOT_FOUND:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        if success:
            messages.success(request, success)


@login_required
@require_POST
def case_decide(request: HttpRequest, case_id: int):
    seen = request.POST.get("seen", "")
    try:  # a publish step's form also says where and when (siaran.publishing)
        channels, at = publishing_views.publish_choices(request)
    except ValueError:
        messages.error(request, _("Write the date as YYYY-MM-DD."))
        return redirect("cases:detail", case_id)
    _act(
        request,
        lambda: actions.case_decide(
            person=_person(request),
            case_id=case_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            seen=int(seen) if seen.isdigit() else None,
            channels=channels,
            at=at,
        ),
        _("Saved. The case has moved on."),
    )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def comment_add(request: HttpRequest, case_id: int):
    text = request.POST.get("text", "")
    _act(request, lambda: actions.comment_add(person=_person(request), case_id=case_id, text=text))
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def attachment_add(request: HttpRequest, case_id: int):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file first."))
    else:
        _act(
            request,
            lambda: actions.attachment_add(
                person=_person(request),
                case_id=case_id,
                upload=upload,
                output=request.POST.get("output", ""),
            ),
            _("File added."),
        )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def media_change(request: HttpRequest, case_id: int):
    """The editor's buttons on a file of the version being produced: move it up or down,
    make it the main image (first), take it out, or replace it with an upload."""
    person = _person(request)
    value = request.POST.get("file", "")
    if not value.isdigit():
        raise Http404
    file_id, change = int(value), request.POST.get("change", "")
    if change == "remove":
        _act(
            request,
            lambda: actions.version_media_remove(
                person=person, case_id=case_id, attachment_id=file_id
            ),
            _("The file was taken out of the content."),
        )
    elif change == "replace":
        upload = request.FILES.get("upload")
        if upload is None:
            messages.error(request, _("Choose a file first."))
        else:
            _act(
                request,
                lambda: actions.attachment_add(
                    person=person, case_id=case_id, upload=upload, replaces=file_id
                ),
                _("The file was replaced."),
            )
    elif change in ("up", "down", "main"):
        _act(
            request,
            lambda: actions.version_media_move(
                person=person, case_id=case_id, attachment_id=file_id, change=change
            ),
        )
    return redirect(f"{reverse('cases:detail', args=[case_id])}#files")


@login_required
def attachment_preview(request: HttpRequest, case_id: int, key: str):
    """The small JPEG of an image or a video made on upload, for the pages: a phone loads
    it instead of a 10 MB poster. Not recorded as a download (it is no archived file); the
    address holds the file's random key and never changes, so the browser keeps it."""
    case = visible_cases(_person(request)).filter(pk=case_id).first()
    attachment = case.attachments.filter(key=key).first() if case else None
    if attachment is None or not attachment.preview:
        raise Http404
    response = FileResponse(attachment.preview.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=604800, immutable"
    return stored_file_headers(response)


@login_required
def attachment_download(request: HttpRequest, case_id: int, key: str):
    """Files are never public: each download checks that the person may see the case."""
    person = _person(request)
    case = visible_cases(person).filter(pk=case_id).first()
    attachment = case.attachments.filter(key=key).first() if case else None
    if attachment is None:
        raise Http404
    return download(
        person=person,
        case=case,
        what=ATTACHMENT,
        name=attachment.name,
        content_type=attachment.content_type,
        body=attachment.file.open("rb"),
        inline=attachment.kind != "document",
        ref=attachment.key,
    )


@login_required
@require_POST
def case_withdraw(request: HttpRequest, case_id: int):
    """Withdraw only once confirmed: a form that did not say `confirmed` (no script ran
    its `data-confirm` question) gets a page that asks, naming the case."""
    person = _person(request)
    if request.POST.get("confirmed") != "1":
        case = visible_cases(person).filter(pk=case_id).only("title").first()
        if case is None:
            raise Http404
        return render(request, "cases/withdraw_confirm.html", {"case": case})
    note = request.POST.get("note", "")
    _act(
        request,
        lambda: actions.case_withdraw(person=person, case_id=case_id, note=note),
        _("The case is withdrawn."),
    )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def content_save(request: HttpRequest, case_id: int):
    typed = {
        "title": request.POST.get("title", ""),
        "narrative": request.POST.get("narrative", ""),
        "captions": _captions(request),
        "hashtags": request.POST.get("hashtags", ""),
    }
    try:
        actions.content_save(person=_person(request), case_id=case_id, **typed)
    except ActionError as error:
        if error.status == ActionError.NOT_FOUND:
            raise Http404 from error
        messages.error(request, error.message)
        if error.status == ActionError.INVALID:  # the case page shows it again, as typed
            request.session[_draft_key(case_id)] = typed
    else:
        messages.success(request, _("Content saved."))
    return redirect("cases:detail", case_id)


def _draft_key(case_id: int) -> str:
    return f"content-draft-{case_id}"


@login_required
@require_POST
def task_claim(request: HttpRequest):
    case_id = _case_id(request)
    _act(request, lambda: actions.step_claim(person=_person(request), case_id=case_id))
    return redirect("cases:inbox")


@login_required
@require_POST
def task_release(request: HttpRequest):
    case_id = _case_id(request)
    _act(request, lambda: actions.step_release(person=_person(request), case_id=case_id))
    return redirect("cases:inbox")


def _case_id(request: HttpRequest) -> int:
    case_id = ids.number(request.POST.get("case"))
    if case_id is None:
        raise Http404
    return case_id
