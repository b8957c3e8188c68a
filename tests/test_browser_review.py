"""The review loop on a 390 px phone, as the people of each lane live it.

The director follows the "your turn" mail (from a real SMTP server) to the case, sees the
poster and the caption as Instagram shows it above Ya/Tidak, and sends it back with a
note. The PR team sees the reason at the top of its step and replaces the poster. The
director sees the old and the new poster side by side and approves; once published, the
requester's mail says so, with the posts' links.
"""

import io
import re

import pytest
from PIL import Image, ImageDraw

from tests.mailbox import run_worker, smtp  # noqa: F401 - a fixture
from tests.publishing import finish_by_hand, upload
from tests.screenshots import shot
from tests.test_browser import VIEWPORTS, Shots, _log_in, _log_out, browser, site  # noqa: F401

NOTE = "Logo Kemenkes belum ada; mohon tambahkan di pojok kanan atas."
CHANNELS = ["instagram", "facebook", "x"]


def poster(colour: tuple[int, int, int], text: str) -> bytes:
    """A 1080 x 1080 PNG, as a design tool exports a poster."""
    picture = Image.new("RGBA", (1080, 1080), (*colour, 255))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((60, 60, 1020, 1020), outline=(255, 255, 255, 255), width=14)
    draw.text((120, 500), text, fill=(255, 255, 255, 255), font_size=60)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def mails_to(inbox, username: str) -> list:
    run_worker()  # the mail task, as `siaran db_worker` runs it
    return [m for m in inbox.take() if f"{username}@demo.siaran.id" in m.to]


def above(page, first: str, then: str) -> bool:
    """Does `first` end above where `then` begins, on the page as laid out?"""
    a, b = page.locator(first).first.bounding_box(), page.locator(then).first.bounding_box()
    return a is not None and b is not None and a["y"] + a["height"] <= b["y"]


@pytest.fixture
def mailed(site, smtp, settings):  # noqa: F811 - fixtures
    settings.SIARAN_BASE_URL = site  # the mails' links lead to the live server
    return smtp


def test_the_review_loop_on_a_phone(browser, site, mailed, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from siaran.cases import actions
    from siaran.cases.models import Case
    from siaran.orgs.models import Person

    people = {p.user.username: p for p in Person.objects.select_related("user")}

    def act(username: str, case: Case, outcome: str = "done", **kwargs) -> Case:
        return actions.case_decide(
            person=people[username], case_id=case.pk, outcome=outcome, **kwargs
        )

    # The unit asks; IPKP makes the poster and the captions; the case walks to the directors.
    case = actions.case_start(
        person=people["rspon-unit-kerja"],
        sop_id="rspon-medsos",
        title="Pekan Sadar Stroke 2026",
        description="Promosi pemeriksaan gratis faktor risiko stroke.",
        channels=CHANNELS,
    )
    case = act("rspon-unit-kerja", case)
    first = poster((11, 94, 168), "Pekan Sadar Stroke")
    actions.attachment_add(
        person=people["rspon-ipkp"],
        case_id=case.pk,
        upload=upload(first, "poster.png", "image/png"),
    )
    caption = (
        "Pekan Sadar Stroke 2026: periksa tekanan darah, gula darah dan kolesterol Anda "
        "gratis di lobi RSPON, 1-5 Desember, pukul 08.00-12.00. Kenali gejalanya: SeGeRa ke RS!"
    )
    actions.content_save(
        person=people["rspon-ipkp"],
        case_id=case.pk,
        title="Pekan Sadar Stroke 2026",
        narrative="Pemeriksaan gratis faktor risiko stroke di RSPON.",
        captions=dict.fromkeys(CHANNELS, caption),
        hashtags="#PekanSadarStroke #RSPON",
    )
    for username in ("rspon-ipkp", "rspon-subkoor-humas", "rspon-tim-humas"):
        case = act(username, case)
    case = act("rspon-subkoor-humas", case)
    mailed.take()  # the turns so far
    case = act("rspon-koordinator-umum", case)
    assert case.current_step == "director-review"

    # The director's mail: their turn, with the link to the case.
    [turn] = mails_to(mailed, "rspon-direksi")
    assert "Giliran Anda" in turn.subject and "Pekan Sadar Stroke 2026" in turn.subject
    [link] = re.findall(rf"{re.escape(site)}/cases/\d+/", turn.body)

    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    shots = Shots(page, "review-loop-phone")
    try:
        page.goto(link)
        shot(page, "login-phone")
        _log_in(page, "rspon-direksi")
        expect(page).to_have_url(link)
        preview = page.locator("#content-preview img.preview-image").first
        expect(preview).to_be_visible()
        assert page.evaluate("el => el.naturalWidth > 0", preview.element_handle())
        expect(page.locator("#preview-instagram")).to_contain_text("Pekan Sadar Stroke 2026")
        expect(page.locator("#preview-instagram")).to_contain_text("selengkapnya")
        no = page.locator("#decide-form button[value=tidak]")
        assert above(page, "#content-preview img.preview-image", "#decide-form button[value=ya]")
        assert above(page, "#preview-instagram", "#decide-form button[value=ya]")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shots.take("director-sees-the-poster")
        shot(page, "review-phone")
        no.click()  # no note: the browser asks for one, nothing is sent
        assert page.url == link and Case.objects.get(pk=case.pk).current_step == ("director-review")
        page.fill("#decide-form textarea[name=note]", NOTE)
        with page.expect_navigation(url=link):
            no.click()
        expect(page.locator(".alert-success")).to_be_visible()

        # The PR team's mail says the case came back, and why; the page says it on top.
        [back] = mails_to(mailed, "rspon-tim-humas")
        assert "Dikembalikan" in back.subject and NOTE in back.body
        _log_out(page)
        page.goto(link)
        _log_in(page, "rspon-tim-humas")
        reason = page.locator("#sent-back-reason")
        expect(reason).to_contain_text(NOTE)
        assert above(page, "#sent-back-reason", "#decide-form")
        shots.take("editor-sees-the-reason")
        shot(page, "sent-back-phone")
        replacement = tmp_path / "poster-dengan-logo.png"
        replacement.write_bytes(poster((168, 40, 11), "Dengan logo Kemenkes"))
        item = page.locator("#version-media li").first
        item.locator("input[type=file]").set_input_files(str(replacement))
        with page.expect_navigation():
            item.locator("button", has_text="Ganti").click()
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("#version-media")).to_contain_text("poster-dengan-logo.png")
        expect(page.locator("#version-media")).not_to_contain_text("poster.png")
        with page.expect_navigation(url=link):
            page.locator("#decide-form button[value=done]").click()
        case = act("rspon-subkoor-humas", Case.objects.get(pk=case.pk))
        case = act("rspon-koordinator-umum", case)

        # The director sees what changed: the old and the new poster side by side.
        _log_out(page)
        page.goto(link)
        _log_in(page, "rspon-direksi")
        sides = page.locator("#media-side-by-side")
        expect(sides).to_be_visible()
        expect(sides.locator("img.preview-image")).to_have_count(2)
        expect(sides).to_contain_text("poster.png")
        expect(sides).to_contain_text("poster-dengan-logo.png")
        assert above(page, "#media-side-by-side", "#decide-form button[value=ya]")
        shots.take("director-sees-old-and-new")
        shot(page, "what-changed-phone", "#changes")
        with page.expect_navigation(url=link):
            page.locator("#decide-form button[value=ya]").click()
        expect(page.locator("#case-status")).to_be_visible()

        # Approved: the requester hears it; published, they get the posts' links.
        assert any("Disetujui" in m.subject for m in mails_to(mailed, "rspon-unit-kerja"))
        case = act("rspon-tim-humas", Case.objects.get(pk=case.pk), "publish", channels=CHANNELS)
        case = finish_by_hand(case, people["rspon-tim-humas"])
        assert case.status == "published"
        [published] = mails_to(mailed, "rspon-unit-kerja")
        assert "Terpublikasi" in published.subject
        for channel in CHANNELS:
            assert f"https://example.org/{channel}/1" in published.body
        assert link in published.body

        # The mail's link shows the requester each channel's post; the bell has it too.
        _log_out(page)
        page.goto(link)
        _log_in(page, "rspon-unit-kerja")
        publications = page.locator("#publications")
        for channel in CHANNELS:
            expect(
                publications.locator(f"a[href='https://example.org/{channel}/1']")
            ).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "publications-phone", "#publications")
        with page.expect_navigation():
            page.click("#bell")
        expect(page.locator("#notifications")).to_contain_text("Pekan Sadar Stroke 2026")
        shot(page, "notifications-phone")
    finally:
        context.close()
