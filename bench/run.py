"""Siaran's benchmark: transitions/s, SQL statements per transition, inbox latency,
the monitoring report.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--quick] [--name bench]
                                  [--only transitions,inbox,monitoring]

Each database is measured in a child process of this script (`--worker DB`), on a fresh
SQLite folder or a fresh PostgreSQL database that is dropped afterwards. The figures
go to bench/results/<name>.json and a summary is printed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_URL = "postgres://postgres@127.0.0.1:5432"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="shorter runs, 10x less data")
    parser.add_argument("--name", default="bench", help="results file: bench/results/NAME.json")
    parser.add_argument(
        "--only",
        type=_measurements,
        default=",".join(MEASUREMENTS),
        metavar="LIST",
        help="measure only these, separated by commas: " + ", ".join(MEASUREMENTS),
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", PG_URL),
        help="PostgreSQL server (no database name); default $BENCH_PG_URL or " + PG_URL,
    )
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    began = time.monotonic()
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hostname": platform.node(),
        },
        "quick": args.quick,
        "only": list(args.only),
        "databases": {},
    }
    for database in databases:
        print(f"measuring {database}{' (quick)' if args.quick else ''} ...", file=sys.stderr)
        report["databases"][database] = measure(database, args.quick, args.pg_url, args.only)
    report["seconds"] = round(time.monotonic() - began, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(summary(report))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


MEASUREMENTS = ("transitions", "inbox", "monitoring")


def _measurements(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in chosen if name not in MEASUREMENTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(MEASUREMENTS)}")
    return chosen


def measure(database: str, quick: bool, pg_url: str, only: tuple[str, ...]) -> dict:
    """Run one database's measurements in a child process, on a fresh database."""
    folder = tempfile.mkdtemp(prefix=f"siaran-bench-{database}-")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        SIARAN_DATA_DIR=folder,
        SIARAN_LOG_LEVEL="WARNING",
    )
    env.pop("DATABASE_URL", None)
    name = None
    if database == "postgres":
        name = f"siaran_bench_{os.getpid()}"
        _admin(pg_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"{pg_url.rstrip('/')}/{name}"
    out = Path(folder) / "result.json"
    command = [sys.executable, __file__, "--worker", database, "--out", str(out)]
    command += ["--only", ",".join(only)]
    try:
        subprocess.run(command + (["--quick"] if quick else []), env=env, cwd=ROOT, check=True)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        if name:
            _admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


def _admin(pg_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def worker(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from bench import worker as measuring

    result = measuring.measure(quick=args.quick, only=args.only)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# -- the printed summary ---------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def summary(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "",
        f"Siaran benchmark {report['date']} on {machine['hostname']}, nproc={machine['nproc']}"
        + (" (quick)" if report["quick"] else ""),
    ]
    for result in report["databases"].values():
        lines += ["", f"== {result['server']}  ({result['seconds']:.0f} s)"]
        if "transitions" in result:
            lines += _transitions_summary(result)
        if "inbox" in result:
            lines += _inbox_summary(result["inbox"])
        if "monitoring" in result:
            lines += _monitoring_summary(result["monitoring"])
    lines.append(f"\ntotal {report['seconds']:.0f} s")
    return "\n".join(lines)


def _transitions_summary(result: dict) -> list[str]:
    lines = []
    for clients, figure in result["transitions"]["clients"].items():
        lines.append(
            f"transitions, {clients} client(s): {figure['transitions_per_s']:8.1f}/s"
            f"   ceiling (UPDATE+INSERT txn) {figure['ceiling_per_s']:8.1f}/s"
            f"   ratio {figure['ratio']:.2f} (target >= {figure['target_min']:.2f})"
            f" {_verdict(figure['ratio'] >= figure['target_min'])}"
            + ("  [ran out of cases]" if figure["ran_out_of_cases"] else "")
        )
        if "floor_per_s" in figure:
            lines.append(
                f"  the case read plus the ceiling's transaction, no app code:"
                f" {figure['floor_per_s']:8.1f}/s, ratio {figure['floor_ratio']:.2f}"
            )
    share = result["transitions"].get("database_share")
    if share:
        lines.append(
            f"  per transition (1 client): {share['whole_us']:.0f} us, of which the database"
            f" {share['database_us']:.0f} us and the app {share['app_us']:.0f} us; the ceiling's"
            f" transaction {share['ceiling_us']:.0f} us, so with no app code at all the ratio"
            f" would be at most {share['bound_ratio']:.2f}"
        )
    statements = result["statements"]
    lines.append(
        f"SQL statements per transition: {statements['per_transition']:.1f}"
        f" (target <= {statements['target_max']})"
        f" {_verdict(statements['per_transition'] <= statements['target_max'])};"
        f" by step: {statements['by_step']}"
    )
    lines.append(
        f"  {statements['per_transition_without_begin_commit']:.1f} without BEGIN/COMMIT;"
        f" one transition ({statements['example_step']}):"
    )
    lines += [f"    {number}. {sql}" for number, sql in enumerate(statements["example"], 1)]
    lines.append("  one transition under cProfile (ms, inflated; proportions hold):")
    lines += [f"    {ms:6.2f}  {label}" for label, ms in statements["profile_ms"].items()]
    return lines


def _inbox_summary(inbox: dict) -> list[str]:
    lines = [
        f"inbox /tasks/ with {inbox['cases']:,} cases, {inbox['step_runs']:,} step rows,"
        f" {inbox['inbox_tasks']} tasks shown, {inbox['requests']} requests each:",
        f"  inbox p50 {inbox['inbox_ms']['p50']:.1f} ms p95 {inbox['inbox_ms']['p95']:.1f} ms"
        f" | pk page p50 {inbox['pk_ms']['p50']:.1f} ms p95 {inbox['pk_ms']['p95']:.1f} ms"
        f" | ratio p95 {inbox['ratio_p95']:.2f} (target <= {inbox['target_max']:.0f})"
        f" {_verdict(inbox['ratio_p95'] <= inbox['target_max'])}",
        f"  inbox: {inbox['inbox_statements']} statements, {inbox['inbox_sql_ms']:.1f} ms"
        f" in SQL; pk page: {inbox['pk_statements']} statements; slowest inbox statements:",
    ]
    lines += [f"    {s['ms']:6.1f} ms  {s['sql'][:90]}" for s in inbox["inbox_slowest"][:3]]
    lines.append("  plan of the slowest inbox statement:")
    lines += [f"    {line[:110]}" for line in inbox["inbox_slowest_plan"][:14]]
    lines.append("  one inbox request under cProfile (ms, inflated; proportions hold):")
    lines += [f"    {ms:6.1f}  {label}" for label, ms in inbox["inbox_profile_ms"].items()]
    return lines


def _monitoring_summary(figure: dict) -> list[str]:
    report, count = figure["report_ms"], figure["count_ms"]
    lines = [
        f"monitoring report over {figure['step_rows']:,} step rows, {figure['runs']} runs each:",
        f"  report p50 {report['p50']:.1f} ms p95 {report['p95']:.1f} ms"
        f" | COUNT(*) of the same rows p50 {count['p50']:.1f} ms p95 {count['p95']:.1f} ms"
        f" | ratio p95 {figure['ratio_p95']:.2f} (target <= {figure['target_max']:.0f})"
        f" {_verdict(figure['ratio_p95'] <= figure['target_max'])}; ratio p50"
        f" {figure['ratio_p50']:.2f}",
        f"  (COUNT(*) of the whole timeline table, for scale: p50"
        f" {figure['count_table_ms']['p50']:.1f} ms)",
        "  the report's statements:",
    ]
    lines += [f"    {s['ms']:7.1f} ms  {s['sql'][:90]}" for s in figure["statements"]]
    lines.append("  plan of the slowest statement:")
    lines += [f"    {line[:110]}" for line in figure["slowest_plan"][:24]]
    return lines


if __name__ == "__main__":
    sys.exit(main())
