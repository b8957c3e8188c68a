"""The case page on a phone: a review step with a 10 MB poster and a 100 MB video, beside
the same page with no attachment, in Chromium on a throttled phone.

    .venv/bin/python bench/phone.py [--quick] [--runs 3] [--name phone-YYYYmmdd-HHMMSS]

A fresh SIARAN_DATA_DIR (SQLite, `migrate`, `siaran demo --no-history`); two RSPON cases
walked through `siaran.cases.actions` to the directors' review (`director-review`, lane
direksi), one with a generated poster (JPEG, about 10 MB) and video (MP4, about 100 MiB)
attached at the editing step, one with nothing attached. `siaran runserver` in debug (as
`make run` serves it) on 127.0.0.1; Chromium logs in as rspon-direksi through the login
page, then opens each case page on a cold cache in a 390x844 phone viewport under
DevTools' "Slow 4G" and a 4x CPU slowdown. Per page: bytes transferred and the largest
contentful paint, median of the runs. Targets: at most 1 MB and LCP within 2.5 s.

The harness reads only what the browser loads, so it needs no change when the page does.
The exit status is 0 unless the harness itself fails: it is a benchmark, not a test.
Results: bench/results/NAME.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# Generated files are kept here between runs (they take some seconds to make).
CACHE = Path(tempfile.gettempdir()) / "siaran-bench-phone-cache"
PASSWORD = "siaran-demo-2026"  # noqa: S105 - the demo's printed password
REVIEWER = "rspon-direksi"
SOP = "rspon-medsos"
REVIEW_STEP = "director-review"
ATTACH_STEP = "edit"  # a step that edits the content: files can be added there

MB = 1000 * 1000
MIB = 1024 * 1024
POSTER_MIN, POSTER_MAX = 10 * MB, 11 * MB  # a generated poster lands between these
VIDEO_BYTES = 100 * MIB  # the video is at least this big (about 105 MB)
TARGET_BYTES = 1 * MB
TARGET_LCP_MS = 2500

# Chrome DevTools' "Slow 4G" preset (the one formerly named "Fast 3G"), as Puppeteer's
# PredefinedNetworkConditions copies it from DevTools' NetworkManager.ts, and as
# Lighthouse's mobile throttling (lantern's `mobileSlow4G`) derives it: 150 ms RTT and
# 1.6 Mbps down / 750 kbps up, adjusted by DevTools' factors 3.75 (latency) and 0.9
# (throughput). Lighthouse pairs it with a 4x CPU slowdown.
SLOW_4G = {
    "offline": False,
    "latency": 150 * 3.75,  # 562.5 ms per request
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,  # 180,000 bytes/s
    "uploadThroughput": 750 * 1000 / 8 * 0.9,  # 84,375 bytes/s
    "connectionType": "cellular4g",
}
CPU_SLOWDOWN = 4
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "screen": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
QUIET_MS = 1000  # after `load`, the network must be idle this long ...
SETTLE_MAX_MS = 6000  # ... or this long has passed; then LCP and bytes are read

# The largest contentful paint so far, and what painted it; read once the page settled.
LCP_JS = """() => {
  let entries = [];
  const observer = new PerformanceObserver(list => {
    entries = entries.concat(list.getEntries());
  });
  observer.observe({type: 'largest-contentful-paint', buffered: true});
  entries = entries.concat(observer.takeRecords());
  observer.disconnect();
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const media = [...document.querySelectorAll('img, video, picture source, svg image')].map(el => {
    const r = el.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), id: el.id || '',
            src: el.currentSrc || el.src || el.getAttribute('href') || '',
            poster: el.poster || '', preload: el.getAttribute('preload'),
            width: Math.round(r.width), height: Math.round(r.height),
            natural: el.naturalWidth ? [el.naturalWidth, el.naturalHeight]
                     : (el.videoWidth ? [el.videoWidth, el.videoHeight] : null),
            in_viewport: r.bottom > 0 && r.top < innerHeight && r.width > 0 && r.height > 0};
  });
  const times = {ttfb_ms: nav.responseStart, dom_content_loaded_ms: nav.domContentLoadedEventEnd,
                 load_ms: nav.loadEventEnd};
  if (!entries.length) return {lcp: null, media, times};
  const last = entries[entries.length - 1];
  const el = last.element;
  return {lcp: {ms: last.startTime, render_ms: last.renderTime, load_ms: last.loadTime,
                size: last.size, url: last.url || '',
                tag: el ? el.tagName.toLowerCase() : '', id: el ? el.id : '',
                class: el && typeof el.className === 'string' ? el.className : '',
                text: el ? (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60) : ''},
          media, times};
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per page")
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median)")
    parser.add_argument("--name", help="results file bench/results/NAME.json")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds a page may take to load"
    )
    args = parser.parse_args()
    runs = 1 if args.quick else max(1, args.runs)
    stamp = dt.datetime.now(dt.UTC)
    name = args.name or f"phone-{stamp:%Y%m%d-%H%M%S}"
    folder = Path(tempfile.mkdtemp(prefix="siaran-bench-phone-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SIARAN_DATA_DIR=str(folder),
        SIARAN_LOG_LEVEL="WARNING",
        SIARAN_DEBUG="1",  # as `make run`: static files served by runserver, plain HTTP
        # Playwright's sync API keeps an event loop in this thread; the ORM would refuse.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    began = time.monotonic()
    try:
        poster, video = make_poster(CACHE), make_video(CACHE)
        cases = prepare(poster, video)
        with server(folder) as base:
            pages = measure(base, cases, runs, args.timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report = {
        "date": stamp.isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "hostname": platform.node(),
        },
        "quick": args.quick,
        "runs": runs,
        "conditions": {
            "network": "Chrome DevTools Slow 4G",
            **{k: v for k, v in SLOW_4G.items() if k != "offline"},
            "cpu_slowdown": CPU_SLOWDOWN,
            "viewport": PHONE,
            "cache": "cold (a new browser context per run)",
            "settle": f"after load, {QUIET_MS} ms of idle network or {SETTLE_MAX_MS} ms",
        },
        "cases": cases,
        **pages,
        "targets": {"bytes_max": TARGET_BYTES, "lcp_ms_max": TARGET_LCP_MS},
        "seconds": round(time.monotonic() - began, 1),
    }
    media, baseline = report["pages"]["media"], report["pages"]["baseline"]
    report["ratios"] = {
        "bytes": _ratio(media["bytes"], baseline["bytes"]),
        "lcp": _ratio(media["lcp_ms"], baseline["lcp_ms"]),
    }
    lcp = media["median_run"]["lcp"] or {}
    # Whether what painted last and largest is a picture (the preview) or text.
    report["lcp_is_media"] = lcp.get("tag") in ("img", "video", "image", "svg") or bool(
        lcp.get("url")
    )
    report["verdicts"] = {
        "bytes": media["bytes"] <= TARGET_BYTES,
        "lcp": media["lcp_ms"] is not None and media["lcp_ms"] <= TARGET_LCP_MS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(summary(report))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ratio(value, base):
    if value is None or not base:
        return None
    return round(value / base, 2)


# -- the files ---------------------------------------------------------------------------


def make_poster(cache: Path) -> Path:
    """A 4000x5000 JPEG of coloured noise at quality 95: 10 to 11 MB, made once."""
    path = cache / "poster-4000x5000.jpg"
    if path.exists() and POSTER_MIN <= path.stat().st_size <= POSTER_MAX:
        return path
    from PIL import Image, ImageDraw

    say("making the poster (about 10 MB) ...")
    cache.mkdir(parents=True, exist_ok=True)
    width, height = 4000, 5000
    sigma = 15.0
    for _attempt in range(6):
        # Noise around three colour levels: a photo's worth of detail that JPEG cannot
        # squeeze, with a few shapes so a scaled-down preview shows something.
        channels = [
            Image.effect_noise((width, height), sigma).point(lambda v, o=o: v + o - 128)
            for o in (60, 0, -40)
        ]
        image = Image.merge("RGB", channels)
        draw = ImageDraw.Draw(image)
        draw.rectangle((300, 400, 3700, 1600), fill=(20, 90, 160))
        draw.ellipse((1000, 2200, 3000, 4200), fill=(230, 200, 40))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=95)
        size = buffer.tell()
        if POSTER_MIN <= size <= POSTER_MAX:
            path.write_bytes(buffer.getvalue())
            return path
        sigma *= ((POSTER_MIN + POSTER_MAX) / 2 / size) ** 1.5
    raise RuntimeError(f"could not make a poster of 10-11 MB (last {size} bytes)")


def make_video(cache: Path) -> Path:
    """A real MP4 (MPEG-4 Part 2, 1080x1920 portrait, 30 fps) of low-amplitude noise, encoded
    with PyAV until it holds 100 MiB of frames: about 135 frames, 4.5 s. Made once."""
    path = cache / "video-1080x1920-100mib.mp4"
    if path.exists() and path.stat().st_size >= VIDEO_BYTES:
        return path
    import av

    say("making the video (100 MiB) ...")
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    # Each random byte kept to 16 levels: about 0.75 MB a frame at a fine quantiser.
    levels = bytes(100 + (b & 15) for b in range(256))
    written = 0
    with av.open(str(partial), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1080, 1920, "yuv420p"
        stream.bit_rate = 400_000_000
        stream.codec_context.options = {"qmin": "2", "qmax": "4"}
        number = 0
        while written < VIDEO_BYTES:
            frame = av.VideoFrame(1080, 1920, "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size).translate(levels))
            frame.pts = number
            number += 1
            for packet in stream.encode(frame):
                written += packet.size
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    partial.rename(path)
    return path


# -- the cases ---------------------------------------------------------------------------


def prepare(poster: Path, video: Path) -> dict:
    """The demo, then two RSPON cases at the directors' review: one with the poster and the
    video attached at the editing step, one with no attachment."""
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from siaran.cases import actions
    from siaran.cases.definitions import definition
    from siaran.orgs.models import Person

    say("migrate, siaran demo --no-history ...")
    with open(os.devnull, "w") as devnull:
        call_command("migrate", verbosity=0, stdout=devnull)
        call_command("demo", "--no-history", stdout=devnull)
    people = {p.user.username: p for p in Person.objects.select_related("user")}
    files = [(poster, "poster-hari-stroke.jpg"), (video, "video-edukasi-stroke.mp4")]
    text = (
        "Poster dan video edukasi Hari Stroke Sedunia untuk Instagram, Facebook, X dan"
        " YouTube RSPON."
    )

    def case_at_review(title: str, attach: list[tuple[Path, str]]) -> dict:
        case = actions.case_start(
            person=people["rspon-unit-kerja"], sop_id=SOP, title=title, description=text
        )
        sop = definition(case.sop_version)
        attachments = []
        while case.current_step != REVIEW_STEP:
            step = sop.step(case.current_step)
            person = people[f"rspon-{step.lane}"]
            if step.id == ATTACH_STEP:
                for path, name in attach:
                    say(f"attaching {name} ({path.stat().st_size / MB:.1f} MB) ...")
                    with path.open("rb") as handle:
                        attachments.append(
                            actions.attachment_add(
                                person=person, case_id=case.pk, upload=File(handle, name=name)
                            )
                        )
            exits = [e.id for e in step.exits()]
            outcome = next((o for o in ("done", "ya") if o in exits), exits[0])
            case = actions.case_decide(person=person, case_id=case.pk, outcome=outcome)
        assert case.current_lane == "direksi", case.current_lane
        return {"id": case.pk, "title": title, "step": case.current_step, "files": attachments}

    # One title for both: the pages differ by their files alone.
    title = "Poster dan Video Edukasi Hari Stroke Sedunia"
    media = case_at_review(title, files)
    baseline = case_at_review(title, [])
    work_off_tasks()
    for attachment in media["files"]:  # as the worker left them
        attachment.refresh_from_db()
    media["files"] = [_file_facts(a) for a in media["files"]]
    baseline["files"] = []
    return {"media": media, "baseline": baseline}


def _file_facts(attachment) -> dict:
    facts = {
        "name": attachment.name,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "bytes": attachment.size,
    }
    for field in ("width", "height", "seconds"):
        facts[field] = getattr(attachment, field, None)
    preview = getattr(attachment, "preview", None)
    facts["preview_bytes"] = preview.size if preview else None
    return facts


def work_off_tasks() -> None:
    """Whatever the uploads queued (a preview made by a task, if the app makes them so),
    done by the task worker as `make run` runs it, before the pages are measured."""
    command = [sys.executable, "-m", "siaran", "db_worker", "--batch", "--queue-name", "*"]
    command += ["--no-startup-delay", "--no-reload", "--interval", "0.1"]
    try:
        subprocess.run(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300
        )
    except subprocess.TimeoutExpired:
        say("the task worker did not finish in 300 s; measuring anyway")


# -- the server --------------------------------------------------------------------------


class server:
    """`siaran runserver` on a free port of 127.0.0.1, threaded, debug on (static files)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.log = (self.folder / "runserver.log").open("wb")
        command = [sys.executable, "-m", "siaran", "runserver", f"127.0.0.1:{port}"]
        command += ["--noreload", "--skip-checks"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                login = base + "/accounts/login/"  # http://127.0.0.1, made above
                with urllib.request.urlopen(login, timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return base
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("runserver did not start; see its log in the data folder")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- the browser -------------------------------------------------------------------------


def measure(base: str, cases: dict, runs: int, timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    chromium_path = shutil.which("chromium")
    if chromium_path is None:
        raise RuntimeError("Debian's chromium is missing: apt-get install chromium")
    urls = {label: f"{base}/cases/{case['id']}/" for label, case in cases.items()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            state = log_in(browser, base, list(urls.values()))
            samples: dict[str, list[dict]] = {label: [] for label in urls}
            for number in range(runs):  # interleaved, so the machine's noise falls on both
                for label in ("baseline", "media"):
                    say(f"run {number + 1}/{runs}: {label} page ...")
                    sample = load(browser, state, urls[label], timeout)
                    samples[label].append(sample)
                    say(f"  {sample['bytes']:,} bytes, LCP {sample['lcp_ms']} ms")
            version = browser.version
        finally:
            browser.close()
    return {
        "chromium": version,
        "pages": {label: _page_summary(urls[label], runs) for label, runs in samples.items()},
    }


def log_in(browser, base: str, warm: list[str]) -> dict:
    """Sign in as the directors' reviewer through the login page, unthrottled; then open
    each page once (the server's first render of a page is not measured)."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{base}/accounts/login/?next=/tasks/")
        page.fill("input[name=username]", REVIEWER)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=30_000)
        for url in warm:
            page.goto(url)
            if "/accounts/login/" in page.url:
                raise RuntimeError(f"{REVIEWER} could not open {url}")
        return context.storage_state()
    finally:
        context.close()


def load(browser, state: dict, url: str, timeout: float) -> dict:
    """One cold load of `url` on the throttled phone: every request's bytes, LCP, timings."""
    context = browser.new_context(storage_state=state, **PHONE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests: dict[str, dict] = {}

        def sent(event):
            if event.get("redirectResponse"):  # the same id goes on; keep the hop's bytes
                earlier = requests.get(event["requestId"])
                if earlier:
                    earlier["status"] = event["redirectResponse"].get("status")
                    earlier["finished"] = event["redirectResponse"].get("encodedDataLength", 0)
                    requests[event["requestId"] + ":" + str(len(requests))] = earlier
            requests[event["requestId"]] = {
                "url": event["request"]["url"],
                "type": event.get("type", "Other"),
                "received": 0,
                "finished": None,
                "failed": None,
                "status": None,
            }

        def responded(event):
            request = requests.get(event["requestId"])
            if request:
                request["status"] = event["response"].get("status")
                request["type"] = event.get("type", request["type"])
                request["mime"] = event["response"].get("mimeType", "")
                request["headers_bytes"] = event["response"].get("encodedDataLength", 0)

        def data(event):
            request = requests.get(event["requestId"])
            if request:
                request["received"] += event.get("encodedDataLength", 0)

        def finished(event):
            request = requests.get(event["requestId"])
            if request:
                request["finished"] = event.get("encodedDataLength", 0)

        def failed(event):
            request = requests.get(event["requestId"])
            if request:
                request["failed"] = event.get("errorText") or "failed"

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.responseReceived", responded)
        cdp.on("Network.dataReceived", data)
        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.loadingFailed", failed)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})

        timed_out = False
        started = time.monotonic()
        try:
            page.goto(url, wait_until="load", timeout=timeout * 1000)
        except Exception as error:  # a page that never loads is a figure, not a crash
            if "Timeout" not in type(error).__name__:
                raise
            timed_out = True
        loaded_s = time.monotonic() - started
        # Settle: the network idle for QUIET_MS, or SETTLE_MAX_MS at most.
        quiet_since = time.monotonic()
        settle_until = time.monotonic() + SETTLE_MAX_MS / 1000
        while time.monotonic() < settle_until:
            page.wait_for_timeout(100)
            if any(_in_flight(r) for r in requests.values()):
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
                break
        seen = page.evaluate(LCP_JS)
        if "/accounts/login/" in page.url:
            raise RuntimeError(f"the session was lost: {url} went to the login page")
    finally:
        context.close()
    rows = []
    for request in {id(r): r for r in requests.values()}.values():
        rows.append(
            {
                "url": _path(request["url"]),
                "type": request["type"],
                "status": request["status"],
                "bytes": _bytes(request),
                "state": "in flight"
                if _in_flight(request)
                else ("failed: " + request["failed"] if request["failed"] else "finished"),
            }
        )
    by_type: dict[str, int] = {}
    for row in rows:
        by_type[row["type"]] = by_type.get(row["type"], 0) + row["bytes"]
    return {
        "bytes": sum(row["bytes"] for row in rows),
        "lcp_ms": round(seen["lcp"]["ms"]) if seen["lcp"] else None,
        "lcp": seen["lcp"],
        # 0 is a moment that never came (no `load` event before the timeout)
        "times": {k: round(v) if v else None for k, v in seen["times"].items()},
        "wall_load_s": round(loaded_s, 2),
        "timed_out": timed_out,
        "requests": len(rows),
        "in_flight_at_end": sum(1 for row in rows if row["state"] == "in flight"),
        "bytes_by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
        "requests_list": sorted(rows, key=lambda row: -row["bytes"]),
        "media_elements": seen["media"],
    }


def _in_flight(request: dict) -> bool:
    return request["finished"] is None and request["failed"] is None


def _bytes(request: dict) -> int:
    """What came over the wire: loadingFinished's total when the request finished, else what
    arrived before it failed or the measurement ended (headers and body chunks)."""
    if request["finished"] is not None:
        return int(request["finished"])
    return int(request.get("headers_bytes", 0) + request["received"])


def _path(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return url[:40]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _page_summary(url: str, runs: list[dict]) -> dict:
    """The medians of a page's runs, and the run whose LCP is the median, in full."""
    lcps = [r["lcp_ms"] for r in runs if r["lcp_ms"] is not None]
    ordered = sorted(runs, key=lambda r: (r["lcp_ms"] is None, r["lcp_ms"] or 0))
    middle = ordered[(len(ordered) - 1) // 2]
    return {
        "url": _path(url),
        "bytes": round(statistics.median(r["bytes"] for r in runs)),
        "lcp_ms": round(statistics.median(lcps)) if lcps else None,
        "load_ms": _median([r["times"].get("load_ms") for r in runs]),
        "bytes_runs": [r["bytes"] for r in runs],
        "lcp_ms_runs": [r["lcp_ms"] for r in runs],
        "median_run": middle,
    }


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values)) if values else None


# -- the printed summary -----------------------------------------------------------------


def _element(lcp: dict | None) -> str:
    if not lcp:
        return "(none)"
    name = lcp["tag"] + (f"#{lcp['id']}" if lcp["id"] else "")
    if lcp["class"]:
        name += "." + ".".join(lcp["class"].split()[:2])
    if lcp["url"]:
        name += f" {_path(lcp['url'])[:40]}"
    elif lcp["text"]:
        name += f' "{lcp["text"][:28]}"'
    return name if len(name) <= 64 else name[:63] + "…"


def _num(value) -> str:
    return "-" if value is None else str(value)


def summary(report: dict) -> str:
    pages, ratios, verdicts = report["pages"], report["ratios"], report["verdicts"]
    net = report["conditions"]
    lines = [
        "",
        f"Phone benchmark {report['date']} on {report['machine']['hostname']},"
        f" nproc={report['machine']['nproc']}, Chromium {report['chromium']}"
        + (" (quick)" if report["quick"] else ""),
        f"390x844 @3x, touch; Slow 4G ({net['latency']:.1f} ms,"
        f" {net['downloadThroughput']:,.0f} B/s down), CPU {net['cpu_slowdown']}x slower;"
        f" cold cache, median of {report['runs']} run(s)",
        f"case page at {REVIEW_STEP} as {REVIEWER}; media case's files: "
        + ", ".join(
            f"{f['name']} {f['bytes'] / MB:.1f} MB"
            + (f" (preview {f['preview_bytes'] / 1000:.0f} kB)" if f["preview_bytes"] else "")
            for f in report["cases"]["media"]["files"]
        ),
        "",
        f"{'page':26} {'bytes':>11} {'LCP ms':>8} {'load ms':>8}  LCP element",
    ]
    for label, title in (("baseline", "no attachment"), ("media", "poster 10 MB + video 100 MB")):
        page = pages[label]
        lines.append(
            f"{title:26} {page['bytes']:>11,} {_num(page['lcp_ms']):>8} {_num(page['load_ms']):>8}"
            f"  {_element(page['median_run']['lcp'])}"
        )
    media = pages["media"]
    lines += [
        f"{'ratio (media / none)':26} {ratios['bytes'] or 0:>11.2f} {ratios['lcp'] or 0:>8.2f}",
        "",
        f"target bytes <= {TARGET_BYTES:,}: {media['bytes']:,}"
        f" {'ok' if verdicts['bytes'] else 'MISSED'}",
        f"target LCP <= {TARGET_LCP_MS} ms: {media['lcp_ms']}"
        f" {'ok' if verdicts['lcp'] else 'MISSED'}",
    ]
    if not report["lcp_is_media"]:
        lines.append("  (the media page's LCP element is text: no image or video painted larger)")
    run = media["median_run"]
    lines.append(
        "media page, bytes by type: "
        + ", ".join(f"{kind} {size:,}" for kind, size in run["bytes_by_type"].items())
        + (
            f"; {run['in_flight_at_end']} request(s) still loading"
            if run["in_flight_at_end"]
            else ""
        )
        + ("; the page did not finish loading" if run["timed_out"] else "")
    )
    lines.append("  largest requests:")
    lines += [
        f"    {row['bytes']:>11,}  {row['type']:10} {row['url'][:70]}  ({row['state']})"
        for row in run["requests_list"][:6]
    ]
    shown = [m for m in run["media_elements"] if m["in_viewport"]]
    lines.append(
        f"  images and videos on the page: {len(run['media_elements'])},"
        f" {len(shown)} in the first screen"
        + "".join(
            f"\n    {m['tag']}{'#' + m['id'] if m['id'] else ''} {m['width']}x{m['height']}"
            f" {_path(m['src'] or m['poster'])[:60]}"
            + (f" preload={m['preload']}" if m["preload"] else "")
            for m in run["media_elements"][:6]
        )
    )
    lines.append(f"total {report['seconds']:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
