"""The institution administrator's pages: people, lane seats and acting officials."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from siaran.core import sops

from . import actions
from .actions import OrgError
from .models import HOLIDAY_KINDS, Acting, Person


def _admin(request) -> Person:
    person = getattr(request.user, "person", None)
    if person is None or not person.is_admin:
        raise PermissionDenied(_("Only an administrator of your institution can do this."))
    return person


@login_required
def people(request):
    admin = _admin(request)
    if request.method == "POST":
        try:
            actions.person_add(
                admin=admin,
                username=request.POST.get("username", ""),
                name=request.POST.get("name", ""),
                password=request.POST.get("password", ""),
                nip=request.POST.get("nip", ""),
                title=request.POST.get("title", ""),
                unit_name=request.POST.get("unit", ""),
                email=request.POST.get("email", ""),
            )
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Person added."))
            return redirect("orgs:people")
    staff = admin.organization.people.select_related("user", "unit").order_by("name")
    return render(request, "orgs/people.html", {"people": staff, "form": request.POST})


@login_required
def lanes(request, sop_id: str):
    admin = _admin(request)
    sop = sops.running(admin.organization, sop_id)
    org_sop = admin.organization.sops.filter(sop_id=sop_id).first()
    if sop is None or org_sop is None:
        raise PermissionDenied(_("Your institution does not run this SOP."))
    staff = list(admin.organization.people.order_by("name"))
    if request.method == "POST" and "escalation_lane" in request.POST:
        try:
            actions.escalation_lane_set(
                admin=admin, sop_id=sop_id, lane_id=request.POST["escalation_lane"]
            )
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Escalation saved."))
        return redirect("orgs:lanes", sop_id)
    if request.method == "POST":
        seats = set()
        for value in request.POST.getlist("seat"):
            person_id, _sep, lane_id = value.partition(":")
            if person_id.isdigit():
                seats.add((int(person_id), lane_id))
        try:
            actions.lanes_set(admin=admin, sop_id=sop_id, seats=seats)
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Lanes saved."))
            return redirect("orgs:lanes", sop_id)
    seated = {f"{p}:{lane}" for p, lane in org_sop.members.values_list("person_id", "lane_id")}
    return render(
        request,
        "orgs/lanes.html",
        {"sop": sop, "people": staff, "seated": seated, "org_sop": org_sop},
    )


@login_required
def acting(request):
    admin = _admin(request)
    if request.method == "POST":
        try:
            if request.POST.get("end"):
                actions.acting_end(admin=admin, acting_id=int(request.POST["end"]))
            else:
                actions.acting_create(
                    admin=admin,
                    person_id=int(request.POST.get("person", 0)),
                    for_person_id=int(request.POST.get("for_person", 0)),
                    starts=dt.date.fromisoformat(request.POST.get("starts", "")),
                    ends=dt.date.fromisoformat(request.POST.get("ends", "")),
                    kind=request.POST.get("kind", "plh"),
                    note=request.POST.get("note", ""),
                )
        except (OrgError, ValueError) as error:
            messages.error(
                request, str(error) if isinstance(error, OrgError) else _("Check the dates.")
            )
        else:
            return redirect("orgs:acting")
    rows = Acting.objects.filter(person__organization=admin.organization).select_related(
        "person", "for_person"
    )
    staff = admin.organization.people.order_by("name")
    return render(
        request,
        "orgs/acting.html",
        {"rows": rows.order_by("-starts"), "people": staff, "kinds": Acting.KINDS},
    )


@login_required
def calendar(request):
    """Working days and hours, and the days off that due times skip."""
    admin = _admin(request)
    organization = admin.organization
    if request.method == "POST":
        try:
            done = _calendar_change(admin, request.POST)
        except OrgError as error:
            messages.error(request, str(error))
        except ValueError:
            messages.error(request, _("Check the dates and times."))
        else:
            messages.success(request, done)
            return redirect("orgs:calendar")
    today = timezone.localdate()
    holidays = organization.holidays.filter(date__gte=today.replace(month=1, day=1))
    return render(
        request,
        "orgs/calendar.html",
        {
            "organization": organization,
            "weekdays": sorted(WEEKDAYS.items()),
            "workdays": {int(d) for d in organization.workdays},
            "holidays": holidays,
            "kinds": HOLIDAY_KINDS,
            "form": request.POST,
        },
    )


def _calendar_change(admin: Person, form) -> str:
    """Run the change the form asks for; returns what to tell the administrator."""
    if form.get("remove"):
        actions.holiday_remove(admin=admin, holiday_id=int(form["remove"]))
        return _("Day off removed.")
    if form.get("import"):
        added = actions.holidays_import(admin=admin)
        return _("%(count)d days off added from Siaran's list.") % {"count": added}
    if form.get("hours"):
        actions.working_hours_set(
            admin=admin,
            workdays={int(d) for d in form.getlist("workday") if d.isdigit()},
            opens=dt.time.fromisoformat(form.get("opens", "")),
            closes=dt.time.fromisoformat(form.get("closes", "")),
        )
        return _("Working days and hours saved.")
    actions.holiday_save(
        admin=admin,
        date=dt.date.fromisoformat(form.get("date", "")),
        name=form.get("name", ""),
        kind=form.get("kind", ""),
    )
    return _("Day off saved.")
