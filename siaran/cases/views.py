"""Pages for working cases. Every change goes through `actions`; every read is scoped."""

from __future__ import annotations

import datetime as dt
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.core import sops
from siaran.core.templatetags.siaran import case_url_prefix, localized, when_formatter
from siaran.orgs.models import Person
from siaran.orgs.selectors import lanes_of
from siaran.publishing import views as publishing_views
from siaran.sop.engine import CaseState

from . import actions
from .actions import ActionError
from .definitions import definition
from .diff import version_diff
from .downloads import ATTACHMENT, download
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
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = max(page, 1)
    tasks = open_tasks(
        person, seats, title=query, offset=(page - 1) * INBOX_PAGE, limit=INBOX_PAGE + 1
    )
    more = len(tasks) > INBOX_PAGE
    tasks = tasks[:INBOX_PAGE]
    activities = {}  # (SOP, step) -> its activity: many tasks wait at the same few steps
    for task in tasks:
        key = (task.sop_id, task.current_step)
        if key not in activities:
            sop = sops.find(task.sop_id)
            activities[key] = localized(sop.step(task.current_step), "activity") if sop else ""
        task.activity = activities[key]
        task.overdue = task.current_due < now
    mine = [t for t in tasks if t.claimed_by_id in (None, person.pk)]
    return render(
        request,
        "cases/inbox.html",
        {
            "task_rows": _task_rows(mine),
            "taken": [t for t in tasks if t.claimed_by_id not in (None, person.pk)],
            "page": page,
            "more": more,
            "started": [] if query else started_by(person),  # a search shows "found"
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
            f" {escape(when(task.current_due))}</span>\n"
            "    </div>\n"
            f'    <div class="small">{activity}{rounds}</div>\n'
            f'    <div class="mt-1">\n      {action}\n    </div>\n'
            "  </div>\n"
        )
    return mark_safe("  ".join(rows))  # noqa: S308 (every value above is escaped)


def _startable_sops(person: Person, seats: set[tuple[str, str]] | None = None):
    """The SOPs whose first lane `person` sits in: the ones they may start a case of."""
    seats = seats_of(person) if seats is None else seats
    found = (sops.find(sop_id) for sop_id, _lane in seats)
    return sorted(
        {sop.id: sop for sop in found if sop and (sop.id, sop.first_step.lane) in seats}.values(),
        key=lambda sop: sop.name,
    )


@login_required
def case_new(request: HttpRequest):
    person = _person(request)
    startable = _startable_sops(person)
    if not startable:
        raise PermissionDenied(_("You are not in the first lane of any SOP."))
    sop = next((s for s in startable if s.id == request.POST.get("sop")), startable[0])
    if request.method == "POST":
        try:
            desired = request.POST.get("desired_date") or None
            case = actions.case_start(
                person=person,
                sop_id=request.POST.get("sop", ""),
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                channels=request.POST.getlist("channels") or None,
                desired_date=dt.date.fromisoformat(desired) if desired else None,
            )
        except ValueError:
            messages.error(request, _("Write the date as YYYY-MM-DD."))
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The case has started."))
            return redirect("cases:detail", case.pk)
    channels = [c for step in sop.steps for c in step.channels]
    return render(
        request,
        "cases/new.html",
        {"startable": startable, "sop": sop, "channels": channels, "form": request.POST},
    )


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
    # What changed since the version this person last saw (a reviewer after a rework).
    # (A case disposed of under the retention schedule has no content left.)
    seen = (
        actions.case_mark_seen(person=person, case=case, number=content.number) if content else None
    )
    changes = None
    if seen and seen < content.number:
        changes = version_diff(versions[seen - 1], content)
    events = list(case.events.select_related("actor", "on_behalf_of").order_by("seq"))
    steps = {s.id: s for s in sop.steps}
    for event in events:
        event.step = steps.get(event.step_id)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "sop": sop,
            "state": state,
            "step": step,
            "can_act": can_act,
            "acting_for": my_lanes.get(step.lane) if can_act else None,
            "overdue": bool(step and case.current_due < timezone.now()),
            "content": content,
            "versions": versions,
            "events": events,
            "can_withdraw": not state.closed and case.created_by_id == person.pk,
            "changes": changes,
            "attachments": case.attachments.filter(original=None)  # renditions are no one's files
            .select_related("uploaded_by")
            .order_by("pk"),
            "comments": case.comments.select_related("author").order_by("pk"),
            **publishing_views.case_page(case, content, can_act),
        },
    )


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
            lambda: actions.attachment_add(person=_person(request), case_id=case_id, upload=upload),
            _("File added."),
        )
    return redirect("cases:detail", case_id)


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
    note = request.POST.get("note", "")
    _act(
        request,
        lambda: actions.case_withdraw(person=_person(request), case_id=case_id, note=note),
    )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def content_save(request: HttpRequest, case_id: int):
    captions = {
        key.removeprefix("caption_"): value
        for key, value in request.POST.items()
        if key.startswith("caption_")
    }
    _act(
        request,
        lambda: actions.content_save(
            person=_person(request),
            case_id=case_id,
            title=request.POST.get("title", ""),
            narrative=request.POST.get("narrative", ""),
            captions=captions,
            hashtags=request.POST.get("hashtags", ""),
        ),
        _("Content saved."),
    )
    return redirect("cases:detail", case_id)


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
    value = request.POST.get("case", "")
    if not value.isdigit():
        raise Http404
    return int(value)
