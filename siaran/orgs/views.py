"""The institution administrator's pages: people, lane seats and acting officials."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from siaran.core import sops

from . import actions
from .actions import OrgError
from .models import Acting, Person


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
    sop = sops.find(sop_id)
    org_sop = admin.organization.sops.filter(sop_id=sop_id).first()
    if sop is None or org_sop is None:
        raise PermissionDenied(_("Your institution does not run this SOP."))
    staff = list(admin.organization.people.order_by("name"))
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
    return render(request, "orgs/lanes.html", {"sop": sop, "people": staff, "seated": seated})


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
