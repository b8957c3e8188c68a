"""One case of each SOP, driven in a real browser from the first step to the upload step.

Every lane's person logs in and acts in turn; the first review sends the case back once.
Runs on a desktop and a phone-sized viewport and keeps a screenshot of every step.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import ROOT, need
from tests.screenshots import shot

PASSWORD = "siaran-demo-2026"
UPLOAD = "upload"
REJECTION_NOTE = "Narasi belum sesuai pedoman; mohon diperbaiki."
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH = 390
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": PHONE_WIDTH, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
}
# sop id -> (user name prefix, lane that starts a case, the review that sends the case back
# once, the step that review sends it back to)
SOPS = {
    "rspon-medsos": ("rspon", "unit-kerja", "director-review", "edit"),
    "poltekkes-jkt2-publikasi": ("poltekkes-jkt2", "pengarah", "verify", "design"),
}


def _screenshot_dir() -> Path:
    folder = Path(os.environ.get("SIARAN_SCREENSHOTS") or ROOT / "data" / "test-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    need(shutil.which("chromium") is not None, "Debian's chromium is not installed")
    try:
        from playwright import sync_api
    except ImportError:
        need(False, "the playwright package is not installed (pip install -e '.[dev]')")
    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # the test's own queries (and the database flush between tests) as async-unsafe.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as p:
            chromium = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def site(browser, transactional_db, live_server):
    """The live server's address, with the demo data committed where its thread can read it."""
    # The live server outlives this test and built its middleware before conftest switched
    # HTTPS redirects off; rebuilt now, it serves the plain HTTP the browser speaks.
    handler = live_server.thread.httpd.get_app()
    while handler is not None:  # static files -> media files -> Django
        handler.load_middleware()
        handler = getattr(handler, "application", None)
    with open(os.devnull, "w") as devnull:
        call_command("demo", stdout=devnull)
    return live_server.url


class Shots:
    """Numbered screenshots of one run: `{sop}-{viewport}-{nn}-{step}.png`."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.folder = _screenshot_dir()
        self.count = 0
        for stale in self.folder.glob(f"{name}-*.png"):
            stale.unlink()

    def take(self, step: str) -> None:
        self.count += 1
        path = self.folder / f"{self.name}-{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)


def _log_in(page, username: str) -> None:
    """Fill the login form the page shows and wait to be sent on to where the user was going."""
    from playwright.sync_api import expect

    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    # wait_for_url listens for the navigation; expect() would poll and so add idle time.
    page.wait_for_url(lambda url: reverse("login") not in url)
    expect(page.locator(f"form[action='{reverse('logout')}'] button")).to_be_visible()


def _log_out(page) -> None:
    from playwright.sync_api import expect

    button = page.locator(f"form[action='{reverse('logout')}'] button")
    expect(button).to_have_text("Keluar")
    button.click()
    page.wait_for_url(lambda url: reverse("login") in url)


def _assert_fits_phone(page) -> None:
    from playwright.sync_api import expect

    approve = page.locator("#decide-form button[name=outcome]").first
    expect(approve).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = approve.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE_WIDTH


def _poster(folder: Path) -> Path:
    """A poster as a design tool exports it: a 1080 x 1080 PNG."""
    from PIL import Image

    path = folder / "poster.png"
    Image.new("RGB", (1080, 1080), (11, 94, 168)).save(path)
    return path


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("sop_id", list(SOPS))
def test_case_reaches_upload_after_one_send_back(browser, site, sop_id, viewport, tmp_path):
    from playwright.sync_api import expect

    from siaran.cases.definitions import definition
    from siaran.cases.models import Case

    prefix, first_lane, review, back_to = SOPS[sop_id]
    context = browser.new_context(**VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    page = context.new_page()
    shots = Shots(page, f"{sop_id}-{viewport}")
    try:
        # Like a person opening Siaran: the page asks for a login, then opens My tasks,
        # where the first lane's people find the button that starts a case.
        guide = viewport == "desktop" and sop_id == "rspon-medsos"  # the guides' pictures
        user = f"{prefix}-{first_lane}"
        page.goto(site + reverse("cases:inbox"))
        _log_in(page, user)
        expect(page).to_have_url(site + reverse("cases:inbox"))
        if guide:
            shot(page, "inbox")
        with page.expect_navigation(url=site + reverse("cases:new")):
            page.click(f"main a[href='{reverse('cases:new')}']")
        with page.expect_navigation():  # the form shows the chosen SOP's channels
            page.select_option("select[name=sop]", sop_id)
        page.fill("input[name=title]", f"Uji peramban {sop_id} ({viewport})")
        # The requester sends a poster with the request, and leaves out the channels that
        # take only a video (a review does not pass content a channel would refuse).
        for platform in ("youtube", "tiktok"):
            box = page.locator(f"input[name=channels][value={platform}]")
            if box.count():
                box.uncheck()
        page.set_input_files("#id_files", str(_poster(tmp_path)))
        if guide:
            shot(page, "new-case", "#new-case")
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/cases/\d+/$"))
        case_url = page.url
        case = Case.objects.get(pk=int(case_url.rstrip("/").rsplit("/", 1)[1]))
        sop = definition(case.sop_version)
        sent_back = False

        for _turn in range(30):
            case.refresh_from_db()
            step_id, lane_id = case.current_step, case.current_lane
            # The page names the lane that waits, in the SOP's own (Indonesian) words.
            lane_name = next(lane.name for lane in sop.lanes if lane.id == lane_id)
            expect(page.locator("#current-step")).to_contain_text(lane_name)

            waiting = f"{prefix}-{lane_id}"
            if waiting != user:
                expect(page.locator("#current-step")).to_contain_text(f"Menunggu {lane_name}.")
                _log_out(page)
                page.goto(case_url)
                _log_in(page, waiting)
                user = waiting
            expect(page).to_have_url(case_url)
            assert page.locator("html").get_attribute("lang") == "id"
            form = page.locator("#decide-form")
            expect(form.locator("input[name=seen]")).to_have_value(str(case.lock_version))
            if viewport == "phone":
                _assert_fits_phone(page)
            shots.take(step_id)
            if guide and step_id == back_to:  # the content step, after the send-back
                shot(page, "case-step")
                shot(page, "content-form", "#content")
                shot(page, "files", "#files")
            if guide and step_id == UPLOAD:
                shot(page, "publish-step", "#current-step")
            if step_id == UPLOAD:
                break

            if step_id == review and not sent_back:
                form.locator("textarea[name=note]").fill(REJECTION_NOTE)
                outcome = "tidak"
            else:
                outcome = "ya" if sop.step(step_id).kind == "review" else "done"
            with page.expect_navigation(url=case_url):
                form.locator(f"button[name=outcome][value='{outcome}']").click()
            expect(page.locator(".alert-success")).to_be_visible()
            if outcome == "tidak":
                sent_back = True
                expect(page.locator("#rework-count")).to_contain_text("1")
        else:
            pytest.fail(f"the case never reached {UPLOAD}")

        # The upload lane sees its publish button; the test stops short of pressing it.
        expect(page.locator("#decide-form button[name=outcome][value=publish]")).to_be_visible()
        expect(page.locator("#rework-count")).to_contain_text("1")
        timeline = page.locator("#timeline")
        expect(timeline).to_contain_text(REJECTION_NOTE)
        expect(timeline).to_contain_text("mengembalikan")
        target = sop.step(back_to)
        expect(timeline).to_contain_text(f"kembali ke langkah {target.no} {target.activity}")

        case.refresh_from_db()
        assert sent_back
        assert case.current_step == UPLOAD
        assert case.rework_count == 1
        assert case.events.filter(kind="sent_back").count() == 1
    finally:
        context.close()
