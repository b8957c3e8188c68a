"""The monitoring report over the bulk-loaded step rows, beside a COUNT of the same rows.

Runs inside the benchmark's worker process after `worker.load_cases`, on the same data
the inbox is measured on: see bench/README.md, figure 4.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext

from siaran.cases.models import CaseEvent
from siaran.core import sops
from siaran.reports import selectors
from siaran.reports.selectors import Period, _Scope

from .worker import SOP_ID, Config, World, explain, log

TARGET_MONITORING = 5.0  # the report's p95 ÷ the COUNT's p95, at most


def _timed(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def _ms(samples: list[float]) -> dict:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49] * 1000, 1), "p95": round(cuts[94] * 1000, 1)}


def measure_monitoring(world: World, config: Config) -> dict:
    organization = world.organization
    sop = sops.find(SOP_ID)
    zone = organization.time_zone
    span = CaseEvent.objects.filter(kind="step_done").aggregate(first=Min("at"), last=Max("at"))
    period = Period(
        span["first"].astimezone(dt.UTC).date() - dt.timedelta(days=1),
        span["last"].astimezone(dt.UTC).date() + dt.timedelta(days=1),
        zone,
    )
    scope = _Scope(organization.pk, SOP_ID, period)
    where, params = scope.where("step_done")
    count_sql = f"SELECT COUNT(*){where} AND e.seconds_taken IS NOT NULL"  # noqa: S608
    table_sql = f"SELECT COUNT(*) FROM {CaseEvent._meta.db_table}"  # noqa: S608

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(count_sql, params)
            return cursor.fetchone()[0]

    def count_table() -> int:
        with connection.cursor() as cursor:
            cursor.execute(table_sql)
            return cursor.fetchone()[0]

    def report():
        return selectors.monitoring(organization, sop, period)

    rows = count()
    runs = 5 if config.quick else 15
    for _ in range(2):  # warm the caches and the plans
        report()
        count()
    report_times, count_times, table_times = [], [], []
    for _ in range(runs):  # interleaved, so the machine's noise falls on all alike
        report_times.append(_timed(report))
        count_times.append(_timed(count))
        table_times.append(_timed(count_table))
    with CaptureQueriesContext(connection) as captured:
        result = report()
    queries = [
        {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"]}
        for q in captured.captured_queries
    ]
    slowest = max(queries, key=lambda q: q["ms"])
    timed, baseline = _ms(report_times), _ms(count_times)
    log(
        f"monitoring report over {rows:,} step rows: p50 {timed['p50']} ms,"
        f" COUNT p50 {baseline['p50']} ms"
    )
    assert result.visits == rows, (result.visits, rows)  # the report read every row
    return {
        "step_rows": rows,
        "period": [period.first.isoformat(), period.last.isoformat()],
        "runs": runs,
        "report_ms": timed,
        "count_ms": baseline,
        "count_table_ms": _ms(table_times),
        "ratio_p50": round(timed["p50"] / baseline["p50"], 2),
        "ratio_p95": round(timed["p95"] / baseline["p95"], 2),
        "target_max": TARGET_MONITORING,
        "statements": [{"ms": q["ms"], "sql": q["sql"][:100]} for q in queries],
        "slowest_sql": slowest["sql"],
        "slowest_plan": plan(slowest["sql"]),
        "count_plan": explain(_inline(count_sql, params)),
    }


def plan(sql: str) -> list[str]:
    """The plan of a report statement as the report runs it: in its own session settings."""
    with selectors._reporting():
        return explain(sql)


def _inline(sql: str, params: list) -> str:
    """The COUNT with its parameters written in, to EXPLAIN it as it ran."""
    if connection.vendor == "postgresql":
        import psycopg

        # A client-side cursor: the app's binds on the server, which has no mogrify.
        connection.ensure_connection()
        return psycopg.ClientCursor(connection.connection).mogrify(sql, params)
    quoted = [f"'{p}'" if isinstance(p, str) else str(p) for p in params]
    return sql.replace("%s", "{}").format(*quoted)
