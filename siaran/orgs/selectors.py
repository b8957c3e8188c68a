"""Who may do what: lanes held directly or by standing in (Plh./Plt.)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import Acting, LaneMember, Organization, OrgSop, Person

# The one rule for lane seats, read on every transition and every page; plain SQL
# because compiling it through the ORM cost more than running it (bench/README.md).
# A seat is held by the person themself, or by whoever stands in for them that day.
_SEATS = (
    f"SELECT o.sop_id, m.lane_id, m.person_id"  # noqa: S608 (table names from the models)
    f" FROM {LaneMember._meta.db_table} m JOIN {OrgSop._meta.db_table} o ON o.id = m.org_sop_id"
    f" WHERE o.organization_id = %s AND o.active = %s AND (m.person_id = %s OR m.person_id IN"
    f" (SELECT a.for_person_id FROM {Acting._meta.db_table} a"
    f" WHERE a.person_id = %s AND a.starts <= %s AND a.ends >= %s))"
)


def seats_sql(person: Person, sop_id: str | None = None, day: dt.date | None = None):
    """The seat rule as SQL with its parameters: rows of (sop_id, lane_id, person_id), where
    person_id is `person` for their own seats and the absent holder's when standing in.
    Callers may run it alone or join it (the case read on every transition does)."""
    day = connection.ops.adapt_datefield_value(day or timezone.localdate())
    sql, params = _SEATS, [person.organization_id, True, person.pk, person.pk, day, day]
    if sop_id is not None:
        sql, params = sql + " AND o.sop_id = %s", [*params, sop_id]
    return sql, params


def lanes_from(person: Person, rows) -> dict[str, Person | None]:
    """Seat rows of one SOP as {lane id: whom `person` stands in for there (None: own)}."""
    lanes: dict[str, int | None] = {}
    for lane_id, holder in rows:
        if holder == person.pk:
            lanes[lane_id] = None  # one's own seat wins over standing in
        else:
            lanes.setdefault(lane_id, holder)
    stood_in_for = Person.objects.in_bulk({pk for pk in lanes.values() if pk is not None})
    return {lane: stood_in_for[pk] if pk else None for lane, pk in lanes.items()}


def _seat_rows(person: Person, sop_id: str | None, day: dt.date | None):
    with connection.cursor() as cursor:
        cursor.execute(*seats_sql(person, sop_id, day))
        return cursor.fetchall()


def seats_of(person: Person, day: dt.date | None = None) -> set[tuple[str, str]]:
    """(SOP id, lane id) of every lane `person` holds on `day`, by right or standing in."""
    return {(sop_id, lane_id) for sop_id, lane_id, _holder in _seat_rows(person, None, day)}


def lanes_of(person: Person, sop_id: str, day: dt.date | None = None) -> dict[str, Person | None]:
    """Every lane of an SOP `person` may act in, with whom they stand in for (None: own)."""
    rows = _seat_rows(person, sop_id, day)
    return lanes_from(person, [(lane_id, holder) for _sop, lane_id, holder in rows])


def lane_holders(
    organization_id: int, sop_id: str, lane_id: str, day: dt.date | None = None
) -> list[Person]:
    """Everyone who holds a lane of an SOP on `day`: the seat rule above seen from the lane.
    Its members hold it, and so does whoever stands in (Plh./Plt.) for one of them that day.
    With their user (for the e-mail address) and institution."""
    day = day or timezone.localdate()
    members = LaneMember.objects.filter(
        org_sop__organization_id=organization_id,
        org_sop__active=True,
        org_sop__sop_id=sop_id,
        lane_id=lane_id,
    ).values("person_id")
    standing_in = Acting.objects.filter(
        for_person_id__in=members, starts__lte=day, ends__gte=day
    ).values("person_id")
    # A deactivated person is told nothing: their seat is empty (person_deactivate).
    return list(
        Person.objects.filter(organization_id=organization_id, user__is_active=True)
        .filter(Q(pk__in=members) | Q(pk__in=standing_in))
        .select_related("user", "organization")
        .order_by("pk")
    )


def needs_second_factor(person: Person) -> bool:
    """Whether the person's institution requires them to sign in with a second factor:
    everyone, or the people who hold a lane that owns a review (decision) step of an SOP
    the institution runs, by their seat or standing in for someone (Plh./Plt.)."""
    rule = person.organization.second_factor
    if rule == "everyone":
        return True
    if rule != "review":
        return False
    from siaran.core import sops  # the SOP registry: loaded on first use

    runs = OrgSop.objects.filter(organization_id=person.organization_id, active=True)
    for sop_id in runs.values_list("sop_id", flat=True):
        sop = sops.running(person.organization, sop_id)  # the version it runs now
        # Their own seats, and the lanes they stand in for today (Plh./Plt.): a stand-in
        # decides the director's reviews as the director does.
        lanes = lanes_of(person, sop_id)
        if sop is not None and any(s.kind == "review" and s.lane in lanes for s in sop.steps):
            return True
    return False


def empty_lanes(organization_id: int) -> list[tuple[object, object]]:
    """(SOP, lane) of every lane of the SOPs the institution runs where no active person
    sits: its steps would wait for nobody. A deactivated person's seat counts as empty."""
    from siaran.core import sops

    active = set(
        LaneMember.objects.filter(
            org_sop__organization_id=organization_id, person__user__is_active=True
        ).values_list("org_sop__sop_id", "lane_id")
    )
    empty = []
    organization = Organization.objects.get(pk=organization_id)
    runs = OrgSop.objects.filter(organization_id=organization_id, active=True).order_by("sop_id")
    for sop_id in runs.values_list("sop_id", flat=True):
        sop = sops.running(organization, sop_id)  # the version it runs now
        if sop is not None:
            empty += [(sop, lane) for lane in sop.lanes if (sop_id, lane.id) not in active]
    return empty


def last_in_lanes(organization_id: int) -> dict[int, list[tuple[object, object]]]:
    """{person id: [(SOP, lane)]} of the lanes each active person alone holds: what
    deactivating them would leave with nobody."""
    from collections import defaultdict

    from siaran.core import sops

    holders = defaultdict(set)
    for sop_id, lane_id, person_id in LaneMember.objects.filter(
        org_sop__organization_id=organization_id,
        org_sop__active=True,
        person__user__is_active=True,
    ).values_list("org_sop__sop_id", "lane_id", "person_id"):
        holders[sop_id, lane_id].add(person_id)
    alone = defaultdict(list)
    organization = Organization.objects.get(pk=organization_id)
    for (sop_id, lane_id), people in sorted(holders.items()):
        sop = sops.running(organization, sop_id)  # the version it runs now
        lane = next((lane for lane in sop.lanes if lane.id == lane_id), None) if sop else None
        if len(people) == 1 and lane is not None:
            alone[next(iter(people))].append((sop, lane))
    return dict(alone)


def locked_until(people: list[Person]) -> dict[int, dt.datetime]:
    """{person id: when their sign-in lockout ends} for the people django-axes locks out
    now (too many failed sign-ins from one address)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt
    from django.conf import settings

    from .actions import login_names

    cool_off = get_cool_off()
    now = timezone.now()
    names = {name: person.pk for person in people for name in login_names(person.user)}
    attempts = AccessAttempt.objects.filter(username__in=list(names))
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=now - cool_off)
    failures: dict[tuple[int, str | None], tuple[int, dt.datetime]] = {}
    for username, ip, count, at in attempts.values_list(
        "username", "ip_address", "failures_since_start", "attempt_time"
    ):
        key = (names[username], ip)
        total, last = failures.get(key, (0, at))
        failures[key] = (total + count, max(last, at))
    locked: dict[int, dt.datetime] = {}
    for (person_id, _ip), (total, last) in failures.items():
        if total >= settings.AXES_FAILURE_LIMIT:
            # No cool-off: locked until an administrator unlocks.
            forever = dt.datetime.max.replace(tzinfo=dt.UTC)
            until = last + cool_off if cool_off is not None else forever
            locked[person_id] = max(until, locked.get(person_id, until))
    return locked
