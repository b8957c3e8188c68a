"""The archive's pages: search, a case's export, consent, and retention."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.cases.actions import ActionError
from siaran.cases.downloads import EXPORT, download
from siaran.cases.models import STATUSES
from siaran.cases.selectors import visible_cases
from siaran.core import ids, sops
from siaran.documents.actions import approval_sheet_issue
from siaran.orgs.models import Person
from siaran.sop.model import PLATFORMS

from . import actions
from .export import export_name, export_stream
from .models import DISPOSITIONS, RetentionClass
from .selectors import ArchiveQuery, archive_search, default_class, retention_due

ARCHIVE_PAGE = 25  # cases a page


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


def _admin(request: HttpRequest) -> Person:
    person = _person(request)
    if not person.is_admin:
        raise PermissionDenied(_("Only an administrator of your institution can do this."))
    return person


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _act(request: HttpRequest, call, success: str = "") -> bool:
    """Run an action for a page: an unknown case is a 404, any other refusal a message."""
    try:
        call()
    except ActionError as error:
        if error.status == ActionError.NOT_FOUND and error.code == "not_found":
            raise Http404 from error
        messages.error(request, error.message)
        return False
    if success:
        messages.success(request, success)
    return True


@login_required
def search(request: HttpRequest):
    person = _person(request)
    get = request.GET
    unit = get.get("unit", "")
    query = ArchiveQuery(
        text=get.get("q", "").strip()[:200],
        sop=get.get("sop", ""),
        channel=get.get("channel", "") if get.get("channel", "") in PLATFORMS else "",
        status=get.get("status", "") if get.get("status", "") in dict(STATUSES) else "",
        unit=ids.number(unit),
        since=_date(get.get("since", "")),
        until=_date(get.get("until", "")),
    )
    bad_dates = (get.get("since") and not query.since) or (get.get("until") and not query.until)
    if bad_dates:
        messages.error(request, _("Write the date as YYYY-MM-DD."))
    page = Paginator(archive_search(person, query), ARCHIVE_PAGE).get_page(get.get("page"))
    organization = person.organization
    params = get.copy()
    params.pop("page", None)
    return render(
        request,
        "archive/search.html",
        {
            "query": query,
            "page": page,
            "params": params.urlencode(),
            "sops": sops.run_by(organization),
            "platforms": PLATFORMS,
            "statuses": STATUSES,
            "units": organization.units.order_by("name"),
        },
    )


@login_required
def case_export(request: HttpRequest, case_id: int):
    """The case as one ZIP, for anyone who may see the case."""
    person = _person(request)
    case = visible_cases(person).select_related("organization", "sop_version").filter(pk=case_id)
    case = case.first()
    if case is None:
        raise Http404
    return export_response(person, case, request.build_absolute_uri("/"))


def export_response(person: Person, case, base_url: str = ""):
    """The ZIP response, the current approval sheet issued first so that it is inside."""
    approval_sheet_issue(case=case, person=person, base_url=base_url)
    return download(
        person=person,
        case=case,
        what=EXPORT,
        name=export_name(case),
        content_type="application/zip",
        body=export_stream(case),
    )


@login_required
@require_POST
def consent_flag(request: HttpRequest, case_id: int):
    needs = request.POST.get("needs_consent") == "1"
    _act(
        request,
        lambda: actions.consent_flag_set(
            person=_person(request),
            case_id=case_id,
            needs_consent=needs,
            reason=request.POST.get("reason", ""),
        ),
        _("Saved."),
    )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def consent_add(request: HttpRequest, case_id: int):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file first."))
    else:
        _act(
            request,
            lambda: actions.consent_record_add(
                person=_person(request),
                case_id=case_id,
                upload=upload,
                subject=request.POST.get("subject", ""),
            ),
            _("Consent recorded."),
        )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def case_retention(request: HttpRequest, case_id: int):
    """An administrator classifies a case, or decides on it at its review."""
    admin = _admin(request)
    post = request.POST
    if post.get("decision"):
        _act(
            request,
            lambda: actions.retention_decide(
                admin=admin,
                case_id=case_id,
                decision=post.get("decision", ""),
                reason=post.get("reason", ""),
                until=_date(post.get("until", "")),
            ),
            _("Decision recorded."),
        )
    else:
        class_id = post.get("retention_class", "")
        _act(
            request,
            lambda: actions.retention_assign(
                admin=admin,
                case_id=case_id,
                class_id=int(class_id) if class_id.isdigit() else 0,
                reason=post.get("reason", ""),
            ),
            _("Retention class set."),
        )
    if post.get("next") == "report":
        return redirect("archive:retention")
    return redirect("cases:detail", case_id)


@login_required
def retention_report(request: HttpRequest):
    """The closed cases due for review on or before a day (today unless asked)."""
    admin = _admin(request)
    today = timezone.localdate()
    until = _date(request.GET.get("until", "")) or today
    return render(
        request,
        "archive/retention.html",
        {
            "due": retention_due(admin.organization, until),
            "until": until,
            "today": today,
            "default_class": default_class(admin.organization),
            "tab": "retention",
        },
    )


@login_required
def retention_classes(request: HttpRequest):
    """The institution's retention schedule (JRA): add or change a class."""
    admin = _admin(request)
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = admin.organization.retention_classes.filter(pk=request.GET["edit"]).first()
    if request.method == "POST":
        post = request.POST
        class_id = post.get("class_id", "")
        saved = _act(
            request,
            lambda: actions.retention_class_save(
                admin=admin,
                code=post.get("code", ""),
                name=post.get("name", ""),
                active_years=post.get("active_years", ""),
                inactive_years=post.get("inactive_years", ""),
                disposition=post.get("disposition", ""),
                basis=post.get("basis", ""),
                is_default=post.get("is_default") == "1",
                class_id=int(class_id) if class_id.isdigit() else None,
            ),
            _("Retention class saved."),
        )
        if saved:
            return redirect("archive:classes")
    return render(
        request,
        "archive/classes.html",
        {
            "classes": RetentionClass.objects.filter(organization=admin.organization),
            "editing": editing,
            "form": request.POST if request.method == "POST" else None,
            "dispositions": DISPOSITIONS,
            "tab": "classes",
        },
    )
