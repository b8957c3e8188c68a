"""My notifications (the bell's page) and my mail settings. Changes go through actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.core import ids
from siaran.orgs import actions as org_actions
from siaran.orgs.actions import OrgError
from siaran.orgs.models import MAIL_MODES, Person

from . import actions
from .actions import NotificationError
from .models import Notification

PAGE = 50  # notifications a page, the newest first


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


@login_required
def notification_list(request: HttpRequest):
    person = _person(request)
    page = ids.number(request.GET.get("page"), 1)
    rows = list(
        Notification.objects.filter(person=person)
        .select_related("case", "actor")
        .only(
            "kind", "step_id", "lane_id", "due_at", "text", "created_at", "read_at",
            "case__title", "case__sop_id", "actor__name",
        )[(page - 1) * PAGE : page * PAGE + 1]
    )  # fmt: skip
    return render(
        request,
        "notifications/list.html",
        {
            "notes": rows[:PAGE],
            "page": page,
            "more": len(rows) > PAGE,
            "zone": person.organization.time_zone,
        },
    )


@login_required
def notification_open(request: HttpRequest, notification_id: int):
    """Follow a notification to its case; it is read from then on."""
    try:
        case_id = actions.notification_open(
            person=_person(request), notification_id=notification_id
        )
    except NotificationError as error:
        raise Http404(str(error)) from error
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def notifications_read(request: HttpRequest):
    actions.notifications_read(person=_person(request))
    return redirect("notifications:list")


@login_required
def my_settings(request: HttpRequest):
    person = _person(request)
    if request.method == "POST":
        try:
            org_actions.preferences_set(
                person=person,
                email=request.POST.get("email", ""),
                mail_mode=request.POST.get("mail_mode", ""),
                language=request.POST.get("language", ""),
            )
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {"modes": MAIL_MODES, "form": request.POST or None},
    )
