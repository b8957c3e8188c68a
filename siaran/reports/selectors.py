"""The SOP monitoring report and the leaders' dashboard, computed in the database.

Every figure is an aggregate over the timeline: a finished step visit is a `step_done`
event (its lane, actor, start, due time on the institution's calendar, end, and clock
seconds taken), a rework is a `sent_back` event, and an open step lives on the case row.
The database counts, sums and ranks; Python only names the rows it gets back.

Percentiles are those of Excel's MEDIAN and PERCENTILE.INC (and PostgreSQL's
`percentile_cont`): the values in order, interpolated between the two nearest ranks.
They are picked with window functions, `ROW_NUMBER() OVER (PARTITION BY step ORDER BY
seconds)` beside `COUNT(*) OVER (...)`, so the same SQL runs on SQLite and PostgreSQL.

Every query is scoped to one institution and one SOP, and to a period where it reads
history: a finished visit counts in the period in which it finished.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.cases.models import Case, CaseEvent
from siaran.core import sops
from siaran.orgs.models import Organization, OrgSop, Person
from siaran.orgs.selectors import seats_of
from siaran.sop.model import Sop, Step

# A step "runs well" (berjalan dengan baik) on the monitoring form when at least this
# share of its visits in the period finished within the time standard.
GOOD_SHARE = 0.8
SLOWEST_SHOWN = 3  # people named per step as the slowest
LONGEST_PERIOD = dt.timedelta(days=731)  # two years: a report, not an archive dump

_CASES = Case._meta.db_table
_EVENTS = CaseEvent._meta.db_table


# -- who may see reports: the one rule ------------------------------------------------


def reportable_sops(person: Person, seats: set[tuple[str, str]] | None = None) -> list[str]:
    """The SOPs whose monitoring report and dashboard `person` may see, sorted.

    An institution's administrators see every SOP it runs; the people of an SOP's review
    lanes (directors, verifiers, controllers: any lane with a review step), in their own
    right or standing in (Plh./Plt.), see that SOP's. Nobody sees another institution's.
    """
    if person.is_admin:
        return sorted(
            OrgSop.objects.filter(organization_id=person.organization_id).values_list(
                "sop_id", flat=True
            )
        )
    seats = seats_of(person) if seats is None else seats
    return sorted({sop_id for sop_id, lane_id in seats if _reviews_in(person, sop_id, lane_id)})


def _reviews_in(person: Person, sop_id: str, lane_id: str) -> bool:
    sop = sops.running(person.organization, sop_id)
    return sop is not None and any(
        step.lane == lane_id and step.kind == "review" for step in sop.steps
    )


# -- the period ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days from `first` to `last`, both included, on the institution's clock."""

    first: dt.date
    last: dt.date
    zone: str = "Asia/Jakarta"

    @classmethod
    def last_30_days(cls, zone: str, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate(timezone=ZoneInfo(zone))
        return cls(today - dt.timedelta(days=29), today, zone)

    @classmethod
    def month_of(cls, day: dt.date, zone: str) -> Period:
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(first, following - dt.timedelta(days=1), zone)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=ZoneInfo(self.zone))

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        following = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(following, dt.time.min, tzinfo=ZoneInfo(self.zone))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches, in order."""
        month, months = self.first.replace(day=1), []
        while month <= self.last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


EARLIEST = dt.date(2000, 1, 1)


class PeriodError(ValueError):
    """A period the report cannot cover, with the reason in the reader's language."""


def parse_period(first: str, last: str, zone: str, today: dt.date) -> Period:
    """The period named by two ISO dates (either may be empty: the last 30 days up to
    `last`, or from `first` to today)."""
    try:
        end = dt.date.fromisoformat(last) if last else today
        start = dt.date.fromisoformat(first) if first else end - dt.timedelta(days=29)
    except ValueError as error:
        raise PeriodError(_("Write the dates as YYYY-MM-DD, for example 2026-01-31.")) from error
    if start > end:
        raise PeriodError(_("The period must start before it ends."))
    if start < EARLIEST or end > today + dt.timedelta(days=366):
        raise PeriodError(_("The period must lie between the year 2000 and next year."))
    if end - start > LONGEST_PERIOD:
        raise PeriodError(_("A report covers at most two years; choose a shorter period."))
    return Period(start, end, zone)


# -- what the report holds -------------------------------------------------------------


@dataclass
class PersonAtStep:
    """One person's finished visits of one step."""

    person_id: int
    name: str
    visits: int
    late: int
    median: float | None  # seconds

    @property
    def share(self) -> float | None:
        return (self.visits - self.late) / self.visits if self.visits else None


@dataclass
class StepFigures:
    number: int  # the row on the monitoring form, from 1
    step_id: str
    step: Step | None  # None: a step of an older version of the SOP
    visits: int = 0  # finished visits, reworked rounds included
    cases: int = 0  # distinct cases among them
    late: int = 0  # finished after the due time
    seconds: int = 0  # clock seconds over all visits
    seconds_over: float = 0  # clock seconds past the due time, over the late visits
    median: float | None = None  # seconds
    p90: float | None = None
    sent_back: int = 0  # times this step sent work back (a "no")
    returned: int = 0  # times work was sent back to this step to be redone
    open_now: int = 0
    overdue_now: int = 0
    slowest: list[PersonAtStep] = field(default_factory=list)

    @property
    def open_ended(self) -> bool:
        """A step with no time standard ("sewaktu-waktu"): it cannot run late, so it is
        left out of every on-time figure and shown as such."""
        return self.step is not None and self.step.time.open_ended

    @property
    def within(self) -> int:
        return self.visits - self.late

    @property
    def share(self) -> float | None:
        """The share of finished visits within the time standard; None without visits
        and for an open-ended step."""
        return self.within / self.visits if self.visits and not self.open_ended else None

    @property
    def runs_well(self) -> bool | None:
        """The form's assessment: True "berjalan dengan baik", False "tidak berjalan
        dengan baik", None when the step was not carried out in the period."""
        return None if self.share is None else self.share >= GOOD_SHARE


@dataclass
class LaneFigures:
    lane_id: str
    visits: int = 0
    late: int = 0
    open_now: int = 0
    overdue_now: int = 0
    people: int = 0  # people who finished a visit in the lane

    @property
    def share(self) -> float | None:
        return (self.visits - self.late) / self.visits if self.visits else None


@dataclass
class PersonFigures:
    person_id: int
    name: str
    title: str = ""
    lanes: list[str] = field(default_factory=list)
    visits: int = 0
    late: int = 0
    for_others: int = 0  # visits finished standing in for someone (Plh./Plt.)
    sent_back: int = 0  # "no" decisions that sent work back

    @property
    def share(self) -> float | None:
        return (self.visits - self.late) / self.visits if self.visits else None


@dataclass
class ChannelFigures:
    """Posts per channel per month: `counts[platform][i]` in `months[i]`."""

    months: list[dt.date]
    platforms: list[str]
    counts: dict[str, list[int]]

    @property
    def totals(self) -> dict[str, int]:
        return {platform: sum(self.counts[platform]) for platform in self.platforms}


@dataclass
class Monitoring:
    organization: Organization
    sop: Sop
    period: Period
    steps: list[StepFigures]
    lanes: list[LaneFigures]
    people: list[PersonFigures]
    channels: ChannelFigures
    started: int  # cases started in the period
    ended: dict[str, int]  # cases that ended in the period, by status
    generated: dt.datetime

    @property
    def visits(self) -> int:
        """Finished visits of the steps with a time standard (the on-time figures')."""
        return sum(s.visits for s in self.steps if not s.open_ended)

    @property
    def late(self) -> int:
        return sum(s.late for s in self.steps if not s.open_ended)

    @property
    def share(self) -> float | None:
        return (self.visits - self.late) / self.visits if self.visits else None

    @property
    def reworks(self) -> int:
        return sum(s.sent_back for s in self.steps)

    @property
    def steps_running_well(self) -> int:
        return sum(1 for s in self.steps if s.runs_well)


# -- the report --------------------------------------------------------------------------


def monitoring(
    organization: Organization, sop: Sop, period: Period, now: dt.datetime | None = None
) -> Monitoring:
    """The monitoring report of one SOP at one institution over a period."""
    now = now or timezone.now()
    steps = {
        step.id: StepFigures(number=i, step_id=step.id, step=step)
        for i, step in enumerate(sop.steps, 1)
    }

    def figures(step_id: str) -> StepFigures:
        if step_id not in steps:  # visited under an older version of the SOP
            steps[step_id] = StepFigures(number=len(steps) + 1, step_id=step_id, step=None)
        return steps[step_id]

    with _reporting():
        rows = timeline(_Scope(organization.pk, sop.id, period))
        waiting = open_steps(organization.pk, sop.id, now)
        channels = posts_per_channel(organization, sop, period)
    people_of = {
        p.pk: p
        for p in Person.objects.filter(pk__in={r.actor_id for r in rows if r.actor_id}).only(
            "name", "title"
        )
    }
    lanes = {lane.id: LaneFigures(lane_id=lane.id) for lane in sop.lanes}
    people: dict[int, PersonFigures] = {}
    at_steps: dict[tuple[str, str, int], PersonAtStep] = {}
    started, ended = 0, {}

    def person(person_id: int) -> PersonFigures:
        if person_id not in people:
            found = people_of.get(person_id)
            people[person_id] = PersonFigures(
                person_id,
                found.name if found else str(person_id),
                found.title if found else "",
            )
        return people[person_id]

    for row in rows:
        if row.kind == "step_done":
            s = figures(row.step_id)
            s.visits += row.count
            s.cases += row.first_visits
            s.late += row.late
            s.seconds += row.seconds
            s.seconds_over += row.seconds_over
            s.median = s.median if row.step_median is None else row.step_median
            s.p90 = s.p90 if row.step_p90 is None else row.step_p90
            if s.open_ended:  # no time standard: not in the lanes' and people's shares
                continue
            lane = lanes.setdefault(row.lane_id, LaneFigures(lane_id=row.lane_id))
            lane.visits += row.count
            lane.late += row.late
            who = person(row.actor_id)
            who.visits += row.count
            who.late += row.late
            who.for_others += row.for_others
            if row.lane_id not in who.lanes:
                who.lanes.append(row.lane_id)
            key = (row.step_id, row.lane_id, row.actor_id)
            here = at_steps.setdefault(key, PersonAtStep(row.actor_id, who.name, 0, 0, None))
            here.visits += row.count
            here.late += row.late
            here.median = here.median if row.person_median is None else row.person_median
        elif row.kind == "sent_back":
            figures(row.step_id).sent_back += row.count
            if row.to_step:
                figures(row.to_step).returned += row.count
            if row.actor_id:
                person(row.actor_id).sent_back += row.count
        elif row.kind == "case_started":
            started += row.count
        else:  # case_ended (published or completed), case_withdrawn, case_cancelled
            status = row.outcome if row.kind == "case_ended" else row.kind.removeprefix("case_")
            ended[status] = ended.get(status, 0) + row.count
    for (step_id, _lane_id, _person_id), here in at_steps.items():
        figures(step_id).slowest.append(here)
    for lane_id in lanes:
        lanes[lane_id].people = len({p for _s, lane, p in at_steps if lane == lane_id})
    for step_id, lane_id, count, overdue in waiting:
        s = figures(step_id)
        s.open_now, s.overdue_now = count, overdue
        lane = lanes.setdefault(lane_id, LaneFigures(lane_id=lane_id))
        lane.open_now += count
        lane.overdue_now += overdue
    for s in steps.values():
        s.slowest = sorted(s.slowest, key=lambda p: (-(p.median or 0), -p.visits, p.name))
        s.slowest = s.slowest[:SLOWEST_SHOWN]
    return Monitoring(
        organization=organization,
        sop=sop,
        period=period,
        steps=list(steps.values()),
        lanes=list(lanes.values()),
        people=sorted(people.values(), key=lambda p: (-p.visits, p.name)),
        channels=channels,
        started=started,
        ended=ended,
        generated=now,
    )


@contextlib.contextmanager
def _reporting():
    """On PostgreSQL, the report's statements share one transaction that may use 64 MB to
    group in memory: grouping a million timeline rows otherwise spills to disk, and the
    planner, which cannot foresee how few groups there are, picks sorting over hashing;
    and JIT compiling is off. SQLite needs nothing (and a transaction there would take
    the write lock)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # Compiling these statements to machine code takes longer than running them.
        cursor.execute("SET LOCAL jit = off")
        yield


@dataclass(frozen=True)
class _Scope:
    organization_id: int
    sop_id: str
    period: Period

    def where(self, *kinds: str) -> tuple[str, list]:
        """Timeline rows of these kinds, of this institution's cases of this SOP, in the
        period."""
        adapt = connection.ops.adapt_datetimefield_value
        sql = (
            f" FROM {_EVENTS} e JOIN {_CASES} c ON c.id = e.case_id"
            " WHERE c.organization_id = %s AND c.sop_id = %s"
            f" AND e.kind IN ({', '.join(['%s'] * len(kinds))})"
            " AND e.at >= %s AND e.at < %s"
        )
        params = [
            self.organization_id,
            self.sop_id,
            *kinds,
            adapt(self.period.start),
            adapt(self.period.end),
        ]
        return sql, params


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def seconds_between(later: str, earlier: str) -> str:
    """SQL for the whole seconds from `earlier` to `later`, two timestamp expressions: an
    integer, which sums far quicker than PostgreSQL's numeric."""
    if connection.vendor == "postgresql":
        return f"CAST(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS bigint)"
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400.0) AS INTEGER)"


@dataclass(frozen=True)
class TimelineRow:
    """One group of timeline rows: of one kind, step, lane, person, target and outcome."""

    kind: str
    step_id: str
    lane_id: str
    actor_id: int | None
    to_step: str
    outcome: str
    count: int
    late: int  # step_done: finished after the due time
    seconds: int  # step_done: clock seconds taken, summed
    seconds_over: float  # step_done: clock seconds past the due time, summed
    for_others: int  # done standing in for someone (Plh./Plt.)
    first_visits: int  # step_done: the case's first visit of the step
    person_median: float | None  # step_done: of this person at this step, in seconds
    step_median: float | None  # step_done: of the whole step, on one of the step's rows
    step_p90: float | None


TIMELINE_KINDS = (
    "step_done",
    "sent_back",
    "case_started",
    "case_ended",
    "case_withdrawn",
    "case_cancelled",
)

# The whole report's history in one pass over the timeline. The inner query groups the
# rows by kind, step, lane, person, target, outcome and time taken to the nearest whole
# minute (time standards are written in minutes, hours and days): a histogram, a few
# thousand groups for a million rows, made by hashing, not sorting. Running sums of the
# counts over that histogram (`sc` along a step, `pc` along a person at a step) give
# each group the ranks it covers, from `sc - k` to `sc - 1`; the value at rank r is the
# `m` of the group that covers r. The median is the mean of ranks (n-1)/2 and n/2
# (integer division); the 90th percentile lies between rank 9(n-1)/10 and the next,
# 9(n-1) % 10 tenths of the way: Excel's MEDIAN and PERCENTILE.INC. (PostgreSQL sums
# integers as numeric: the running sums are cast back, for integer division.) The group that
# covers a rank is one of several rows of its step (or person) in the result, so each
# pick is spread over them all with a window: every row carries its step's picks.
_STEP = "PARTITION BY g.kind, g.step_id"
_PERSON = "PARTITION BY g.kind, g.step_id, g.lane_id, g.actor_id"
_COVERS = "MAX(MAX(CASE WHEN g.{c} - g.k <= {r} AND {r} < g.{c} THEN g.m END)) OVER ({w})"
_TIMELINE = """
SELECT g.kind, g.step_id, g.lane_id, g.actor_id, g.to_step, g.outcome,
  SUM(g.k), SUM(g.late), SUM(g.s), SUM(g.over), SUM(g.plh), SUM(g.first),
  {person_low}, {person_high}, MAX(g.sn), {step_low}, {step_high}, {p90_low}, {p90_high}
FROM (
  SELECT h.*,
    CAST(SUM(h.k) OVER (PARTITION BY h.kind, h.step_id) AS BIGINT) AS sn,
    CAST(SUM(h.k) OVER (PARTITION BY h.kind, h.step_id
      ORDER BY h.m, h.lane_id, h.actor_id, h.to_step, h.outcome ROWS UNBOUNDED PRECEDING)
      AS BIGINT) AS sc,
    CAST(SUM(h.k) OVER (PARTITION BY h.kind, h.step_id, h.lane_id, h.actor_id) AS BIGINT) AS pn,
    CAST(SUM(h.k) OVER (PARTITION BY h.kind, h.step_id, h.lane_id, h.actor_id
      ORDER BY h.m, h.to_step, h.outcome ROWS UNBOUNDED PRECEDING) AS BIGINT) AS pc
  FROM (
    SELECT e.kind, e.step_id, e.lane_id, e.actor_id, e.to_step, e.outcome,
      (e.seconds_taken + 30) / 60 AS m,
      COUNT(*) AS k,
      SUM(CASE WHEN e.at > e.due_at THEN 1 ELSE 0 END) AS late,
      SUM(COALESCE(e.seconds_taken, 0)) AS s,
      SUM(CASE WHEN e.at > e.due_at THEN {over} ELSE 0 END) AS over,
      SUM(CASE WHEN e.on_behalf_of_id IS NULL THEN 0 ELSE 1 END) AS plh,
      SUM(CASE WHEN e.round = 1 THEN 1 ELSE 0 END) AS first
    {where} AND (e.kind <> %s OR e.seconds_taken IS NOT NULL)
    GROUP BY e.kind, e.step_id, e.lane_id, e.actor_id, e.to_step, e.outcome,
      (e.seconds_taken + 30) / 60
  ) h
) g
GROUP BY g.kind, g.step_id, g.lane_id, g.actor_id, g.to_step, g.outcome
"""


def timeline(scope: _Scope) -> list[TimelineRow]:
    """The period's timeline of one SOP at one institution, grouped; see _TIMELINE."""
    where, params = scope.where(*TIMELINE_KINDS)
    sql = _TIMELINE.format(
        over=seconds_between("e.at", "e.due_at"),
        where=where,
        person_low=_COVERS.format(c="pc", r="(g.pn - 1) / 2", w=_PERSON),
        person_high=_COVERS.format(c="pc", r="g.pn / 2", w=_PERSON),
        step_low=_COVERS.format(c="sc", r="(g.sn - 1) / 2", w=_STEP),
        step_high=_COVERS.format(c="sc", r="g.sn / 2", w=_STEP),
        p90_low=_COVERS.format(c="sc", r="9 * (g.sn - 1) / 10", w=_STEP),
        p90_high=_COVERS.format(c="sc", r="9 * (g.sn - 1) / 10 + 1", w=_STEP),
    )
    rows = []
    for row in _fetch(sql, [*params, "step_done"]):
        kind, step, lane, actor, to_step, outcome = row[:6]
        # PostgreSQL gives sums of integers as Decimal.
        count, late, seconds, over, plh, first = (int(value or 0) for value in row[6:12])
        person_low, person_high, n, step_low, step_high, p90_low, p90_high = row[12:]
        timed = kind == "step_done"
        rows.append(
            TimelineRow(
                kind=kind,
                step_id=step,
                lane_id=lane,
                actor_id=actor,
                to_step=to_step,
                outcome=outcome,
                count=count,
                late=late,
                seconds=seconds,
                seconds_over=over,
                for_others=plh,
                first_visits=first,
                person_median=_median(person_low, person_high) if timed else None,
                step_median=_median(step_low, step_high) if timed else None,
                step_p90=_p90(int(n or 0), p90_low, p90_high) if timed else None,
            )
        )
    return rows


def _median(low, high) -> float | None:
    """In seconds, from the minutes at the two middle ranks."""
    return None if low is None else round((low + high) / 2 * 60)


def _p90(n, low, high) -> float | None:
    """In seconds, from the minutes at rank 9(n-1)/10 and the next."""
    if low is None:
        return None
    fraction = (9 * (n - 1) % 10) / 10
    return round((low + (high - low) * fraction if fraction else low) * 60)


def open_steps(organization_id: int, sop_id: str, now: dt.datetime) -> list[tuple]:
    """Steps waiting now: (step, lane, cases waiting, of which overdue)."""
    sql = (
        "SELECT current_step, current_lane, COUNT(*),"  # noqa: S608
        " SUM(CASE WHEN current_due < %s THEN 1 ELSE 0 END)"
        f" FROM {_CASES} WHERE organization_id = %s AND sop_id = %s AND status = %s"
        " GROUP BY current_step, current_lane"
    )
    now = connection.ops.adapt_datetimefield_value(now)
    rows = _fetch(sql, [now, organization_id, sop_id, "active"])
    return [(step, lane, int(count), int(overdue or 0)) for step, lane, count, overdue in rows]


def posts_per_channel(organization: Organization, sop: Sop, period: Period) -> ChannelFigures:
    """Posts per channel of the SOP per month of the period.

    Until publishing runs through publish jobs (one per case and channel), a published
    case counts as one post on each of its target channels, in the month it was
    published. This is the one function to switch when the jobs arrive.
    """
    months = period.months()
    platforms = list(dict.fromkeys(c.platform for step in sop.steps for c in step.channels))
    adapt = connection.ops.adapt_datetimefield_value
    # Month i of the period is where closed_at falls before the start of month i + 1.
    zone = ZoneInfo(period.zone)
    starts = [dt.datetime.combine(m, dt.time.min, tzinfo=zone) for m in months[1:]]
    bucket = " ".join(f"WHEN c.closed_at < %s THEN {i}" for i in range(len(starts)))
    bucket = f"CASE {bucket} ELSE {len(starts)} END" if starts else "0"
    # One count per channel, each a test of the case's list of channels: cheaper than
    # unnesting every list into rows.
    if connection.vendor == "postgresql":
        has, values = "c.channels @> %s::jsonb", [json.dumps([p]) for p in platforms]
    else:
        has, values = "EXISTS (SELECT 1 FROM json_each(c.channels) WHERE value = %s)", platforms
    counts_sql = ", ".join(f"SUM(CASE WHEN {has} THEN 1 ELSE 0 END)" for _p in platforms)
    sql = (
        f"SELECT {bucket}, {counts_sql or 'COUNT(*)'} FROM {_CASES} c"  # noqa: S608
        " WHERE c.organization_id = %s AND c.sop_id = %s AND c.status = %s"
        " AND c.closed_at >= %s AND c.closed_at < %s"
        " GROUP BY 1"
    )
    params = [
        *[adapt(s) for s in starts],
        *values,
        organization.pk,
        sop.id,
        "published",
        adapt(period.start),
        adapt(period.end),
    ]
    counts: dict[str, list[int]] = {p: [0] * len(months) for p in platforms}
    for month, *per_platform in _fetch(sql, params) if platforms else []:
        for platform, count in zip(platforms, per_platform, strict=True):
            counts[platform][month] += int(count or 0)
    return ChannelFigures(months=months, platforms=platforms, counts=counts)


# -- the leaders' dashboard ----------------------------------------------------------------


@dataclass
class OverdueCase:
    case_id: int
    title: str
    step: Step | None
    lane_id: str
    due: dt.datetime
    late_by: dt.timedelta
    claimed_by: str


@dataclass
class Dashboard:
    organization: Organization
    sop: Sop
    in_flight: list[tuple[StepFigures, int, int]]  # (step, cases waiting, overdue)
    overdue: list[OverdueCase]
    overdue_count: int
    published: ChannelFigures  # this month
    bottleneck: StepFigures | None
    bottleneck_seconds: dict[str, float]  # step id -> seconds over its standard
    period: Period  # the days the bottleneck is judged over
    now: dt.datetime


OVERDUE_SHOWN = 50


def dashboard(organization: Organization, sop: Sop, now: dt.datetime | None = None) -> Dashboard:
    """What a leader looks at first: cases in flight by step, what is overdue now, what was
    published this month, and the bottleneck.

    The bottleneck is the step with the most time past its standard over the last 30
    days: the time by which finished visits overran their due time, plus the time by
    which the steps still open now are past theirs. Ties go to the earlier step.
    """
    now = now or timezone.now()
    zone = organization.time_zone
    today = timezone.localtime(now, ZoneInfo(zone)).date()
    period = Period.last_30_days(zone, today)
    numbered = {step.id: (i, step) for i, step in enumerate(sop.steps, 1)}
    in_flight = []
    waiting = {row[0]: row for row in open_steps(organization.pk, sop.id, now)}
    for step_id, (number, step) in numbered.items():
        _step, _lane, count, overdue = waiting.get(step_id, (step_id, step.lane, 0, 0))
        in_flight.append((StepFigures(number, step_id, step), count, overdue or 0))
    overdue_cases = (
        Case.objects.filter(
            organization=organization, sop_id=sop.id, status="active", current_due__lt=now
        )
        .select_related("claimed_by")
        .only("title", "current_step", "current_lane", "current_due", "claimed_by__name")
        .order_by("current_due", "pk")
    )
    overdue = [
        OverdueCase(
            case_id=case.pk,
            title=case.title,
            step=numbered.get(case.current_step, (0, None))[1],
            lane_id=case.current_lane,
            due=case.current_due,
            late_by=now - case.current_due,
            claimed_by=case.claimed_by.name if case.claimed_by else "",
        )
        for case in overdue_cases[:OVERDUE_SHOWN]
    ]
    seconds = time_over_standard(_Scope(organization.pk, sop.id, period), now)
    bottleneck = None
    if any(value > 0 for value in seconds.values()):
        worst = max(seconds, key=lambda s: (seconds[s], -numbered.get(s, (999,))[0]))
        number, step = numbered.get(worst, (0, None))
        bottleneck = StepFigures(number, worst, step, seconds_over=seconds[worst])
    return Dashboard(
        organization=organization,
        sop=sop,
        in_flight=in_flight,
        overdue=overdue,
        overdue_count=sum(row[3] or 0 for row in waiting.values()),
        published=posts_per_channel(organization, sop, Period.month_of(today, zone)),
        bottleneck=bottleneck,
        bottleneck_seconds=seconds,
        period=period,
        now=now,
    )


def time_over_standard(scope: _Scope, now: dt.datetime) -> dict[str, float]:
    """Per step, seconds past the due time: of visits finished in the period, and of the
    steps open now."""
    where, params = scope.where("step_done")
    finished = (
        f"SELECT e.step_id, SUM({seconds_between('e.at', 'e.due_at')}){where}"  # noqa: S608
        " AND e.at > e.due_at GROUP BY e.step_id"
    )
    adapt = connection.ops.adapt_datetimefield_value
    # PostgreSQL must be told a parameter's type to subtract from it.
    now_param = "%s::timestamptz" if connection.vendor == "postgresql" else "%s"
    open_ = (
        f"SELECT current_step, SUM({seconds_between(now_param, 'current_due')})"  # noqa: S608
        f" FROM {_CASES} WHERE organization_id = %s AND sop_id = %s AND status = %s"
        " AND current_due < %s GROUP BY current_step"
    )
    result: dict[str, float] = defaultdict(float)
    for step_id, value in _fetch(finished, params):
        result[step_id] += float(value or 0)
    open_params = [adapt(now), scope.organization_id, scope.sop_id, "active", adapt(now)]
    for step_id, value in _fetch(open_, open_params):
        result[step_id] += float(value or 0)
    return dict(result)
