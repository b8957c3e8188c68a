"""The long fault run: publishing while workers are killed, then duplicates and losses.

    .venv/bin/python bench/publish_faults.py [--kills 200] [--jobs 40] [--workers 2]
                                             [--seed 1] [--limit 1800] [--name publish-faults]

On a fresh SQLite database (a temporary SIARAN_DATA_DIR, `migrate`, `siaran demo`), the
sandboxes of WordPress, Instagram, X, YouTube, TikTok and Facebook run in this process with
faults switched on (timeouts after the platform took the post, dropped connections, 429s
with Retry-After, 503s). Cases of both demo institutions are walked to their publish step
and published: Poltekkes to its website, Instagram and TikTok (and YouTube for two cases,
its daily quota being six uploads), RSPON to X, Instagram and Facebook. Then real
`siaran db_worker` processes are started and killed with SIGKILL at random moments
(seeded), `--workers` at a time, until `--kills` workers have died, with `runner.sweep`
every two seconds as an operator's timer runs `siaran publish_sweep`. A last worker is
then left to finish.

The truth is what the sandboxes hold (`Sandbox.held`), matched to jobs by a mark in each
case's text:
- duplicates: jobs with more than one post on their platform;
- lost: jobs marked succeeded without their post, jobs never settled (succeeded or failed)
  by the time limit, and posts that no job recorded.
Target: 0 and 0. Results: bench/results/NAME.json; the exit status is 1 when missed.

Time is shortened for the run (the lease to 8 s, the first backoff to 1 s, a platform's
answer waited for 1.5 s) through the settings a deployment has, so that hundreds of dead
workers fit in minutes.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MARK = re.compile(r"#fault(\d+)x")
PLATFORMS = ("wordpress", "instagram", "x", "youtube", "tiktok", "facebook")
YOUTUBE_CASES = 2  # Siaran's own ledger allows six uploads a day; killed runs spend some
SETTINGS = {
    "SIARAN_PUBLISH_TIMEOUT": "1.5",
    "SIARAN_PUBLISH_LEASE": "8",
    "SIARAN_PUBLISH_BACKOFF": "1",
    "SIARAN_LOG_LEVEL": "ERROR",
    "SIARAN_DEBUG": "0",
    "SIARAN_SSL_REDIRECT": "0",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=40, help="cases (each has 1 to 4 jobs)")
    parser.add_argument("--workers", type=int, default=2, help="workers alive at a time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=1800, help="seconds in all")
    parser.add_argument("--name", default="publish-faults")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="siaran-bench-faults-"))
    with socket.socket() as probe:  # the address Instagram fetches media from
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update(
        SETTINGS,
        DJANGO_SETTINGS_MODULE="config.settings",
        SIARAN_DATA_DIR=str(folder),
        SIARAN_BASE_URL=f"http://127.0.0.1:{port}",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    began = time.monotonic()
    try:
        report = fault_run(args, port, began)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - began, 1)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"{args.name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(summary(report))
    print(f"\nwritten to {path}")
    return 0 if report["settled"] else 1


def fault_run(args, port: int, began: float) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from siaran.publishing import runner
    from siaran.publishing.sandbox import SANDBOXES

    call_command("migrate", verbosity=0)
    call_command("demo", "--no-history", stdout=io.StringIO())
    web = serve_media(port)
    sandboxes = {name: SANDBOXES[name]().start() for name in PLATFORMS}
    try:
        sandboxes["x"].window_limit = 10_000
        faults = inject_faults(sandboxes, max(2, args.jobs // 4))
        cases = make_cases(sandboxes, args.jobs)
        say(f"{len(cases)} cases published; killing {args.kills} workers ...")
        setup_seconds = round(time.monotonic() - began, 1)
        rng = random.Random(args.seed)  # noqa: S311 - moments to kill, not secrets
        deadline = began + args.limit
        killed = kill_workers(rng, args.kills, args.workers, deadline, runner)
        say(f"{killed['kills']} killed; a last worker finishes ...")
        finished = time.monotonic()
        finish(deadline, runner)
        killed["finish_seconds"] = round(time.monotonic() - finished, 1)
        counted = count(sandboxes)
    finally:
        for sandbox in sandboxes.values():
            sandbox.stop()
        web.shutdown()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hostname": platform.node(),
        },
        "seed": args.seed,
        "cases": len(cases),
        "setup_seconds": setup_seconds,
        "settings": SETTINGS,
        "faults": faults,
        **killed,
        **counted,
        "settled": counted["duplicates"] == 0 and counted["lost"] == 0,
    }


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def serve_media(port: int):
    """Siaran's web app on `port`, for the media links Instagram fetches."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.wsgi import get_wsgi_application

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Quiet
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def inject_faults(sandboxes: dict, times: int) -> dict:
    """Each platform's fault switches, `times` strikes each; what was set, for the report."""
    slow = {"hang": 3.0, "times": times}
    busy = {"status": 429, "headers": {"Retry-After": "1"}, "times": times}
    plan = {
        "wordpress": [
            (r"/wp/v2/posts$", "accept_then_hang", slow),
            (r"/wp/v2/posts$", "accept_then_drop", {"times": times}),
            (r"/wp/v2/posts$", "status", busy),
            (r"/wp/v2/media$", "status", {"status": 503, "times": times}),
        ],
        "instagram": [
            (r"/media_publish$", "accept_then_hang", slow),
            (r"/media_publish$", "status", busy),
            (r"/media$", "status", {"status": 503, "times": times}),
        ],
        "x": [
            (r"/2/tweets$", "accept_then_hang", slow),
            (r"/2/tweets$", "accept_then_drop", {"times": times}),
            (r"/2/tweets$", "status", busy),
        ],
        "youtube": [
            (r"/upload/youtube/v3/videos$", "status", {"status": 503, "times": 2}),
        ],
        "tiktok": [
            (r"/video/init/$", "status", busy),
            (r"/status/fetch/$", "status", {"status": 503, "times": times}),
        ],
        "facebook": [
            (r"/photos$", "accept_then_hang", slow),
            (r"/photos$", "accept_then_drop", {"times": times}),
            (r"/photos$", "status", busy),
        ],
    }
    for name, faults in plan.items():
        for path, kind, options in faults:
            sandboxes[name].fail(path, kind, method="POST", **options)
    return {
        name: [
            f"{kind} {options.get('status', '')} x{options['times']} on {path}"
            for path, kind, options in faults
        ]
        for name, faults in plan.items()
    }


def make_cases(sandboxes: dict, count: int) -> list:
    """`count` cases at their publish step, published; their jobs queued, none run yet."""
    from PIL import Image

    from bench.publish_memory import SparseUpload, write_video
    from siaran.cases import actions as case_actions
    from siaran.orgs.models import Person
    from siaran.publishing import actions

    people = {p.user.username: p for p in Person.objects.select_related("user")}
    accounts = {
        "poltekkes-jkt2": [
            ("website", "wordpress"),
            ("instagram", "instagram"),
            ("tiktok", "tiktok"),
            ("youtube", "youtube"),
        ],
        "rspon": [("x", "x"), ("instagram", "instagram"), ("facebook", "facebook")],
    }
    for org, channels in accounts.items():
        for channel, connector in channels:
            credentials = {"access_token": "sandbox-token"}
            if connector == "wordpress":
                credentials = {
                    "username": "siaran",
                    "application_password": "abcd efgh ijkl mnop qrst uvwx",
                }
            actions.channel_account_save(
                admin=people[f"{org}-admin"],
                channel=channel,
                connector=connector,
                handle="@siaran",
                account_id="" if connector == "wordpress" else "17841400000000001",
                base_url=sandboxes[connector].url,
                credentials=credentials,
            )
    folder = Path(tempfile.mkdtemp(prefix="siaran-faults-media-"))
    poster = io.BytesIO()
    Image.new("RGB", (1080, 1080), (200, 30, 60)).save(poster, "JPEG")
    cases = []
    for number in range(count):
        org = "poltekkes-jkt2" if number % 3 else "rspon"
        if org == "rspon":
            channels = ["x", "instagram", "facebook"]
        else:
            channels = ["website", "instagram", "tiktok"]
            if sum(1 for c in cases if c[1] == "poltekkes-jkt2") < YOUTUBE_CASES:
                channels.append("youtube")

        def make_content(case, person, number=number, org=org):
            """The content, written where the SOP makes it: the narrative carries a mark
            the reconcile finds the post by; a poster, and a video for Poltekkes."""
            from django.core.files.uploadedfile import SimpleUploadedFile

            case_actions.content_save(
                person=person,
                case_id=case.pk,
                title=case.title,
                narrative=f"Publikasi {number} dari uji gangguan #fault{case.pk}x",
            )
            case_actions.attachment_add(
                person=person,
                case_id=case.pk,
                upload=SimpleUploadedFile("poster.jpg", poster.getvalue(), "image/jpeg"),
            )
            if org != "rspon":
                video = folder / f"video-{number}.mp4"
                write_video(video, 256 * 1024)
                case_actions.attachment_add(
                    person=person, case_id=case.pk, upload=SparseUpload(video)
                )

        case = case_at_publish_step(people, org, f"Fault run {number}", channels, make_content)
        humas = people[f"{org}-{case_lane(case)}"]
        case_actions.case_decide(
            person=humas, case_id=case.pk, outcome="publish", channels=channels
        )
        cases.append((case.pk, org))
    shutil.rmtree(folder, ignore_errors=True)
    return cases


def case_lane(case) -> str:
    from siaran.cases.definitions import definition

    return definition(case.sop_version).step(case.current_step).lane


def case_at_publish_step(people: dict, org: str, title: str, channels, make_content):
    """A case of the institution's SOP for `channels`, walked by the first outcome of each
    step to the step that publishes; `make_content(case, person)` at the first step where
    the SOP makes the content (content is written nowhere else)."""
    from siaran.cases import actions as case_actions
    from siaran.cases.definitions import definition

    sop_id = {"poltekkes-jkt2": "poltekkes-jkt2-publikasi", "rspon": "rspon-medsos"}[org]
    starter = None
    for username, person in people.items():
        if username.startswith(f"{org}-") and not username.endswith("-admin"):
            try:
                case = case_actions.case_start(
                    person=person, sop_id=sop_id, title=title, channels=channels
                )
            except Exception:  # noqa: BLE001, S112 - this person's lanes cannot start it
                continue
            starter = person
            break
    assert starter is not None, f"nobody of {org} can start {sop_id}"
    sop = definition(case.sop_version)
    made = False
    while not sop.step(case.current_step).channels:
        step = sop.step(case.current_step)
        person = people[f"{org}-{step.lane}"]
        if not made and sop.edits_content(step.id):
            make_content(case, person)
            made = True
        case = case_actions.case_decide(person=person, case_id=case.pk, outcome=step.exits()[0].id)
    return case


def start_worker() -> subprocess.Popen:
    siaran = shutil.which("siaran", path=str(Path(sys.executable).parent)) or "siaran"
    command = [siaran, "db_worker", "--interval", "0.1", "--no-startup-delay"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_workers(rng: random.Random, target: int, alive: int, deadline: float, runner) -> dict:
    """Workers started and killed with SIGKILL at random moments until `target` died."""
    from siaran.publishing.models import PublishJob

    kills = while_claimed = 0
    pool: list[tuple[subprocess.Popen, float]] = []
    next_sweep = time.monotonic()
    started = time.monotonic()
    while (kills < target or pool) and time.monotonic() < deadline:
        now = time.monotonic()
        while len(pool) < alive and kills + len(pool) < target:
            # Up to 6 s: a worker takes 1-2 s to start, then claims and posts.
            pool.append((start_worker(), now + rng.uniform(1.0, 6.0)))
        for worker, kill_at in list(pool):
            if now >= kill_at:
                if PublishJob.objects.filter(status="running").exists():  # only ours run
                    while_claimed += 1
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                pool.remove((worker, kill_at))
                kills += 1
        if now >= next_sweep:
            runner.sweep(grace=dt.timedelta(seconds=1))
            next_sweep = now + 2
        time.sleep(0.05)
    for worker, _kill_at in pool:
        worker.kill()
        worker.wait()
    return {
        "kills": kills,
        "kills_while_a_job_was_claimed": while_claimed,
        "kill_seconds": round(time.monotonic() - started, 1),
    }


def finish(deadline: float, runner) -> None:
    """One worker left alive, the sweep on its timer, until every job is settled."""
    from siaran.publishing.models import PublishJob

    worker = start_worker()
    try:
        while time.monotonic() < deadline:
            ours = PublishJob.objects.filter(case__title__startswith="Fault run")
            if not ours.exclude(status__in=["succeeded", "failed"]).exists():
                break
            runner.sweep(grace=dt.timedelta(seconds=1))
            time.sleep(2)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def count(sandboxes: dict) -> dict:
    """Each job beside the posts its platform holds."""
    from siaran.publishing.models import PublishJob

    ours = PublishJob.objects.filter(case__title__startswith="Fault run")
    jobs = {(j.case_id, j.connector): j for j in ours}
    posts = collections.defaultdict(list)
    strangers = []
    for name, sandbox in sandboxes.items():
        for post in sandbox.held():
            found = MARK.search(post["text"])
            key = (int(found.group(1)), name) if found else None
            if key in jobs:
                posts[key].append(post["id"])
            else:
                strangers.append({"platform": name, "id": post["id"]})
    duplicates, lost = [], collections.defaultdict(list)
    for key, job in jobs.items():
        held = posts.get(key, [])
        where = {"job": job.pk, "platform": key[1], "status": job.status, "posts": held}
        if len(held) > 1:
            duplicates.append(where)
        elif job.status == "succeeded" and job.platform_id not in held:
            lost["succeeded_without_its_post"].append(where)
        elif job.status not in ("succeeded", "failed"):
            lost["never_settled"].append({**where, "error": job.error_code})
        elif job.status == "failed" and held:
            lost["posts_no_job_recorded"].append({**where, "error": job.error_code})
    lost["posts_no_job_recorded"] += strangers
    statuses = collections.Counter(j.status for j in jobs.values())
    failures = collections.Counter(j.error_code for j in jobs.values() if j.status == "failed")
    return {
        "jobs": len(jobs),
        "jobs_by_platform": dict(collections.Counter(c for _case, c in jobs)),
        "statuses": dict(statuses),
        "failed_because": dict(failures),
        "attempts": sum(j.attempts for j in jobs.values()),
        "posts": sum(len(sandbox.held()) for sandbox in sandboxes.values()),
        "duplicates": len(duplicates),
        "lost": sum(len(v) for v in lost.values()),
        "duplicate_jobs": duplicates,
        "lost_jobs": dict(lost),
    }


def summary(report: dict) -> str:
    lost = ", ".join(f"{k} {len(v)}" for k, v in report["lost_jobs"].items()) or "none"
    return "\n".join(
        [
            "",
            f"Publishing fault run {report['date']} on {report['machine']['hostname']},"
            f" nproc={report['machine']['nproc']}, seed {report['seed']}",
            f"  kills       {report['kills']} (while a job was claimed: "
            f"{report['kills_while_a_job_was_claimed']}) in {report['kill_seconds']:.0f} s",
            f"  jobs        {report['jobs']} {report['jobs_by_platform']}",
            f"  statuses    {report['statuses']}; failed because {report['failed_because']}",
            f"  posts       {report['posts']} held by the sandboxes; attempts {report['attempts']}",
            f"  duplicates  {report['duplicates']}",
            f"  lost        {report['lost']} ({lost})",
            f"  time        setup {report['setup_seconds']:.0f} s, kills"
            f" {report['kill_seconds']:.0f} s, last worker {report['finish_seconds']:.0f} s",
            f"  target 0 and 0: {'met' if report['settled'] else 'MISSED'};"
            f" total {report['seconds']:.0f} s",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
