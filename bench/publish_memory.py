"""Memory of a worker publishing a big video: peak RSS beside the idle worker's.

    .venv/bin/python bench/publish_memory.py [--size-mib 1024] [--platform youtube tiktok]
                                             [--name publish-memory]

For each platform, two runs, each in a fresh `siaran db_worker` process (the real worker
of the default task backend): the baseline publishes a small video (16 MiB), the big run
a generated video of `--size-mib` (1 GiB: an MP4 header, then a sparse file of zeros).
Each video goes to the platform's sandbox (in this process) through the connector's
chunked upload, streamed from Django's storage. The worker's resident memory is read
from /proc: its idle RSS once it polls an empty queue, then its peak (VmHWM, reset
through /proc/PID/clear_refs just before the post is started) until the job succeeded.
Target: peak - idle <= 64 MiB for the 1 GiB video. Results: bench/results/NAME.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MIB = 1024 * 1024
TARGET_MIB = 64
BASELINE_MIB = 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument(
        "--platform", nargs="+", choices=["youtube", "tiktok"], default=["youtube", "tiktok"]
    )
    parser.add_argument("--name", default="publish-memory")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="siaran-bench-publish-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SIARAN_DATA_DIR=str(folder),
        SIARAN_LOG_LEVEL="WARNING",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    began = time.monotonic()
    try:
        report = measure(folder, args.size_mib, args.platform)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - began, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(summary(report))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0 if all(r["within_target"] for r in report["platforms"].values()) else 1


def measure(folder: Path, size_mib: int, platforms: list[str]) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hostname": platform.node(),
        },
        "size_mib": size_mib,
        "target_mib": TARGET_MIB,
        "platforms": {},
    }
    for name in platforms:
        print(f"measuring {name}: {BASELINE_MIB} MiB, then {size_mib} MiB ...", file=sys.stderr)
        small = run_once(folder, name, BASELINE_MIB * MIB, "small")
        big = run_once(folder, name, size_mib * MIB, "big")
        report["platforms"][name] = {
            "baseline": small,
            "big": big,
            "growth_ratio": round(
                big["peak_over_idle_mib"] / max(small["peak_over_idle_mib"], 1), 2
            ),
            "within_target": big["peak_over_idle_mib"] <= TARGET_MIB,
        }
    return report


def run_once(folder: Path, name: str, size: int, label: str) -> dict:
    """One video of `size` bytes published to `name`'s sandbox by a fresh worker."""
    from siaran.cases import actions as case_actions
    from siaran.orgs.models import Person
    from siaran.publishing import actions
    from siaran.publishing.models import PublishJob
    from siaran.publishing.sandbox import SANDBOXES

    sandbox = SANDBOXES[name]().start()
    try:
        admin = Person.objects.get(user__username="poltekkes-jkt2-admin")
        humas = Person.objects.get(user__username="poltekkes-jkt2-anggota")
        actions.channel_account_save(
            admin=admin,
            channel=name,
            connector=name,
            handle="@poltekkesjkt2",
            account_id=sandbox.demo_account_id(admin.organization_id),
            base_url=sandbox.url,
            credentials={"access_token": "sandbox-token"},
        )
        path = folder / f"{name}-{label}.mp4"
        write_video(path, size)
        case = case_at_upload(f"Video {name} {label}", path, name)
        worker = start_worker()
        try:
            idle = settle(worker)
            reset_peak = clear_refs(worker.pid)
            sampled = Sampler(worker.pid)
            started = time.monotonic()
            case_actions.case_decide(
                person=humas, case_id=case.pk, outcome="publish", channels=[name]
            )
            job = PublishJob.objects.get(case=case, channel=name)
            while job.status not in ("succeeded", "failed"):
                time.sleep(0.1)
                job.refresh_from_db()
                if time.monotonic() - started > 1800:
                    raise TimeoutError(f"{name}: the job did not finish")
            seconds = time.monotonic() - started
            status = read_status(worker.pid)
            sampled.stop()
        finally:
            stop_worker(worker)
        if job.status != "succeeded":
            raise RuntimeError(f"{name}: {job.error_code} {job.error_detail}")
        received = sandbox_received(sandbox)
        assert received == size, (received, size)
        peak = status["VmHWM"] if reset_peak else max(sampled.peak, idle)
        return {
            "bytes": size,
            "idle_rss_mib": round(idle / MIB, 1),
            "peak_rss_mib": round(peak / MIB, 1),
            "peak_over_idle_mib": round((peak - idle) / MIB, 1),
            "peak_from": "VmHWM after clear_refs" if reset_peak else "RSS sampled every 20 ms",
            "sampled_peak_rss_mib": round(sampled.peak / MIB, 1),
            "seconds": round(seconds, 1),
            "mib_per_s": round(size / MIB / seconds, 1),
            "sandbox_received_bytes": received,
        }
    finally:
        sandbox.stop()


def case_at_upload(title: str, video: Path, channel: str):
    """A Poltekkes case for `channel`, walked to its upload step by the demo's people,
    with `video` put in at the design step (content is written nowhere else)."""
    from siaran.cases import actions as case_actions
    from siaran.orgs.models import Person

    people = {p.user.username: p for p in Person.objects.select_related("user")}
    starter = people["poltekkes-jkt2-pengarah"]
    case = case_actions.case_start(
        person=starter, sop_id="poltekkes-jkt2-publikasi", title=title, channels=[channel]
    )
    from siaran.cases.definitions import definition

    sop = definition(case.sop_version)
    while case.current_step != "upload":
        step = sop.step(case.current_step)
        person = people[f"poltekkes-jkt2-{step.lane}"]
        if step.id == "design":
            case_actions.attachment_add(person=person, case_id=case.pk, upload=SparseUpload(video))
        outcome = step.exits()[0].id
        case = case_actions.case_decide(person=person, case_id=case.pk, outcome=outcome)
    return case


def write_video(path: Path, size: int) -> None:
    """An MP4 of `size` bytes: ftyp and moov (5 minutes, 1080x1920), then one sparse mdat."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 300_000) + bytes(80))
    tkhd = box(
        b"tkhd",
        bytes([0, 0, 0, 3])
        + struct.pack(">IIIII", 0, 0, 1, 0, 300_000)
        + bytes(52)
        + struct.pack(">II", 1080 << 16, 1920 << 16),
    )
    head = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    head += box(b"moov", mvhd + box(b"trak", tkhd))
    with path.open("wb") as file:
        file.write(head + struct.pack(">I", size - len(head)) + b"mdat")
        file.truncate(size)  # the rest is a hole: zeros that take no disk


class SparseUpload:
    """The generated file as an upload that storage moves into place instead of copying."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.size = path.stat().st_size
        self.file = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def seek(self, offset: int) -> None:
        self.file.seek(offset)

    def chunks(self, chunk_size: int = 8 * MIB):
        self.file.seek(0)
        while piece := self.file.read(chunk_size):
            yield piece

    def temporary_file_path(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self.file.close()


def start_worker() -> subprocess.Popen:
    siaran = shutil.which("siaran", path=str(Path(sys.executable).parent)) or "siaran"
    command = [siaran, "db_worker", "--interval", "0.1", "--no-startup-delay"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def read_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        if value.strip().endswith("kB"):
            values[key] = int(value.split()[0]) * 1024
    return values


def settle(worker: subprocess.Popen) -> int:
    """The worker's RSS once it has started and polled the empty queue a while."""
    time.sleep(4)
    if worker.poll() is not None:
        raise RuntimeError(worker.stderr.read().decode())
    readings = []
    for _ in range(10):
        readings.append(read_status(worker.pid)["VmRSS"])
        time.sleep(0.1)
    return max(readings)


def clear_refs(pid: int) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux 4.0+)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler:
    """RSS read every 20 ms, a cross-check of VmHWM (and the figure where it cannot be reset)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, read_status(self.pid)["VmRSS"])
            except (OSError, KeyError):
                return
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


def sandbox_received(sandbox) -> int:
    if sandbox.name == "youtube":
        return sum(v["size"] for v in sandbox.videos)
    return sum(p["size"] for p in sandbox.posts)


def summary(report: dict) -> str:
    lines = [
        "",
        f"Publishing memory {report['date']} on {report['machine']['hostname']},"
        f" nproc={report['machine']['nproc']}",
    ]
    for name, result in report["platforms"].items():
        small, big = result["baseline"], result["big"]
        lines += [
            f"== {name}",
            f"  {small['bytes'] // MIB:5d} MiB: idle {small['idle_rss_mib']:6.1f} MiB,"
            f" peak {small['peak_rss_mib']:6.1f} MiB, +{small['peak_over_idle_mib']:.1f} MiB,"
            f" {small['mib_per_s']:.0f} MiB/s",
            f"  {big['bytes'] // MIB:5d} MiB: idle {big['idle_rss_mib']:6.1f} MiB,"
            f" peak {big['peak_rss_mib']:6.1f} MiB, +{big['peak_over_idle_mib']:.1f} MiB,"
            f" {big['mib_per_s']:.0f} MiB/s  ({big['peak_from']})",
            f"  peak over idle, {big['bytes'] // MIB} MiB beside {small['bytes'] // MIB} MiB:"
            f" ratio {result['growth_ratio']:.2f};"
            f" target +{report['target_mib']} MiB: {'ok' if result['within_target'] else 'MISSED'}",
        ]
    lines.append(f"total {report['seconds']:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
