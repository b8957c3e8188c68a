"""Read queries: which cases a person may see, their tasks, and a case's timeline."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Q, QuerySet

from siaran.core import sops
from siaran.core.sql import Table
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
    working_sops = [
        sop_id for sop_id, lane_id in seats if _works_past_the_start(person, sop_id, lane_id)
    ]
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
    return any(_works_past_the_start(person, case.sop_id, lane) for lane in lanes)


def _works_past_the_start(person: Person, sop_id: str, lane_id: str) -> bool:
    sop = sops.running(person.organization, sop_id)
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
    detail: bool = False,
) -> list[Task]:
    """Cases waiting on a step in the lanes `person` may act in, soonest due first.

    Each carries only what the inbox shows, and `claimed_by_name` of whoever took it;
    with `detail`, also the lane, since when the step waits, `lock_version` (the step's
    run) and `claimed_by_username`, which the API gives. Hand-written SQL: the inbox is
    the page everyone opens all day, and compiling this query cost more than running it.
    On PostgreSQL every column read costs time too, so the inbox does not read those
    only the API needs (bench/README.md, figure 3).
    """
    seats = sorted(seats_of(person) if seats is None else seats)
    if not seats:
        return []
    fields = _TASK_DETAIL_FIELDS if detail else _TASK_FIELDS
    extra = ("claimed_by_name", "claimed_by_username") if detail else ("claimed_by_name",)
    lanes = " OR ".join(["(c.sop_id = %s AND c.current_lane = %s)"] * len(seats))
    # Whoever took a step, by a subquery per row rather than a join, so that PostgreSQL
    # reads the lane's index in due order and stops at the page's end.
    people, users = Person._meta.db_table, User._meta.db_table
    sql = (
        f"SELECT {', '.join('c.' + name for name in fields)},"  # noqa: S608 (our names)
        f" (SELECT p.name FROM {people} p WHERE p.id = c.claimed_by_id) AS claimed_by_name"
    )
    if detail:
        sql += (
            f", (SELECT u.username FROM {people} p JOIN {users} u ON u.id = p.user_id"  # noqa: S608
            " WHERE p.id = c.claimed_by_id) AS claimed_by_username"
        )
    sql += (
        f" FROM {Case._meta.db_table} c"
        f" WHERE c.organization_id = %s AND c.status = %s AND ({lanes})"
    )
    params: list = [person.organization_id, "active", *(value for seat in seats for value in seat)]
    if title:
        sql += r" AND UPPER(c.title) LIKE UPPER(%s) ESCAPE '\'"
        params.append(f"%{_escape_like(title)}%")
    # An open-ended step (no due time) comes after those that are due, on both databases
    # (SQLite would put NULL first); PostgreSQL's ascending index has them last already.
    sql += " ORDER BY c.current_due NULLS LAST, c.id"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    names = fields + extra
    return [Task(**dict(zip(names, row, strict=True))) for row in _rows(sql, params, fields)]


def started_by(person: Person, limit: int = 20, offset: int = 0) -> list[Case]:
    """The cases `person` started (id, title, status), newest first, for their inbox:
    `limit` of them after the first `offset`."""
    sql = (
        f"SELECT id, title, status FROM {Case._meta.db_table}"  # noqa: S608 (our names)
        " WHERE created_by_id = %s ORDER BY created_at DESC LIMIT %s OFFSET %s"
    )
    names = _in_model_order("id", "title", "status")
    params = [person.pk, limit, offset]
    return [Case.from_db(connection.alias, names, row) for row in _rows(sql, params, names)]


def _in_model_order(*attnames: str) -> tuple[str, ...]:
    """The fields in the model's order, which Case.from_db expects."""
    return tuple(f.attname for f in Case._meta.concrete_fields if f.attname in attnames)


# What a task carries in the inbox, and for the API (attnames, which are also columns).
_TASK_FIELDS = _in_model_order(
    "id",
    "title",
    "sop_id",
    "sop_version_id",
    "current_step",
    "current_round",
    "current_due",
    "claimed_by_id",
)
_TASK_DETAIL_FIELDS = _in_model_order(
    *_TASK_FIELDS, "current_lane", "current_since", "lock_version"
)


class Task:
    """An open step as the task lists show it: the columns `open_tasks` read, as
    attributes; `pk` is the case's id. Not a Case: building fifty model instances for a
    page of the inbox cost more than the statement that read them (bench/README.md)."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id


_CASES = Table(Case)


def _rows(sql: str, params: list, attnames: tuple[str, ...]) -> list[list]:
    """The rows of a hand-written SELECT of the case columns `attnames`, then any others,
    converted as the ORM converts them: what Case.objects.raw() does without its
    per-query setup, which cost more than the inbox's statements (bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _CASES.converted(cursor.fetchall(), attnames)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
