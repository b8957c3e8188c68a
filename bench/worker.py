"""The measuring half of the benchmark: runs in one process per database.

Imported by `bench/run.py --worker DB` after django.setup(), with SIARAN_DATA_DIR (and
DATABASE_URL for PostgreSQL) pointing at a fresh, empty database.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import functools
import io
import itertools
import json
import math
import multiprocessing
import os
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass, field

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from siaran.cases import actions
from siaran.cases.models import Case, CaseEvent
from siaran.cases.selectors import open_tasks
from siaran.core import sops
from siaran.orgs.models import Organization, Person

SOP_ID = "rspon-medsos"
INBOX_LANE = "tim-humas"

TARGET_RATIO = 0.40  # transitions/s ÷ ceiling/s, at least
TARGET_STATEMENTS = 6  # SQL statements per transition, at most
TARGET_INBOX = 3.0  # inbox p95 ÷ primary-key page p95, at most

RUNS_PER_CASE = 10  # 100,000 cases -> 1,000,000 step rows
ACTIVE_SHARE = 0.10  # cases still running: one open step row each
INBOX_LANE_SHARE = 0.01  # of the open step rows, the share in the inbox person's lane


@dataclass
class Config:
    quick: bool
    duration: float  # seconds each throughput measurement runs
    rounds: int  # ceiling and transitions measured alternately this many times
    requests: int  # timed requests per page
    warmup: int
    inbox_cases: int
    load_s: float = 0.0  # how long the bulk load took

    @classmethod
    def make(cls, quick: bool, vendor: str) -> Config:
        full_inbox = 100_000 if vendor == "postgresql" else 10_000
        return cls(
            quick=quick,
            duration=1.5 if quick else 4.0,
            rounds=1 if quick else 3,
            requests=100 if quick else 200,
            warmup=10 if quick else 30,
            inbox_cases=10_000 if quick else full_inbox,
        )


@dataclass
class World:
    """The demo institution the benchmark works in, and the path a case walks."""

    organization: Organization
    people: dict[str, Person]  # lane -> the demo person of that lane
    path: list[tuple[str, str, str]]  # (step, lane, outcome) from start to publication
    snapshots: dict[str, dict] = field(default_factory=dict)  # step -> case fields there
    started: int = 0

    @classmethod
    def load(cls) -> World:
        sop = sops.find(SOP_ID)
        organization = Organization.objects.get(slug="rspon")
        people = {
            lane.id: Person.objects.select_related("user", "organization").get(
                user__username=f"rspon-{lane.id}"
            )
            for lane in sop.lanes
        }
        path = []
        step = sop.first_step
        while step is not None:
            exit_ = step.exits()[0]  # "done", "ya" at reviews, "publish" at the end
            path.append((step.id, step.lane, exit_.id))
            step = sop.step(exit_.next) if exit_.next else None
        return cls(organization, people, path)

    def new_cases(self, count: int) -> list[int]:
        starter = self.people[self.path[0][1]]
        ids = []
        for _ in range(count):
            self.started += 1
            case = actions.case_start(
                person=starter,
                sop_id=SOP_ID,
                title=f"Bench case {self.started}",
                description="Materi promosi layanan untuk media sosial.",
                # Text alone: the channels that take a post with no poster or video (the
                # directors' review passes only content every channel would take).
                channels=["facebook", "x"],
            )
            ids.append(case.pk)
        return ids

    def calls(self, case_ids: list[int]) -> list:
        """Every transition of these cases, in order, ready to call."""
        return [
            functools.partial(
                actions.case_decide, person=self.people[lane], case_id=case_id, outcome=outcome
            )
            for case_id in case_ids
            for _step, lane, outcome in self.path
        ]


def log(message: str) -> None:
    print(f"  [{connection.vendor}] {message}", file=sys.stderr, flush=True)


MEASUREMENTS = ("transitions", "inbox", "monitoring")


def measure(quick: bool, only: tuple[str, ...] = MEASUREMENTS) -> dict:
    began = time.monotonic()
    config = Config.make(quick, connection.vendor)
    call_command("migrate", verbosity=0)
    call_command("demo", "--no-history", stdout=io.StringIO())
    world = World.load()
    log(f"migrated and loaded the demo in {time.monotonic() - began:.0f} s")
    walk(world)
    result = {"database": connection.vendor, "server": server_version(), "quick": quick}
    if "transitions" in only:
        statements, rate = count_statements(world)
        log(f"{statements['per_transition']:.1f} statements per transition")
        result["transitions"] = measure_throughput(world, config, rate)
        result["transitions"]["database_share"] = database_share(world, result["transitions"])
        result["statements"] = statements
    if "inbox" in only or "monitoring" in only:
        case_ids = load_cases(world, config)
        if "inbox" in only:
            result["inbox"] = measure_inbox(world, config, case_ids)
        if "monitoring" in only:
            from bench.monitoring import measure_monitoring

            result["monitoring"] = measure_monitoring(world, config)
    result["seconds"] = round(time.monotonic() - began, 1)
    return result


def server_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


# -- 2. statements per transition ------------------------------------------------------


def walk(world: World) -> None:
    """Walk one case to publication, keeping its fields at each step for the bulk load."""
    (case_id,) = world.new_cases(1)
    case = Case.objects.get(pk=case_id)
    for step, lane, outcome in world.path:
        world.snapshots[step] = _snapshot(case)
        case = actions.case_decide(person=world.people[lane], case_id=case_id, outcome=outcome)
    world.snapshots["end"] = _snapshot(case)


def _snapshot(case: Case) -> dict:
    return {
        "state": json.dumps(case.state),
        "rework_count": case.rework_count,
        "lock_version": case.lock_version,
        "last_event": case.last_event,
        "status": case.status,
    }


def count_statements(world: World, cases: int = 6) -> tuple[dict, float]:
    """SQL statements of each case_decide, over `cases` cases walked to publication."""
    calls = world.calls(world.new_cases(cases))
    by_step: dict[str, list[int]] = {}
    example: list[str] = []
    control = 0  # BEGIN, COMMIT, SAVEPOINT...: statements without data
    began = time.perf_counter()
    for index, call in enumerate(calls):
        step = world.path[index % len(world.path)][0]
        with CaptureQueriesContext(connection) as captured:
            call()
        queries = list(captured.captured_queries)
        by_step.setdefault(step, []).append(len(queries))
        control += sum(1 for q in queries if q["sql"].split()[0].upper() in TRANSACTION_CONTROL)
        if step == "produce" and not example:
            example = [q["sql"][:80] for q in queries]
    rate = len(calls) / (time.perf_counter() - began)
    counts = [n for ns in by_step.values() for n in ns]
    profile = profile_calls(world.calls(world.new_cases(3)), TRANSITION_PROFILE)
    return {
        "per_transition": round(statistics.fmean(counts), 2),
        "per_transition_without_begin_commit": round((sum(counts) - control) / len(counts), 2),
        "transitions_counted": len(counts),
        "by_step": {step: round(statistics.fmean(ns), 2) for step, ns in by_step.items()},
        "example_step": "produce",
        "example": example,
        "target_max": TARGET_STATEMENTS,
        "profile_ms": profile,
    }, rate


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}

# Where a transition spends its time: (file ending, function) -> what it stands for.
TRANSITION_PROFILE = {
    ("siaran/cases/actions.py", "case_decide"): "whole case_decide",
    ("django/db/backends/utils.py", "_execute"): "database driver (all statements but COMMIT)",
    ("django/db/backends/base/base.py", "commit"): "COMMIT",
    ("django/db/models/sql/compiler.py", "as_sql"): "ORM: compiling SQL",
    ("siaran/cases/actions.py", "_load_case"): "_load_case() (SELECT case, SELECT lanes)",
    ("siaran/orgs/selectors.py", "lanes_of"): "lanes_of() (SELECT lanes)",
    ("siaran/sop/engine.py", "advance"): "engine.advance()",
    ("siaran/cases/actions.py", "_apply"): "_apply() (UPDATE case, INSERT events)",
    ("siaran/sop/timing.py", "due"): "WorkCalendar.due()",
    ("siaran/orgs/calendar/__init__.py", "calendar_of"): "calendar_of() (kept per process)",
    ("siaran/notifications/rules.py", "step_timers"): "the step's reminder and escalation times",
    ("django_tasks_db/backend.py", "enqueue"): "tasks queued (approval sheet, publication)",
}


def profile_calls(calls, wanted: dict[tuple[str, str], str]) -> dict:
    """Milliseconds per call under cProfile (inflated ~2x; the proportions hold)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for call in calls:
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, function) -> (.., .., own, cumulative, ..)
    found: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, _own, cumulative, _callers) in stats.items():
        for (ending, name), label in wanted.items():
            if function == name and filename.endswith(ending):
                found[label] = found.get(label, 0.0) + cumulative * 1000 / len(calls)
    return {label: round(found.get(label, 0.0), 2) for label in wanted.values()}


# -- 1. transitions per second beside the database's ceiling --------------------------


def create_ceiling_tables() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            log_id = "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
            at = "timestamptz"
        else:
            log_id, at = "integer PRIMARY KEY AUTOINCREMENT", "text"
        cursor.execute("CREATE TABLE bench_counter (id integer PRIMARY KEY, n integer NOT NULL)")
        cursor.execute(
            f"CREATE TABLE bench_log (id {log_id}, counter_id integer NOT NULL, at {at} NOT NULL)"
        )
        cursor.executemany(
            "INSERT INTO bench_counter (id, n) VALUES (%s, 0)", [(i,) for i in range(8)]
        )


def _ceiling_op(slot: int) -> None:
    """The database's own floor of a transition: one UPDATE and one INSERT, committed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bench_counter SET n = n + 1 WHERE id = %s", [slot])
        cursor.execute(
            "INSERT INTO bench_log (counter_id, at) VALUES (%s, %s)",
            [slot, timezone.now().isoformat()],
        )


def ceiling_calls(slot: int):
    return itertools.repeat(functools.partial(_ceiling_op, slot))


def _floor_op(slot: int, case_id: int) -> None:
    """The ceiling's transaction after the one read every transition needs: the case's
    row by its key. No app code at all: the most any transition could reach."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_CASE_LIST} FROM cases_case WHERE id = %s", [case_id])  # noqa: S608
        cursor.fetchone()
    _ceiling_op(slot)


_CASE_LIST = ", ".join(f'"{f.column}"' for f in Case._meta.concrete_fields)


def floor_calls(slot: int, case_ids: list[int]):
    return (functools.partial(_floor_op, slot, case_id) for case_id in itertools.cycle(case_ids))


def run_clients(calls_per_client: list, duration: float) -> dict:
    """Run each client's calls in its own process, released together, for `duration` s.

    Processes, not threads: on PostgreSQL they use both cores as a deployment's
    workers would; on SQLite each has its own connection and IMMEDIATE transactions
    queue the writers. Returns operations per second over the wall time.
    """
    connections.close_all()  # no connection crosses the fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(calls_per_client))
    pipes = [context.Pipe(duplex=False) for _ in calls_per_client]
    processes = [
        context.Process(target=_client, args=(calls, barrier, sender, duration))
        for calls, (_receiver, sender) in zip(calls_per_client, pipes, strict=True)
    ]
    for process in processes:
        process.start()
    reports = []
    for (receiver, _sender), process in zip(pipes, processes, strict=True):
        if not receiver.poll(duration + 600):
            raise RuntimeError(f"client {process.pid} did not report")
        reports.append(receiver.recv())
    for process in processes:
        process.join()
    errors = [r["error"] for r in reports if r["error"]]
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}")
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    ops = sum(r["ops"] for r in reports)
    return {
        "per_second": ops / wall,
        "operations": ops,
        "seconds": round(wall, 2),
        "ran_out": any(r["ran_out"] for r in reports),
    }


def _client(calls, barrier, sender, duration: float) -> None:
    report = {"ops": 0, "start": 0.0, "end": 0.0, "ran_out": False, "error": None}
    try:
        connection.ensure_connection()
        barrier.wait(timeout=120)
        report["start"] = time.monotonic()
        deadline = report["start"] + duration
        ops = 0
        for call in calls:
            if time.monotonic() >= deadline:
                break
            call()
            ops += 1
        else:
            report["ran_out"] = True
        report["end"] = time.monotonic()
        report["ops"] = ops
    except Exception as error:  # reported to the parent, which stops the run
        report["error"] = repr(error)
    finally:
        sender.send(report)  # written before the process ends, unlike a Queue's
        connections.close_all()
        os._exit(0)


def measure_throughput(world: World, config: Config, rate: float) -> dict:
    """Ceiling and transitions with 1 and 4 clients, alternately, `rounds` times."""
    create_ceiling_tables()
    per_client_rate = {1: rate, 4: rate * 0.6}  # a first guess, then what was measured
    runs = {clients: {"ceiling": [], "floor": [], "transitions": []} for clients in (1, 4)}
    for round_ in range(config.rounds):
        for clients in (1, 4):
            ceiling = run_clients([ceiling_calls(i) for i in range(clients)], config.duration)
            runs[clients]["ceiling"].append(ceiling)
            needed = per_client_rate[clients] * config.duration * 1.5 / len(world.path)
            pools = [world.new_cases(math.ceil(needed) + 2) for _ in range(clients)]
            floor = run_clients(
                [floor_calls(i, pool) for i, pool in enumerate(pools)], config.duration
            )
            runs[clients]["floor"].append(floor)
            moved = run_clients([world.calls(pool) for pool in pools], config.duration)
            runs[clients]["transitions"].append(moved)
            per_client_rate[clients] = max(per_client_rate[clients], moved["per_second"] / clients)
            log(
                f"round {round_ + 1}, {clients} client(s): "
                f"{moved['per_second']:.0f} transitions/s, ceiling {ceiling['per_second']:.0f}/s"
                + (" (ran out of cases)" if moved["ran_out"] else "")
            )
    result = {
        "duration_s": config.duration,
        "rounds": config.rounds,
        "path": [f"{step}:{outcome}" for step, _lane, outcome in world.path],
        "clients": {},
    }
    for clients, measured in runs.items():
        moved = statistics.median(r["per_second"] for r in measured["transitions"])
        ceiling = statistics.median(r["per_second"] for r in measured["ceiling"])
        floor = statistics.median(r["per_second"] for r in measured["floor"])
        result["clients"][str(clients)] = {
            "transitions_per_s": round(moved, 1),
            "ceiling_per_s": round(ceiling, 1),
            "ratio": round(moved / ceiling, 3),
            "target_min": TARGET_RATIO,
            # The case read plus the ceiling's transaction, no app code: the ratio any
            # transition could reach at most on this database and machine.
            "floor_per_s": round(floor, 1),
            "floor_ratio": round(floor / ceiling, 3),
            "transitions_runs": [round(r["per_second"], 1) for r in measured["transitions"]],
            "ceiling_runs": [round(r["per_second"], 1) for r in measured["ceiling"]],
            "ran_out_of_cases": any(r["ran_out"] for r in measured["transitions"]),
        }
    return result


def database_share(world: World, throughput: dict, cases: int = 25) -> dict:
    """How much of a transition the database itself takes, and so the highest ratio to
    the ceiling that any code writing the same rows could reach.

    Over `cases` cases walked to publication by one client, the wall time spent in the
    database (every statement, BEGIN and COMMIT included, through the same Django
    cursor and connection as the ceiling's) beside the whole of each `case_decide`.
    The bound is the ceiling's time per transaction (1 client) divided by the database's
    time per transition: what the ratio would be if the app's own code cost nothing.
    """
    calls = world.calls(world.new_cases(cases))
    spent = {"database": 0.0}

    def in_database(function, *args):
        began = time.perf_counter()
        try:
            return function(*args)
        finally:
            spent["database"] += time.perf_counter() - began

    connection.ensure_connection()
    commit = connection._commit
    connection._commit = functools.partial(in_database, commit)  # not through a cursor
    try:
        with connection.execute_wrapper(in_database):  # every statement, BEGIN included
            began = time.perf_counter()
            for call in calls:
                call()
            whole = time.perf_counter() - began
    finally:
        del connection._commit
    database_us = spent["database"] * 1e6 / len(calls)
    ceiling_us = 1e6 / throughput["clients"]["1"]["ceiling_per_s"]
    return {
        "transitions": len(calls),
        "whole_us": round(whole * 1e6 / len(calls), 1),
        "database_us": round(database_us, 1),
        "app_us": round((whole - spent["database"]) * 1e6 / len(calls), 1),
        "ceiling_us": round(ceiling_us, 1),
        "bound_ratio": round(ceiling_us / database_us, 3),
    }


# -- 3. inbox latency beside a page that reads one row ---------------------------------

CASE_COLUMNS = [
    "id",
    "organization",
    "sop_version",
    "sop_id",
    "title",
    "description",
    "requesting_unit",
    "channels",
    "desired_date",
    "status",
    "state",
    "current_step",
    "current_lane",
    "current_round",
    "current_since",
    "current_due",
    "rework_count",
    "lock_version",
    "last_event",
    "last_hash",
    "created_by",
    "created_at",
    "updated_at",
    "closed_at",
]
STEP_COLUMNS = [  # a finished step visit is a step_done event
    "id",
    "case",
    "seq",
    "kind",
    "step_id",
    "outcome",
    "actor",
    "note",
    "round",
    "to_step",
    "at",
    "lane_id",
    "started_at",
    "due_at",
    "seconds_taken",
    "data",
    "prev_hash",
    "hash",
]


def _columns(model, names: list[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _write(model, names: list[str], rows: list[tuple]) -> None:
    table = model._meta.db_table
    columns = ", ".join(_columns(model, names))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            values = ", ".join(["%s"] * len(names))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({values})",  # noqa: S608 - our names
                [tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in r) for r in rows],
            )


def bulk_load(world: World, count: int, rng: random.Random) -> list[int]:
    """`count` RSPON cases with RUNS_PER_CASE finished step rows each; a tenth still running
    (their open step is on the case row, as the app keeps it)."""
    sop = sops.find(SOP_ID)
    version = Case.objects.filter(sop_id=SOP_ID).latest("pk").sop_version  # the walk's
    lanes = {step.id: step.lane for step in sop.steps}
    outcomes = {step: outcome for step, _lane, outcome in world.path}
    history = [step for step, _lane, _outcome in world.path]
    in_lane = [s for s in history if lanes[s] == INBOX_LANE]
    elsewhere = [s for s in history if lanes[s] != INBOX_LANE]
    starter = world.people[world.path[0][1]]
    organization = world.organization.pk
    channels = json.dumps(["instagram", "facebook", "x", "youtube"])
    now = timezone.now()
    first_case = (Case.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    first_run = (CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    chunk = 5_000
    for start in range(0, count, chunk):
        cases, runs = [], []
        for number in range(start, min(start + chunk, count)):
            case_id = first_case + number
            created = now - dt.timedelta(minutes=20 * (count - number))
            active = rng.random() < ACTIVE_SHARE
            if active:
                step = rng.choice(in_lane if rng.random() < INBOX_LANE_SHARE else elsewhere)
                snapshot = world.snapshots[step]
                closed = None
            else:
                step, snapshot = "", world.snapshots["end"]
                closed = created + dt.timedelta(days=3)
            since = created + dt.timedelta(hours=3 * RUNS_PER_CASE) if active else None
            cases.append(
                (
                    case_id,
                    organization,
                    version.pk,
                    SOP_ID,
                    f"Promosi layanan {number}: {rng.choice(TOPICS)}",
                    "Materi promosi layanan untuk media sosial RSPON.",
                    starter.unit_id,
                    channels,
                    None,
                    snapshot["status"],
                    snapshot["state"],
                    step,
                    lanes[step] if active else "",
                    1 if active else 0,
                    since,
                    since + dt.timedelta(hours=8) if active else None,
                    snapshot["rework_count"],
                    snapshot["lock_version"],
                    RUNS_PER_CASE,
                    "",  # the hash chain is not what this measures
                    starter.pk,
                    created,
                    closed or created + dt.timedelta(hours=30),
                    closed,
                )
            )
            for index in range(RUNS_PER_CASE):
                run_step = history[index % len(history)]
                started = created + dt.timedelta(hours=3 * index)
                # From 5 minutes to 10 hours, spread by a hash of the row rather than the
                # random generator (whose draws shape the inbox): a fifth run past the due
                # time, eight hours after the start, as the monitoring report expects.
                taken = 300 + (case_id * 2654435761 + index * 40503) % 35700
                runs.append(
                    (
                        first_run + number * RUNS_PER_CASE + index,
                        case_id,
                        index + 1,
                        "step_done",
                        run_step,
                        outcomes[run_step],
                        world.people[lanes[run_step]].pk,
                        "",
                        1 + index // len(history),
                        "",
                        started + dt.timedelta(seconds=taken),
                        lanes[run_step],
                        started,
                        started + dt.timedelta(hours=8),
                        taken,
                        "{}",
                        "",
                        "",
                    )
                )
        with transaction.atomic():
            _write(Case, CASE_COLUMNS, cases)
            _write(CaseEvent, STEP_COLUMNS, runs)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case, CaseEvent]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            for model in (Case, CaseEvent):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        else:
            cursor.execute("ANALYZE")
    return list(range(first_case, first_case + count))


TOPICS = [
    "Stroke Center 24 Jam",
    "Hari Stroke Sedunia",
    "Rehabilitasi Pasca Stroke",
    "Klinik Memori",
    "Skrining Tekanan Darah",
    "Layanan Neurointervensi",
]


def explain(sql: str) -> list[str]:
    """The plan of one captured statement, as the database ran it (PostgreSQL) or would."""
    if not sql.lstrip().upper().startswith("SELECT"):
        return []
    analyze = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)  # a statement the app itself just ran
        return [str(row[0] if analyze else row[-1]) for row in cursor.fetchall()]


def _percentiles(samples: list[float]) -> dict:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49] * 1000, 2), "p95": round(cuts[94] * 1000, 2)}


# Where an inbox request spends its time: (file ending, function) -> what it stands for.
INBOX_PROFILE = {
    ("django/core/handlers/base.py", "get_response"): "whole request",
    ("siaran/cases/views.py", "inbox"): "inbox view",
    ("django/shortcuts.py", "render"): "template rendering (with queries it runs lazily)",
    ("django/db/backends/utils.py", "_execute"): "database driver (all statements)",
    ("django/db/models/sql/compiler.py", "as_sql"): "ORM: compiling SQL",
    ("siaran/cases/selectors.py", "open_tasks"): "open_tasks() building its query",
    ("siaran/cases/selectors.py", "visible_cases"): "visible_cases() building its query",
    ("siaran/cases/views.py", "_startable_sops"): "_startable_sops()",
    ("siaran/orgs/selectors.py", "_seat_rows"): "_seat_rows() (SELECT seats)",
}


def load_cases(world: World, config: Config) -> list[int]:
    """The bulk data both the inbox and the monitoring report are measured on."""
    began = time.monotonic()
    case_ids = bulk_load(world, config.inbox_cases, random.Random(2026))  # noqa: S311
    config.load_s = round(time.monotonic() - began, 1)
    log(
        f"loaded {len(case_ids):,} cases, {len(case_ids) * RUNS_PER_CASE:,} step rows "
        f"in {config.load_s:.0f} s"
    )
    return case_ids


def measure_inbox(world: World, config: Config, case_ids: list[int]) -> dict:
    rng = random.Random(2027)  # noqa: S311 - test data, not secrets
    person = world.people[INBOX_LANE]
    tasks = len(open_tasks(person))
    log(f"{tasks} open tasks in the inbox")
    with override_settings(ROOT_URLCONF="bench.urls_bench", ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(person.user)

        def timed(url: str) -> float:
            began = time.perf_counter()
            response = client.get(url, secure=True)  # as behind the TLS proxy
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return elapsed

        pk_urls = [f"/bench/pk/{rng.choice(case_ids)}/" for _ in range(config.requests)]
        for url in pk_urls[: config.warmup]:
            timed("/tasks/")
            timed(url)
        inbox_times, pk_times = [], []
        for url in pk_urls:  # interleaved, so the machine's noise falls on both alike
            inbox_times.append(timed("/tasks/"))
            pk_times.append(timed(url))
        # captured_queries is read from the connection's log, which the next request
        # clears: keep each list before making another request.
        with CaptureQueriesContext(connection) as captured:
            timed("/tasks/")
        inbox_queries = list(captured.captured_queries)
        with CaptureQueriesContext(connection) as captured:
            timed(pk_urls[0])
        pk_queries = list(captured.captured_queries)
        profile = profile_calls([functools.partial(timed, "/tasks/")] * 10, INBOX_PROFILE)
    inbox = _percentiles(inbox_times)
    baseline = _percentiles(pk_times)
    statements = [
        {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:120]} for q in inbox_queries
    ]
    slowest = max(inbox_queries, key=lambda q: float(q["time"]))
    return {
        "cases": Case.objects.count(),
        "step_runs": CaseEvent.objects.filter(kind="step_done").count(),
        "open_runs": Case.objects.filter(status="active").count(),
        "inbox_tasks": tasks,
        "load_s": config.load_s,
        "requests": config.requests,
        "inbox_ms": inbox,
        "pk_ms": baseline,
        "ratio_p95": round(inbox["p95"] / baseline["p95"], 2),
        "target_max": TARGET_INBOX,
        "inbox_statements": len(statements),
        "inbox_sql_ms": round(sum(s["ms"] for s in statements), 1),
        "inbox_slowest": sorted(statements, key=lambda s: -s["ms"])[:5],
        "inbox_all_statements": [s["sql"][:80] for s in statements],
        "inbox_slowest_sql": slowest["sql"],
        "inbox_slowest_plan": explain(slowest["sql"]),
        "inbox_profile_ms": profile,
        "pk_statements": len(pk_queries),
        "pk_all_statements": [q["sql"][:80] for q in pk_queries],
    }
