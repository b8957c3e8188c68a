"""The only code that changes institutions, people and lane seats."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from siaran.audit.actions import anchor_first, record
from siaran.core.site import site_url

from .calendar import shipped_holidays
from .models import (
    HOLIDAY_KINDS,
    MAIL_MODES,
    SECOND_FACTOR_RULES,
    Acting,
    Holiday,
    Invitation,
    LaneMember,
    Organization,
    OrgSop,
    Person,
    SopInstall,
    SopVersion,
    Unit,
)

log = logging.getLogger(__name__)


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
    username, name = username.strip(), name.strip()
    email = _checked_email(email)
    if not username or not name:
        raise OrgError(_("A username and a name are required."))
    nip = _checked_nip(nip)
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


def sop_public_set(*, admin: Person, sop_id: str, public: bool) -> OrgSop:
    """May anyone read the SOP's page and document without signing in? The institution
    chooses; by default only its people read its SOPs."""
    _require_admin(admin)
    org_sop = OrgSop.objects.filter(organization_id=admin.organization_id, sop_id=sop_id).first()
    if org_sop is None:
        raise OrgError(_("Your institution does not run this SOP."))
    with transaction.atomic():
        OrgSop.objects.filter(pk=org_sop.pk).update(public=public)
        record("sop_public_set", actor=admin, data={"sop": sop_id, "public": public})
    org_sop.public = public
    return org_sop


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
            if len(email) > 254:  # the longest the user's column holds
                raise ValidationError(email)
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
        anchor_first(organization)  # sealed from its first day (siaran.audit)
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


# -- invitations ---------------------------------------------------------------------

SAME_MOMENT = gettext_noop(
    "Someone invited the same address at the same moment: look at the invitations."
)


def invitation_send(
    *,
    organization: Organization | str,
    email: str,
    is_admin: bool = False,
    actor: Person | None = None,
    name: str = "",
    nip: str = "",
    title: str = "",
    unit_name: str = "",
    seats: list[tuple[str, str]] | tuple = (),
    base_url: str = "",
) -> Invitation:
    """Invite `email` to join `organization` (an institution or its slug) by a single-use
    link that expires, mailed once the invitation is committed. `actor`: the administrator
    who invites (None: the operator). An open invitation to the same address is replaced.
    The returned invitation carries the link as `.link` (the only time it is known)."""
    organization = _organization(organization)
    if actor is not None:
        _require_admin(actor)
        if actor.organization_id != organization.pk:
            raise OrgError(_("Only an administrator of your institution can do this."))
    fields = _invitation_fields(
        organization, email=email, name=name, nip=nip, title=title, seats=list(seats)
    )
    try:
        with transaction.atomic():
            invitation = _invitation_write(
                organization, actor, fields, is_admin=is_admin, unit_name=unit_name, base=base_url
            )
            pending = [(invitation.pk, invitation.link)]
            transaction.on_commit(lambda: invitations_mail(pending), robust=True)
    except IntegrityError:  # the same address invited at the same moment (one open each)
        raise OrgError(_(SAME_MOMENT)) from None
    return invitation


def invitation_resend(*, admin: Person, invitation_id: int, base_url: str = "") -> Invitation:
    """Send an open or expired invitation again with a new link; the old link stops."""
    old = _admins_invitation(admin, invitation_id)
    return invitation_send(
        organization=admin.organization,
        email=old.email,
        is_admin=old.is_admin,
        actor=admin,
        name=old.name,
        nip=old.nip,
        title=old.title,
        unit_name=old.unit.name if old.unit else "",
        seats=[tuple(seat) for seat in old.seats],
        base_url=base_url,
    )


def invitation_revoke(*, admin: Person, invitation_id: int) -> None:
    invitation = _admins_invitation(admin, invitation_id)
    with transaction.atomic():
        revoked = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if revoked:
            record("invitation_revoked", actor=admin, data={"email": invitation.email})


def invitation_accept(
    *, token: str, username: str, name: str, password: str, password_again: str
) -> Person:
    """Make the invited person's login and person, seat them, and use the invitation up.
    Single use even when two submissions race: the invitation is taken by a conditional
    update first, in the same transaction as everything else."""
    invitation = Invitation.objects.filter(token_digest=Invitation.digest_of(token)).first()
    if invitation is None or not invitation.is_open:
        raise OrgError(_("This invitation link cannot be used any more."))
    User = get_user_model()  # noqa: N806 (a class)
    username, name = username.strip(), " ".join(name.split())
    if not username or not name:
        raise OrgError(_("A username and a name are required."))
    if len(username) > 150 or len(name) > 200:
        raise OrgError(_("The username or the name is too long."))
    try:
        User.username_validator(username)
    except ValidationError:
        raise OrgError(
            _("A username may have only letters, digits and the characters @ . + - _.")
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise OrgError(_("This username is taken."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise OrgError(_("Someone in Siaran already has this e-mail address."))
    if password != password_again:
        raise OrgError(_("The two passwords differ."))
    try:
        validate_password(password, User(username=username, email=invitation.email))
    except ValidationError as error:
        raise OrgError(" ".join(error.messages)) from None
    now = timezone.now()
    try:
        with transaction.atomic():
            taken = Invitation.objects.filter(
                pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
            ).update(accepted_at=now)
            if not taken:
                raise OrgError(_("This invitation link cannot be used any more."))
            # Created here, not by person_ensure's get_or_create: a username taken a moment
            # ago by someone else must fail, not hand over their login.
            User.objects.create(username=username, email=invitation.email)
            person = person_ensure(
                organization=invitation.organization,
                username=username,
                name=name,
                password=password,
                nip=invitation.nip,
                title=invitation.title,
                unit=invitation.unit,
                is_admin=invitation.is_admin,
                email=invitation.email,
            )
            runs = {
                sop_id for sop_id in invitation.organization.sops.values_list("sop_id", flat=True)
            }
            for sop_id, lane_id in invitation.seats:
                if sop_id in runs:
                    lane_assign(person=person, sop_id=sop_id, lane_id=lane_id)
            Invitation.objects.filter(pk=invitation.pk).update(accepted_by=person)
            data = {"email": invitation.email, "username": username}
            record("invitation_accepted", actor=person, data=data)
    except IntegrityError:
        raise OrgError(_("This username is taken.")) from None
    return person


def invitations_mail(pending: list[tuple[int, str]]) -> int:
    """Mail each invitation (id, link) through one connection; runs after the commit.
    An invitation whose mail fails keeps no `mailed_at`, and its page offers to resend."""
    invitations = Invitation.objects.select_related("organization", "invited_by__user").in_bulk(
        [pk for pk, _link in pending]
    )
    sent = 0
    with mail.get_connection() as connection:
        for pk, link in pending:
            invitation = invitations.get(pk)
            if invitation is None:
                continue
            try:
                _invitation_message(invitation, link, connection).send()
            except Exception:
                log.exception("invitation %s: mail failed", pk)
            else:
                Invitation.objects.filter(pk=pk).update(mailed_at=timezone.now())
                sent += 1
    return sent


def _invitation_message(invitation: Invitation, link: str, connection) -> mail.EmailMessage:
    """Indonesian first, then English: the invited person's language is not known yet."""
    context = {"invitation": invitation, "link": link, "organization": invitation.organization}
    parts = []
    for language in ("id", "en"):
        with translation.override(language), timezone.override(invitation.organization.time_zone):
            parts.append(render_to_string("orgs/mail/invitation.txt", context).strip())
    with translation.override("id"):
        subject = _("[Siaran] Invitation to join %(organization)s") % {
            "organization": invitation.organization.name
        }
    return mail.EmailMessage(
        subject=subject,
        body="\n\n----------\n\n".join(parts) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        connection=connection,
    )


def _organization(organization: Organization | str) -> Organization:
    if isinstance(organization, Organization):
        return organization
    found = Organization.objects.filter(slug=organization).first()
    if found is None:
        raise OrgError(_("There is no institution %(slug)s.") % {"slug": organization})
    return found


def _invitation_fields(
    organization: Organization, *, email: str, name: str, nip: str, title: str, seats: list
) -> dict:
    """The invitation's checked fields; OrgError with a sentence when one is wrong."""
    email = _checked_email(email).lower()
    if not email:
        raise OrgError(_("An e-mail address is required."))
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise OrgError(_("Someone in Siaran already has this e-mail address."))
    nip = _checked_nip(nip)
    seats = _checked_seats(organization, seats)
    return {
        "email": email,
        "name": " ".join(name.split())[:200],
        "nip": nip,
        "title": " ".join(title.split())[:200],
        "seats": seats,
    }


def _invitation_write(
    organization: Organization,
    actor: Person | None,
    fields: dict,
    *,
    is_admin: bool,
    unit_name: str,
    base: str,
) -> Invitation:
    """Replace the open invitation to the address, if any, with a new one (in the caller's
    transaction); returns it with its link as `.link`."""
    now = timezone.now()
    Invitation.objects.filter(
        organization=organization, email=fields["email"], accepted_at=None, revoked_at=None
    ).update(revoked_at=now)
    unit_name = " ".join(unit_name.split())
    unit = unit_ensure(organization=organization, name=unit_name[:200]) if unit_name else None
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        invited_by=actor,
        token_digest=Invitation.digest_of(token),
        expires_at=now + dt.timedelta(days=settings.SIARAN_INVITATION_DAYS),
        is_admin=bool(is_admin),
        unit=unit,
        **fields,
    )
    invitation.link = site_url(base) + reverse("orgs:invitation", args=[token])
    data = {"email": invitation.email, "is_admin": invitation.is_admin, "seats": fields["seats"]}
    record("invitation_sent", organization=organization, actor=actor, data=data)  # no token
    return invitation


def _checked_nip(nip: str) -> str:
    nip = "".join((nip or "").split())
    if nip and (not nip.isdigit() or len(nip) != 18):
        raise OrgError(_("A NIP has 18 digits."))
    return nip


def _checked_seats(organization: Organization, seats: list) -> list[list[str]]:
    from siaran.core import sops

    runs = set(organization.sops.values_list("sop_id", flat=True))
    checked = []
    for sop_id, lane_id in seats:
        sop = sops.running(organization, sop_id) if sop_id in runs else None
        if sop is None:
            raise OrgError(_("Your institution does not run the SOP %(sop)s.") % {"sop": sop_id})
        if lane_id not in {lane.id for lane in sop.lanes}:
            raise OrgError(
                _("The SOP %(sop)s has no lane %(lane)s.") % {"sop": sop_id, "lane": lane_id}
            )
        if [sop_id, lane_id] not in checked:
            checked.append([sop_id, lane_id])
    return checked


def _admins_invitation(admin: Person, invitation_id: int) -> Invitation:
    _require_admin(admin)
    invitation = Invitation.objects.filter(
        pk=invitation_id, organization_id=admin.organization_id, accepted_at=None
    ).first()
    if invitation is None:
        raise OrgError(_("No such invitation."))
    return invitation


# -- a person's record, deactivation, lockouts -----------------------------------------


def person_edit(
    *,
    admin: Person,
    person_id: int,
    name: str,
    nip: str = "",
    title: str = "",
    unit_name: str = "",
    email: str = "",
    is_admin: bool = False,
) -> Person:
    person = _admins_person(admin, person_id)
    name = " ".join(name.split())
    if not name:
        raise OrgError(_("A name is required."))
    nip = _checked_nip(nip)
    email = _checked_email(email)
    users = get_user_model().objects
    if email and users.filter(email__iexact=email).exclude(pk=person.user_id).exists():
        raise OrgError(_("Someone in Siaran already has this e-mail address."))
    if person.is_admin and not is_admin and _last_admin(person):
        raise OrgError(_("The institution's last administrator stays an administrator."))
    unit_name = " ".join(unit_name.split())
    with transaction.atomic():
        person.unit = None
        if unit_name:
            person.unit = unit_ensure(organization=admin.organization, name=unit_name[:200])
        person.name, person.nip, person.title = name[:200], nip, " ".join(title.split())[:200]
        person.is_admin = bool(is_admin)
        person.save(update_fields=["name", "nip", "title", "unit", "is_admin"])
        person.user.email = email
        person.user.save(update_fields=["email"])
        data = {"person": person.user.username, "name": person.name, "nip": nip}
        data.update(title=person.title, unit=unit_name, email=email, is_admin=person.is_admin)
        record("person_edited", actor=admin, data=data)
    return person


def person_deactivate(*, admin: Person, person_id: int) -> int:
    """The person can no longer sign in or be told anything; every step they had taken
    goes back to their team's queue. Their lane seats stay, shown as empty. Returns the
    number of steps released."""
    from siaran.cases.actions import claims_release  # cases imports this app

    person = _admins_person(admin, person_id)
    if person.pk == admin.pk:
        raise OrgError(_("You cannot deactivate yourself."))
    if person.is_admin and _last_admin(person):
        raise OrgError(_("The institution's last administrator cannot be deactivated."))
    with transaction.atomic():
        updated = get_user_model().objects.filter(pk=person.user_id, is_active=True)
        if not updated.update(is_active=False):
            return 0
        released = claims_release(person=person, actor=admin)
        data = {"person": person.user.username, "released": released}
        record("person_deactivated", actor=admin, data=data)
    return released


def person_reactivate(*, admin: Person, person_id: int) -> None:
    person = _admins_person(admin, person_id)
    with transaction.atomic():
        if (
            get_user_model()
            .objects.filter(pk=person.user_id, is_active=False)
            .update(is_active=True)
        ):
            record("person_reactivated", actor=admin, data={"person": person.user.username})


def person_unlock(*, admin: Person, person_id: int) -> int:
    """Lift a lockout after too many failed sign-ins (django-axes); returns the failed
    attempts forgotten."""
    from axes.models import AccessAttempt

    person = _admins_person(admin, person_id)
    names = login_names(person.user)
    with transaction.atomic():
        removed, _rows = AccessAttempt.objects.filter(username__in=names).delete()
        if removed:
            record("person_unlocked", actor=admin, data={"person": person.user.username})
    return removed


def login_names(user) -> list[str]:
    """What a person may type to sign in, as django-axes records it."""
    names = {user.username}
    if user.email:
        names |= {user.email, user.email.lower()}
    return sorted(names)


def _admins_person(admin: Person, person_id: int) -> Person:
    _require_admin(admin)
    person = (
        Person.objects.filter(pk=person_id, organization_id=admin.organization_id)
        .select_related("user", "unit")
        .first()
    )
    if person is None:
        raise OrgError(_("No such person in your institution."))
    return person


def _last_admin(person: Person) -> bool:
    """Whether `person` is the only active administrator of their institution."""
    others = Person.objects.filter(
        organization_id=person.organization_id, is_admin=True, user__is_active=True
    ).exclude(pk=person.pk)
    return not others.exists()


# -- import ------------------------------------------------------------------------------


def people_import(*, admin: Person, name: str, data: bytes, base_url: str = "") -> dict:
    """Invite every valid row of a filled people template (siaran.orgs.people_sheet): the
    invitation carries the row's name, NIP, title, unit, administrator flag and lane seats,
    which the person gets on accepting it. Returns {"saved": [(row, e-mail)], "refused":
    [(row, reason)]}. A file that cannot be read raises OrgError and saves nothing."""
    from . import people_sheet

    _require_admin(admin)
    organization = admin.organization
    sop_ids = sorted(organization.sops.values_list("sop_id", flat=True))
    try:
        rows = people_sheet.read(name, data, sop_ids)
    except people_sheet.SheetError as error:
        raise OrgError(str(error)) from None
    if not rows:
        raise OrgError(_("The file has no people in it."))
    try:
        return _people_save(admin, name, rows, base_url)
    except IntegrityError:  # an address invited at the same moment elsewhere
        raise OrgError(_(SAME_MOMENT)) from None


def _people_save(admin: Person, name: str, rows: list, base_url: str) -> dict:
    from . import people_sheet

    organization = admin.organization
    saved, refused, seen, pending = [], [], {}, []
    with transaction.atomic():
        for row in rows:
            values = row.values
            email = values.get("email", "").lower()
            try:
                if not values.get("name"):
                    raise OrgError(_("The name is missing."))
                if email in seen:
                    raise OrgError(
                        _("The e-mail address is already on row %(row)d.") % {"row": seen[email]}
                    )
                admin_flag = values.get("admin", "").lower()
                if admin_flag not in people_sheet.YES | people_sheet.NO:
                    raise OrgError(_("Write ya or tidak in the administrator column."))
                seats = [
                    (sop_id, lane.strip())
                    for sop_id, cell in row.lanes.items()
                    for lane in cell.replace(";", ",").split(",")
                    if lane.strip()
                ]
                fields = _invitation_fields(
                    organization,
                    email=email,
                    name=values.get("name", ""),
                    nip=values.get("nip", ""),
                    title=values.get("title", ""),
                    seats=seats,
                )
            except OrgError as error:
                refused.append((row.number, str(error)))
                if email and email not in seen:
                    seen[email] = row.number
                continue
            seen[email] = row.number
            invitation = _invitation_write(
                organization,
                admin,
                fields,
                is_admin=admin_flag in people_sheet.YES,
                unit_name=values.get("unit", ""),
                base=base_url,
            )
            pending.append((invitation.pk, invitation.link))
            saved.append((row.number, invitation.email))
        data = {"file": name[:200], "saved": len(saved), "refused": len(refused)}
        record("people_imported", actor=admin, data=data)
        if pending:
            transaction.on_commit(lambda: invitations_mail(pending), robust=True)
    return {"saved": saved, "refused": refused}
