"""The only code that changes institutions, people and lane seats."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Acting, LaneMember, Organization, OrgSop, Person, Unit


def organization_ensure(
    *, slug: str, name: str, short_name: str = "", parent: str = "", sop_ids: tuple[str, ...] = ()
) -> Organization:
    organization, _created = Organization.objects.update_or_create(
        slug=slug, defaults={"name": name, "short_name": short_name, "parent": parent}
    )
    for sop_id in sop_ids:
        OrgSop.objects.get_or_create(organization=organization, sop_id=sop_id)
    return organization


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
) -> Person:
    """Create or refresh a person and their login."""
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
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
    return person


def lane_assign(*, person: Person, sop_id: str, lane_id: str) -> LaneMember:
    org_sop = OrgSop.objects.get(organization_id=person.organization_id, sop_id=sop_id)
    return LaneMember.objects.get_or_create(org_sop=org_sop, person=person, lane_id=lane_id)[0]


def acting_add(
    *,
    person: Person,
    for_person: Person,
    starts: dt.date,
    ends: dt.date,
    kind: str = "plh",
    note: str = "",
) -> Acting:
    return Acting.objects.get_or_create(
        person=person,
        for_person=for_person,
        starts=starts,
        ends=ends,
        defaults={"kind": kind, "note": note},
    )[0]
