"""Who may do what: lanes held directly or by standing in (Plh./Plt.)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Acting, LaneMember, Person


def lane_memberships(person: Person, day: dt.date | None = None) -> QuerySet[LaneMember]:
    """The lane seats `person` holds on `day`: their own and those of whom they stand in for."""
    day = day or timezone.localdate()
    standing_in = Acting.objects.filter(person=person, starts__lte=day, ends__gte=day).values(
        "for_person"
    )
    return LaneMember.objects.filter(
        Q(person=person) | Q(person__in=standing_in),
        org_sop__organization_id=person.organization_id,
        org_sop__active=True,
    )


def lanes_of(person: Person, sop_id: str, day: dt.date | None = None) -> dict[str, Person | None]:
    """Every lane of an SOP `person` may act in, with whom they stand in for (None: own)."""
    lanes: dict[str, Person | None] = {}
    rows = lane_memberships(person, day).filter(org_sop__sop_id=sop_id).select_related("person")
    for row in rows:
        if row.person_id == person.pk:
            lanes[row.lane_id] = None  # one's own seat wins over standing in
        else:
            lanes.setdefault(row.lane_id, row.person)
    return lanes
