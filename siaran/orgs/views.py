"""The institution administrator's pages: people, lane seats and acting officials."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from siaran.core import sops
from siaran.core.templatetags.siaran import localized

from . import actions, people_sheet
from .actions import OrgError
from .models import HOLIDAY_KINDS, Acting, Invitation, Person
from .selectors import empty_lanes, last_in_lanes, locked_until


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
            done = _people_change(request, admin)
        except OrgError as error:
            messages.error(request, str(error))
        except ValueError:
            messages.error(request, _("Unknown person or invitation."))
        else:
            messages.success(request, done)
            return redirect("orgs:people")
    staff = list(admin.organization.people.select_related("user", "unit").order_by("name"))
    sop_ids = sorted(admin.organization.sops.values_list("sop_id", flat=True))
    first = sops.running(admin.organization, sop_ids[0]) if sop_ids else None
    invitations = admin.organization.invitations.filter(
        accepted_at=None, revoked_at=None
    ).select_related("unit", "invited_by")
    return render(
        request,
        "orgs/people.html",
        {
            "people": staff,
            # A refused form comes back filled: the invitation's or the new person's.
            "invite_form": request.POST if request.POST.get("invite") else {},
            "form": {} if request.POST.get("invite") else request.POST,
            "invitations": invitations.order_by("email"),
            "empty_lanes": empty_lanes(admin.organization_id),
            "locked": locked_until(staff),
            "last_in": {
                pk: ", ".join(f"{sop.id}: {localized(lane, 'name')}" for sop, lane in lanes)
                for pk, lanes in last_in_lanes(admin.organization_id).items()
            },
            "sop_ids": sop_ids,
            "lane_example": ", ".join(lane.id for lane in first.lanes[:2]) if first else "",
        },
    )


def _people_change(request, admin: Person) -> str:
    """Run the change the people page's form asks for; returns what to tell the admin."""
    form, base = request.POST, request.build_absolute_uri("/")
    if form.get("invite"):
        invitation = actions.invitation_send(
            organization=admin.organization,
            email=form.get("email", ""),
            is_admin=bool(form.get("is_admin")),
            actor=admin,
            name=form.get("name", ""),
            unit_name=form.get("unit", ""),
            base_url=base,
        )
        return _("Invitation sent to %(email)s.") % {"email": invitation.email}
    if form.get("resend"):
        invitation = actions.invitation_resend(
            admin=admin, invitation_id=int(form["resend"]), base_url=base
        )
        return _("Invitation sent to %(email)s.") % {"email": invitation.email}
    if form.get("revoke"):
        actions.invitation_revoke(admin=admin, invitation_id=int(form["revoke"]))
        return _("Invitation revoked.")
    if form.get("deactivate"):
        released = actions.person_deactivate(admin=admin, person_id=int(form["deactivate"]))
        return _("Person deactivated; %(count)d steps they had taken went back to the queue.") % {
            "count": released
        }
    if form.get("reactivate"):
        actions.person_reactivate(admin=admin, person_id=int(form["reactivate"]))
        return _("Person active again.")
    if form.get("unlock"):
        actions.person_unlock(admin=admin, person_id=int(form["unlock"]))
        return _("Sign-in unlocked.")
    actions.person_add(
        admin=admin,
        username=form.get("username", ""),
        name=form.get("name", ""),
        password=form.get("password", ""),
        nip=form.get("nip", ""),
        title=form.get("title", ""),
        unit_name=form.get("unit", ""),
        email=form.get("email", ""),
    )
    return _("Person added.")


@login_required
def person(request, person_id: int):
    """An administrator edits a person of their institution."""
    admin = _admin(request)
    person = admin.organization.people.select_related("user", "unit").filter(pk=person_id).first()
    if person is None:
        raise Http404(_("No such person in your institution."))
    if request.method == "POST":
        try:
            actions.person_edit(
                admin=admin,
                person_id=person.pk,
                name=request.POST.get("name", ""),
                nip=request.POST.get("nip", ""),
                title=request.POST.get("title", ""),
                unit_name=request.POST.get("unit", ""),
                email=request.POST.get("email", ""),
                is_admin=bool(request.POST.get("is_admin")),
            )
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("orgs:people")
    form = request.POST or {
        "name": person.name,
        "nip": person.nip,
        "title": person.title,
        "unit": person.unit.name if person.unit else "",
        "email": person.user.email,
        "is_admin": "1" if person.is_admin else "",
    }
    units = admin.organization.units.order_by("name").values_list("name", flat=True)
    return render(request, "orgs/person.html", {"person": person, "form": form, "units": units})


@login_required
def people_import(request):
    """Upload a filled template; the report lists the rows saved and those refused."""
    admin = _admin(request)
    if request.method != "POST":
        return redirect("orgs:people")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the filled template to upload."))
        return redirect("orgs:people")
    try:
        result = actions.people_import(
            admin=admin,
            name=upload.name or "",
            data=upload.read(people_sheet.MAX_BYTES + 1),
            base_url=request.build_absolute_uri("/"),
        )
    except OrgError as error:
        messages.error(request, str(error))
        return redirect("orgs:people")
    return render(request, "orgs/people_import.html", result)


@login_required
def people_template(request, kind: str):
    """The people template to fill, as XLSX or CSV, with a column per SOP run here."""
    admin = _admin(request)
    if kind not in ("xlsx", "csv"):
        raise Http404
    runs = sorted(admin.organization.sops.values_list("sop_id", flat=True))
    if kind == "csv":
        body, content_type = people_sheet.template_csv(runs), "text/csv; charset=utf-8"
    else:
        described = []
        for sop_id in runs:
            sop = sops.running(admin.organization, sop_id)
            if sop is not None:
                lanes = [(lane.id, localized(lane, "name")) for lane in sop.lanes]
                described.append((sop_id, localized(sop, "name"), lanes))
        body = people_sheet.template_xlsx(described)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    name = f"siaran-{admin.organization.slug}-people.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def invitation(request, token: str):
    """Accept an invitation: make one's login and join the institution. No login needed."""
    found = Invitation.objects.filter(token_digest=Invitation.digest_of(token)).select_related(
        "organization", "invited_by__user", "unit"
    )
    invitation = found.first()
    if invitation is None or not invitation.is_open:
        return render(
            request, "orgs/invitation_closed.html", {"invitation": invitation}, status=410
        )
    if request.method == "POST":
        try:
            person = actions.invitation_accept(
                token=token,
                username=request.POST.get("username", ""),
                name=request.POST.get("name", ""),
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
            )
        except OrgError as error:
            messages.error(request, str(error))
            invitation.refresh_from_db()
            if not invitation.is_open:
                return render(
                    request,
                    "orgs/invitation_closed.html",
                    {"invitation": invitation},
                    status=410,
                )
        else:
            # Signs in through the person backend directly: the new password was just set.
            login(request, person.user, backend="siaran.orgs.backends.PersonBackend")
            messages.success(request, _("Welcome to Siaran."))
            return redirect("cases:inbox")
    form = request.POST or {
        "username": _suggested_username(invitation.email),
        "name": invitation.name,
    }
    return render(request, "orgs/invitation.html", {"invitation": invitation, "form": form})


def _suggested_username(email: str) -> str:
    from django.contrib.auth import get_user_model

    base = "".join(c for c in email.split("@")[0].lower() if c.isalnum() or c in ".-_")
    base = base[:140] or "user"
    users = get_user_model().objects
    name, number = base, 2
    while users.filter(username__iexact=name).exists():
        name, number = f"{base}{number}", number + 1
    return name


@login_required
def lanes(request, sop_id: str):
    admin = _admin(request)
    sop = sops.running(admin.organization, sop_id)
    org_sop = admin.organization.sops.filter(sop_id=sop_id).first()
    if sop is None or org_sop is None:
        raise PermissionDenied(_("Your institution does not run this SOP."))
    staff = list(admin.organization.people.select_related("user").order_by("name"))
    if request.method == "POST" and "public" in request.POST:
        public = request.POST["public"] == "1"
        try:
            actions.sop_public_set(admin=admin, sop_id=sop_id, public=public)
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
        return redirect("orgs:lanes", sop_id)
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
        {
            "sop": sop,
            "people": staff,
            "seated": seated,
            "org_sop": org_sop,
            "empty_lanes": [
                lane for s, lane in empty_lanes(admin.organization_id) if s.id == sop_id
            ],
        },
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
