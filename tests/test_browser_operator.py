"""The operator of a fresh install, in a real browser on a phone-sized screen: creates a
third institution, uploads its SOP file (first with a mistake, shown by its line, then
fixed), and a case of that SOP runs to publication there. Then a new version of the SOP
is uploaded while a case runs: the running case finishes on its version, a new case
starts on the new one."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from siaran.cases import actions as case_actions
from siaran.cases.models import Case
from siaran.core import sops
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Organization, OrgSop
from tests.publishing import finish_by_hand
from tests.sopfiles import NEWSROOM, NEWSROOM_V2
from tests.test_browser import PASSWORD, VIEWPORTS, Shots, _log_in, browser  # noqa: F401

MISTAKE = NEWSROOM.replace("lane: kepala", "lane: kepala-balai")


@pytest.fixture
def fresh(browser, transactional_db, live_server):  # noqa: F811 - the browser fixture
    """A fresh install (the demo's two institutions) and its operator, made as
    `siaran createsuperuser` makes one; the live server's address."""
    handler = live_server.thread.httpd.get_app()
    while handler is not None:  # as tests/test_browser.py's `site`: plain HTTP
        handler.load_middleware()
        handler = getattr(handler, "application", None)
    with open(os.devnull, "w") as devnull:
        call_command("demo", "--no-history", stdout=devnull)
    get_user_model().objects.create_superuser("operator", "operator@example.org", PASSWORD)
    sops._installed.clear()  # institution ids are used again after a flush
    return live_server.url


def _phone(browser):  # noqa: F811
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _upload(page, text: str, name: str = "warta.yaml") -> None:
    file = {"name": name, "mimeType": "application/yaml", "buffer": text.encode()}
    page.set_input_files("#id_sop_file", files=[file])
    with page.expect_navigation():
        page.click("#upload-sop button[type=submit]")


def _staff(organization):
    """The people the new institution's administrator would invite, in their lanes."""
    people = {}
    for lane in ("humas", "kepala"):
        person = org_actions.person_ensure(
            organization=organization, username=f"balai-{lane}", name=lane.title(), password="x"
        )
        org_actions.lane_assign(person=person, sop_id="warta-uji", lane_id=lane)
        people[lane] = person
    return people


def _to_publication(case, people) -> Case:
    """Walk a case of the newsroom SOP to the end, the publication posted by hand."""
    for _turn in range(10):
        case = Case.objects.get(pk=case.pk)
        if case.status == "publishing":
            case = finish_by_hand(case, people["humas"])
        if case.status != "active":
            return case
        step = case_actions._load_case(people[case.current_lane], case.pk)[2].step(
            case.current_step
        )
        outcome = step.exits()[0].id
        case_actions.case_decide(person=people[case.current_lane], case_id=case.pk, outcome=outcome)
    pytest.fail("the case never ended")


def test_the_operator_sets_up_a_third_institution_whose_case_is_published(browser, fresh):  # noqa: F811
    from playwright.sync_api import expect

    context, page = _phone(browser)
    shots = Shots(page, "operator-phone")
    try:
        page.goto(f"{fresh}/accounts/login/?next=/operator/")
        _log_in(page, "operator")
        expect(page.locator("#institutions")).to_contain_text("Rumah Sakit Pusat Otak Nasional")
        with page.expect_navigation():
            page.click("a[href='/operator/new/']")
        # Every control is found by its label.
        page.get_by_label("Alamat singkat").fill("balai-uji")
        page.get_by_label("Nama", exact=True).fill("Balai Uji Siaran")
        page.get_by_label("Nama singkat").fill("BUS")
        page.get_by_label("Kementerian atau direktorat").fill("Kementerian Uji")
        page.get_by_label("Zona waktu").select_option("Asia/Makassar")
        page.get_by_label("Unit, satu per baris").fill("Humas\nTata Usaha")
        _fits(page)
        shots.take("new")
        with page.expect_navigation():
            page.click("#institution-form button[type=submit]")
        expect(page.locator("#institution")).to_contain_text("Asia/Makassar")

        _upload(page, MISTAKE)
        problems = page.locator("#sop-problems")
        expect(problems).to_contain_text("warta.yaml")
        row = problems.locator("tr", has_text="steps[1].lane")
        expect(row.locator("td").nth(1)).to_have_text("26")
        expect(row).to_contain_text("'kepala-balai' bukan lajur pada SOP ini")
        _fits(page)
        shots.take("mistake")
        balai = Organization.objects.get(slug="balai-uji")
        assert not OrgSop.objects.filter(organization=balai).exists()

        _upload(page, NEWSROOM)
        expect(page.locator(".alert-success")).to_be_visible()
        expect(page.locator("#sops")).to_contain_text("Publikasi Warta Instansi Uji")
        expect(page.locator("#first-administrator")).to_be_attached()
        _fits(page)
        shots.take("installed")
    finally:
        context.close()

    balai.refresh_from_db()
    assert (balai.time_zone, balai.units.count(), balai.holidays.exists()) == (
        "Asia/Makassar",
        2,
        True,
    )
    people = _staff(balai)
    case = case_actions.case_start(person=people["humas"], sop_id="warta-uji", title="Warta")
    case = _to_publication(case, people)
    assert case.status == "published"
    assert case.organization_id == balai.pk


def test_a_new_version_uploaded_while_a_case_runs(browser, fresh):  # noqa: F811
    from playwright.sync_api import expect

    operator = get_user_model().objects.get(username="operator")
    balai = org_actions.organization_create(operator=operator, slug="balai-uji", name="Balai Uji")
    org_actions.sop_install(operator=operator, organization=balai, text=NEWSROOM, file_name="v1")
    people = _staff(balai)
    people["humas"].organization.refresh_from_db()
    running = case_actions.case_start(person=people["humas"], sop_id="warta-uji", title="Satu")
    case_actions.case_decide(person=people["humas"], case_id=running.pk, outcome="done")

    context, page = _phone(browser)
    shots = Shots(page, "operator-version-phone")
    try:
        page.goto(f"{fresh}/accounts/login/?next=/operator/balai-uji/")
        _log_in(page, "operator")
        _upload(page, NEWSROOM_V2, "warta-v2.yaml")
        expect(page.locator(".alert-success")).to_be_visible()
        with page.expect_navigation():
            page.click("#sops a[href$='/sops/warta-uji/']")
        # Version 2 runs now, version 1 still has its running case; and what changed.
        expect(page.locator("#version-2")).to_contain_text("berlaku sekarang")
        expect(page.locator("#version-2")).to_contain_text("warta-v2.yaml")
        expect(page.locator("#version-1 td").nth(2)).to_have_text("1")
        expect(page.locator("#changes-steps")).to_contain_text("Memeriksa ejaan")
        expect(page.locator("#changes-times")).to_contain_text("2 hari")
        expect(page.locator("#changes-outcomes")).to_contain_text("proofread")
        _fits(page)
        shots.take("versions")
        with page.expect_navigation():
            page.click("#version-1 a:text('Halaman')")
        expect(page.locator("main")).to_contain_text("Menyusun naskah warta")
        expect(page.locator("main")).not_to_contain_text("Memeriksa ejaan")
    finally:
        context.close()

    # The running case finishes on version 1: no proofreading after the approval.
    case = case_actions.case_decide(person=people["kepala"], case_id=running.pk, outcome="ya")
    assert case.current_step == "publish"
    case = _to_publication(case, people)
    assert (case.status, case.sop_version_id) == ("published", running.sop_version_id)
    # A new case starts on version 2, and is proofread after its approval.
    people["humas"].organization.refresh_from_db()
    new = case_actions.case_start(person=people["humas"], sop_id="warta-uji", title="Dua")
    assert new.sop_version_id != running.sop_version_id
    case_actions.case_decide(person=people["humas"], case_id=new.pk, outcome="done")
    case = case_actions.case_decide(person=people["kepala"], case_id=new.pk, outcome="ya")
    assert case.current_step == "proofread"
