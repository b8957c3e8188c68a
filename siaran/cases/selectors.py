"""Read queries: which cases a person may see, their tasks, and a case's timeline."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from siaran.core import sops
from siaran.orgs.models import Person
from siaran.orgs.selectors import seats_of

from .models import Case


def visible_cases(person: Person, seats: set[tuple[str, str]] | None = None) -> QuerySet[Case]:
    """Nobody sees another institution's cases. Within one, a person sees:

    - every case of an SOP in which they (or the one they stand in for) hold a lane that
      works on more than the first step: reviewers and the PR team see the whole flow;
    - the cases they started, and those their unit requested;
    - every case, read-only, if they administer the institution.
    """
    own = Case.objects.filter(organization_id=person.organization_id)
    if person.is_admin:
        return own
    seats = seats_of(person) if seats is None else seats
    working_sops = [sop_id for sop_id, lane_id in seats if _works_past_the_start(sop_id, lane_id)]
    mine = Q(created_by=person) | Q(sop_id__in=working_sops)
    if person.unit_id:
        mine |= Q(requesting_unit_id=person.unit_id)
    return own.filter(mine)


def can_see(person: Person, case: Case, lanes) -> bool:
    """The rule of `visible_cases` for one case, given the person's lanes in its SOP."""
    if case.organization_id != person.organization_id:
        return False
    if person.is_admin or case.created_by_id == person.pk:
        return True
    if person.unit_id and case.requesting_unit_id == person.unit_id:
        return True
    return any(_works_past_the_start(case.sop_id, lane) for lane in lanes)


def _works_past_the_start(sop_id: str, lane_id: str) -> bool:
    sop = sops.find(sop_id)
    return sop is not None and any(
        step.lane == lane_id for step in sop.steps if step.id != sop.first_step.id
    )


def open_tasks(
    person: Person,
    seats: set[tuple[str, str]] | None = None,
    *,
    title: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> list[Case]:
    """Cases waiting on a step in the lanes `person` may act in, soonest due first.

    Each carries only what a task list shows, and `claimed_by_name` and
    `claimed_by_username` of whoever took it. Hand-written SQL: the inbox is the page
    everyone opens all day, and compiling this query cost more than running it.
    """
    seats = sorted(seats_of(person) if seats is None else seats)
    if not seats:
        return []
    lanes = " OR ".join(["(c.sop_id = %s AND c.current_lane = %s)"] * len(seats))
    sql = (
        "SELECT c.id, c.title, c.sop_id, c.current_step, c.current_lane, c.current_round,"  # noqa: S608
        " c.current_since, c.current_due, c.claimed_by_id,"
        " p.name AS claimed_by_name, u.username AS claimed_by_username"
        f" FROM {Case._meta.db_table} c"
        f" LEFT JOIN {Person._meta.db_table} p ON p.id = c.claimed_by_id"
        f" LEFT JOIN {User._meta.db_table} u ON u.id = p.user_id"
        f" WHERE c.organization_id = %s AND c.status = %s AND ({lanes})"
    )
    params: list = [person.organization_id, "active", *(value for seat in seats for value in seat)]
    if title:
        sql += r" AND UPPER(c.title) LIKE UPPER(%s) ESCAPE '\'"
        params.append(f"%{_escape_like(title)}%")
    sql += " ORDER BY c.current_due, c.id"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    return list(Case.objects.raw(sql, params))  # noqa: S611 (values are parameters)


def started_by(person: Person, limit: int = 20) -> list[Case]:
    """The newest cases `person` started (id, title, status), for their inbox."""
    sql = (
        f"SELECT id, title, status FROM {Case._meta.db_table}"  # noqa: S608 (our names)
        " WHERE created_by_id = %s ORDER BY created_at DESC LIMIT %s"
    )
    return list(Case.objects.raw(sql, [person.pk, limit]))  # noqa: S611 (parameters)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
