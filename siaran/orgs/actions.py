"""The only code that changes institutions, people and lane seats."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.audit.actions import anchor_first, record

from .calendar import shipped_holidays
from .models import (
    HOLIDAY_KINDS,
    MAIL_MODES,
    SECOND_FACTOR_RULES,
    Acting,
    Holiday,
    LaneMember,
    Organization,
    OrgSop,
    Person,
    SopInstall,
    SopVersion,
    Unit,
)


def organization_ensure(
    *, slug: str, name: str, short_name: str = "", parent: str = "", sop_ids: tuple[str, ...] = ()
) -> Organization:
    """Create or refresh an institution; a new one gets the national holidays Siaran ships."""
    with transaction.atomic():
        organization, created = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "short_name": short_name, "parent": parent}
        )
        for sop_id in sop_ids:
            OrgSop.objects.get_or_create(organization=organization, sop_id=sop_id)
        data = {"slug": slug, "name": name, "sops": list(sop_ids)}
        record("institution_saved", organization=organization, data=data)
        if created:
            holidays_seed(organization=organization)
            anchor_first(organization)  # sealed from its first day (siaran.audit)
    return organization


def holidays_seed(*, organization: Organization) -> int:
    """Add the shipped national holidays and cuti bersama the institution does not have
    yet; its own changes stay. Returns how many days were added."""
    have = set(organization.holidays.values_list("date", flat=True))
    new = [
        Holiday(
            organization=organization,
            date=h.date,
            name=h.name,
            kind=h.kind,
            estimated=h.estimated,
        )
        for h in shipped_holidays()
        if h.date not in have
    ]
    with transaction.atomic():
        Holiday.objects.bulk_create(new)
        if new:
            _calendar_changed(organization)
    return len(new)


def unit_ensure(*, organization: Organization, name: str) -> Unit:
    return Unit.objects.get_or_create(organization=organization, name=name)[0]


@transaction.atomic
def person_ensure(
    *,
    organization: Organization,
    username: str,
    name: str,
    password: str,
    nip: str = "",
    title: str = "",
    unit: Unit | None = None,
    is_admin: bool = False,
    actor: Person | None = None,
    email: str = "",
) -> Person:
    """Create or refresh a person and their login (`actor`: the administrator who did)."""
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.email = email
    user.save()
    person, _created = Person.objects.update_or_create(
        user=user,
        defaults={
            "organization": organization,
            "name": name,
            "nip": nip,
            "title": title,
            "unit": unit,
            "is_admin": is_admin,
        },
    )
    data = {"username": username, "name": name, "nip": nip, "title": title}
    data.update(unit=unit.name if unit else "", is_admin=is_admin)  # never the password
    record("person_saved", organization=organization, actor=actor, data=data)
    return person


@transaction.atomic
def lane_assign(*, person: Person, sop_id: str, lane_id: str) -> LaneMember:
    org_sop = OrgSop.objects.get(organization_id=person.organization_id, sop_id=sop_id)
    seat, created = LaneMember.objects.get_or_create(
        org_sop=org_sop, person=person, lane_id=lane_id
    )
    if created:
        data = {"sop": sop_id, "lane": lane_id, "person": person.user.username}
        record("lane_assigned", organization=person.organization, data=data)
    return seat


def acting_add(
    *,
    person: Person,
    for_person: Person,
    starts: dt.date,
    ends: dt.date,
    kind: str = "plh",
    note: str = "",
    actor: Person | None = None,
) -> Acting:
    with transaction.atomic():
        acting, created = Acting.objects.get_or_create(
            person=person,
            for_person=for_person,
            starts=starts,
            ends=ends,
            defaults={"kind": kind, "note": note},
        )
        if created:
            data = {"person": person.user.username, "for": for_person.user.username}
            data.update(kind=kind, starts=starts.isoformat(), ends=ends.isoformat(), note=note)
            record("acting_added", organization=person.organization, actor=actor, data=data)
    return acting


class OrgError(Exception):
    """Why an administrator's change was refused; nothing changed."""


def lanes_set(*, admin: Person, sop_id: str, seats: set[tuple[int, str]]) -> None:
    """Replace who sits in which lane of an SOP with `seats` (person id, lane id)."""
    from siaran.core import sops

    _require_admin(admin)
    org_sop = OrgSop.objects.filter(organization_id=admin.organization_id, sop_id=sop_id).first()
    sop = sops.running(admin.organization, sop_id)
    if org_sop is None or sop is None:
        raise OrgError(_("Your institution does not run this SOP."))
    lane_ids = {lane.id for lane in sop.lanes}
    people = set(
        Person.objects.filter(organization_id=admin.organization_id).values_list("pk", flat=True)
    )
    if any(person not in people or lane not in lane_ids for person, lane in seats):
        raise OrgError(_("Unknown person or lane."))
    with transaction.atomic():
        current = set(org_sop.members.values_list("person_id", "lane_id"))
        for person_id, lane_id in current - seats:
            org_sop.members.filter(person_id=person_id, lane_id=lane_id).delete()
        LaneMember.objects.bulk_create(
            LaneMember(org_sop=org_sop, person_id=p, lane_id=lane) for p, lane in seats - current
        )
        data = {"sop": sop_id, "added": sorted(seats - current), "removed": sorted(current - seats)}
        record("lanes_changed", actor=admin, data=data)


def person_add(
    *,
    admin: Person,
    username: str,
    name: str,
    password: str,
    nip: str = "",
    title: str = "",
    unit_name: str = "",
    email: str = "",
) -> Person:
    _require_admin(admin)
    username, name, nip = username.strip(), name.strip(), "".join(nip.split())
    email = _checked_email(email)
    if not username or not name:
        raise OrgError(_("A username and a name are required."))
    if nip and (not nip.isdigit() or len(nip) != 18):
        raise OrgError(_("A NIP has 18 digits."))
    if get_user_model().objects.filter(username=username).exists():
        raise OrgError(_("This username is taken."))
    if len(password) < 10:
        raise OrgError(_("The first password needs at least 10 characters."))
    unit = unit_ensure(organization=admin.organization, name=unit_name) if unit_name else None
    return person_ensure(
        organization=admin.organization,
        username=username,
        name=name,
        password=password,
        nip=nip,
        title=title.strip(),
        unit=unit,
        actor=admin,
        email=email,
    )


def acting_create(
    *,
    admin: Person,
    person_id: int,
    for_person_id: int,
    starts: dt.date,
    ends: dt.date,
    kind: str = "plh",
    note: str = "",
) -> Acting:
    _require_admin(admin)
    people = Person.objects.filter(organization_id=admin.organization_id)
    person = people.filter(pk=person_id).first()
    for_person = people.filter(pk=for_person_id).first()
    if person is None or for_person is None or person == for_person:
        raise OrgError(_("Choose two different people of your institution."))
    if ends < starts:
        raise OrgError(_("The end date comes before the start date."))
    if kind not in dict(Acting.KINDS):
        raise OrgError(_("Unknown kind of acting official."))
    return acting_add(
        person=person,
        for_person=for_person,
        starts=starts,
        ends=ends,
        kind=kind,
        note=note.strip(),
        actor=admin,
    )


def acting_end(*, admin: Person, acting_id: int) -> None:
    _require_admin(admin)
    with transaction.atomic():
        deleted, _rows = Acting.objects.filter(
            pk=acting_id, person__organization_id=admin.organization_id
        ).delete()
        if deleted:
            record("acting_ended", actor=admin, data={"acting": acting_id})


def preferences_set(*, person: Person, email: str, mail_mode: str, language: str) -> Person:
    """A person's own settings: where notifications are mailed, how often, in which language."""
    email = _checked_email(email)
    if mail_mode not in dict(MAIL_MODES):
        raise OrgError(_("Choose how notifications are mailed."))
    if language not in dict(settings.LANGUAGES):
        raise OrgError(_("Unknown language."))
    with transaction.atomic():
        get_user_model().objects.filter(pk=person.user_id).update(email=email)
        Person.objects.filter(pk=person.pk).update(mail_mode=mail_mode, language=language)
        data = {"email": email, "mail_mode": mail_mode, "language": language}
        record("preferences_saved", actor=person, data=data)
    person.user.email, person.mail_mode, person.language = email, mail_mode, language
    return person


# -- the working calendar ----------------------------------------------------------------


def working_hours_set(
    *, admin: Person, workdays: set[int], opens: dt.time, closes: dt.time
) -> Organization:
    """The institution's working days (Monday = 0) and office hours."""
    _require_admin(admin)
    if not workdays or not workdays <= set(range(7)):
        raise OrgError(_("Choose at least one working day."))
    if opens >= closes:
        raise OrgError(_("The office must open before it closes."))
    organization = admin.organization
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(
            workdays="".join(str(d) for d in sorted(workdays)), opens=opens, closes=closes
        )
        _calendar_changed(organization)
        data = {"workdays": sorted(workdays), "opens": str(opens), "closes": str(closes)}
        record("working_hours_set", actor=admin, data=data)
    return organization


def holiday_save(*, admin: Person, date: dt.date, name: str, kind: str) -> Holiday:
    """Add a day off, or change the one on that date (which makes it checked, not estimated)."""
    _require_admin(admin)
    name = " ".join((name or "").split())
    if not name:
        raise OrgError(_("Give the day off a name."))
    if kind not in dict(HOLIDAY_KINDS):
        raise OrgError(_("Unknown kind of day off."))
    with transaction.atomic():
        holiday, _created = Holiday.objects.update_or_create(
            organization=admin.organization,
            date=date,
            defaults={"name": name[:200], "kind": kind, "estimated": False},
        )
        _calendar_changed(admin.organization)
        data = {"date": date.isoformat(), "name": holiday.name, "kind": kind}
        record("holiday_saved", actor=admin, data=data)
    return holiday


def holiday_remove(*, admin: Person, holiday_id: int) -> None:
    _require_admin(admin)
    with transaction.atomic():
        removed, _rows = Holiday.objects.filter(
            pk=holiday_id, organization_id=admin.organization_id
        ).delete()
        if removed:
            _calendar_changed(admin.organization)
            record("holiday_removed", actor=admin, data={"holiday": holiday_id})


def holidays_import(*, admin: Person) -> int:
    """Load the national holidays Siaran ships again, adding the days not on the calendar."""
    _require_admin(admin)
    with transaction.atomic():
        added = holidays_seed(organization=admin.organization)
        record("holidays_imported", actor=admin, data={"added": added})
    return added


def audit_email_set(*, admin: Person, email: str) -> Organization:
    """Where the nightly audit anchor is mailed: the internal control unit's address."""
    _require_admin(admin)
    email = _checked_email(email)
    organization = admin.organization
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(audit_email=email)
        record("audit_email_set", actor=admin, data={"email": email})
    organization.audit_email = email
    return organization


def escalation_lane_set(*, admin: Person, sop_id: str, lane_id: str) -> OrgSop:
    """Whose lane is told when a step of the SOP is overdue; "" for the supervisor's lane."""
    from siaran.core import sops

    _require_admin(admin)
    org_sop = OrgSop.objects.filter(organization_id=admin.organization_id, sop_id=sop_id).first()
    sop = sops.running(admin.organization, sop_id)
    if org_sop is None or sop is None:
        raise OrgError(_("Your institution does not run this SOP."))
    if lane_id and lane_id not in {lane.id for lane in sop.lanes}:
        raise OrgError(_("Unknown person or lane."))
    with transaction.atomic():
        org_sop.escalation_lane = lane_id
        org_sop.save(update_fields=["escalation_lane"])
        record("escalation_lane_set", actor=admin, data={"sop": sop_id, "lane": lane_id})
    return org_sop


def _calendar_changed(organization: Organization) -> None:
    """Every process rebuilds the institution's calendar on its next use."""
    Organization.objects.filter(pk=organization.pk).update(
        calendar_version=F("calendar_version") + 1
    )
    organization.refresh_from_db(fields=["workdays", "opens", "closes", "calendar_version"])


def second_factor_set(*, admin: Person, rule: str) -> Organization:
    """Who of the administrator's institution must sign in with a second factor: nobody,
    the people of the review lanes, or everyone."""
    _require_admin(admin)
    if rule not in dict(SECOND_FACTOR_RULES):
        raise OrgError(_("Choose who must use a second factor."))
    organization = admin.organization
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(second_factor=rule)
        record("second_factor_rule_set", actor=admin, data={"rule": rule})
    organization.second_factor = rule
    return organization


def _checked_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise OrgError(_("This is not an e-mail address.")) from None
    return email


def _require_admin(person: Person) -> None:
    if not person.is_admin:
        raise OrgError(_("Only an administrator of your institution can do this."))


# -- the operator of the install: institutions and the SOPs they run ----------------------


class SopFileInvalid(OrgError):
    """An SOP file with problems: nothing was saved. `problems` as `siaran sop check`
    names them (file, line, field, message)."""

    def __init__(self, problems: list) -> None:
        super().__init__(_("The SOP file has problems; nothing was saved."))
        self.problems = problems


def organization_create(
    *,
    operator,
    slug: str,
    name: str,
    short_name: str = "",
    parent: str = "",
    time_zone: str = "Asia/Jakarta",
    units: list[str] | tuple[str, ...] = (),
) -> Organization:
    """A new institution, with the working calendar's defaults and the national holidays
    Siaran ships, as every institution gets them. `operator`: the install's superuser,
    or None for the command line."""
    operator_name = _operator_name(operator)
    slug = (slug or "").strip()
    try:
        validate_slug(slug)
    except ValidationError:
        raise OrgError(
            _("The short address may hold only letters, digits, hyphens and underscores.")
        ) from None
    if len(slug) > Organization._meta.get_field("slug").max_length:
        raise OrgError(_("The short address is too long: at most 50 characters."))
    # "new" is the address of the operator's page that creates one.
    if slug == "new" or Organization.objects.filter(slug=slug).exists():
        raise OrgError(_("Another institution has this short address."))
    fields = _institution_fields(name, short_name, parent, time_zone)
    units = _unit_names(units)
    with transaction.atomic():
        organization = Organization.objects.create(slug=slug, **fields)
        Unit.objects.bulk_create(Unit(organization=organization, name=u) for u in units)
        holidays_seed(organization=organization)
        data = {"slug": slug, **fields, "units": units}
        record("institution_created", organization=organization, username=operator_name, data=data)
    return organization


def organization_update(
    *,
    operator,
    organization: Organization,
    name: str,
    short_name: str = "",
    parent: str = "",
    time_zone: str = "Asia/Jakarta",
    units: list[str] | tuple[str, ...] = (),
) -> Organization:
    """Change an institution's names, time zone and units. A unit left out is removed,
    unless people or cases still name it: then nothing changes."""
    operator_name = _operator_name(operator)
    fields = _institution_fields(name, short_name, parent, time_zone)
    units = _unit_names(units)
    dropped = organization.units.exclude(name__in=units)
    in_use = dropped.filter(Q(person__isnull=False) | Q(case__isnull=False)).distinct()
    if in_use:
        raise OrgError(
            _("These units still have people or cases, so they stay: %(units)s.")
            % {"units": ", ".join(sorted(u.name for u in in_use))}
        )
    with transaction.atomic():
        Organization.objects.filter(pk=organization.pk).update(**fields)
        removed = sorted(dropped.values_list("name", flat=True))
        dropped.delete()
        have = set(organization.units.values_list("name", flat=True))
        Unit.objects.bulk_create(
            Unit(organization=organization, name=u) for u in units if u not in have
        )
        data = {**fields, "units": units, "units_removed": removed}
        record("institution_saved", organization=organization, username=operator_name, data=data)
    organization.refresh_from_db()
    return organization


def sop_install(
    *,
    operator,
    organization: Organization,
    shipped: str = "",
    text: str | None = None,
    file_name: str = "",
):
    """The institution runs an SOP from now on: a shipped one (`shipped`, its id), or the
    `text` of an SOP file. New cases start on this version; running cases finish on the
    version they started with. A file with problems raises SopFileInvalid and saves
    nothing. Returns the SopInstall."""
    from siaran.core import sops
    from siaran.sop.load import check_text

    operator_name = _operator_name(operator)
    if text is not None:
        # Problems name the file as given, as `siaran sop check` names it.
        sop, problems = check_text(text, file_name or "sop.yaml")
        if problems or sop is None:
            raise SopFileInvalid(problems)
        sop_id, source = sop.id, "upload"
    else:
        sop_id, source = (shipped or "").strip(), "shipped"
        text = sops.catalog().texts.get(sop_id)
        if text is None:
            raise OrgError(_("No SOP shipped with Siaran has the id %(id)s.") % {"id": sop_id})
    sha256 = SopVersion.digest(text)
    org_sop = OrgSop.objects.filter(organization=organization, sop_id=sop_id).first()
    if org_sop is not None and org_sop.active:
        runs = org_sop.version.sha256 if org_sop.version else None
        if (runs or SopVersion.digest(sops.catalog().texts.get(sop_id, ""))) == sha256:
            raise OrgError(_("The institution already runs exactly this version of the SOP."))
    with transaction.atomic():
        version, _created = SopVersion.objects.get_or_create(
            sha256=sha256, defaults={"sop_id": sop_id, "text": text}
        )
        # A shipped SOP follows its file (None); an uploaded one runs the version uploaded.
        current = version if source == "upload" else None
        org_sop, _created = OrgSop.objects.update_or_create(
            organization=organization, sop_id=sop_id, defaults={"version": current, "active": True}
        )
        install = SopInstall.objects.create(
            org_sop=org_sop,
            version=version,
            source=source,
            file_name=os.path.basename(file_name or "")[:200] if source == "upload" else "",
            installed_by=operator,
            installed_at=timezone.now(),
        )
        Organization.objects.filter(pk=organization.pk).update(sops_version=F("sops_version") + 1)
        data = {"sop": sop_id, "sha256": sha256, "source": source, "file": install.file_name}
        record("sop_installed", organization=organization, username=operator_name, data=data)
    organization.refresh_from_db(fields=["sops_version"])
    return install


def _institution_fields(name: str, short_name: str, parent: str, time_zone: str) -> dict:
    name, short_name, parent = (" ".join((v or "").split()) for v in (name, short_name, parent))
    if not name:
        raise OrgError(_("Give the institution its name."))
    for value, field in ((name, "name"), (short_name, "short_name"), (parent, "parent")):
        limit = Organization._meta.get_field(field).max_length
        if len(value) > limit:
            raise OrgError(
                _("%(field)s is too long: at most %(limit)s characters.")
                % {"field": Organization._meta.get_field(field).verbose_name, "limit": limit}
            )
    time_zone = (time_zone or "").strip()
    if time_zone not in zoneinfo.available_timezones():
        raise OrgError(_("%(zone)s is not a time zone.") % {"zone": repr(time_zone)})
    return {"name": name, "short_name": short_name, "parent": parent, "time_zone": time_zone}


def _unit_names(units) -> list[str]:
    names = list(dict.fromkeys(" ".join(u.split()) for u in units if u and u.strip()))
    limit = Unit._meta.get_field("name").max_length
    if any(len(u) > limit for u in names):
        raise OrgError(
            _("A unit's name is too long: at most %(limit)s characters.") % {"limit": limit}
        )
    return names


def _operator_name(user) -> str:
    """Who did it, for the audit trail: a superuser of the site, or None for the command
    line (whoever runs `siaran` on the server operates the install already)."""
    if user is None:
        return "(command line)"
    if not user.is_superuser:
        raise OrgError(_("Only the operator of this Siaran can do this."))
    return user.username
