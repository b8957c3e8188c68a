"""Day one of a new institution, from a fresh install, in a real browser on a 390 px phone
(issue 13): the operator creates a third institution, uploads its SOP file (first with a
mistake, shown by its line, then fixed) and invites its administrator; the administrator
accepts the invitation that came through a real SMTP server, sets a password and an
authenticator app, imports people from an XLSX file with their lane seats, and connects
Instagram through its OAuth page on the sandbox; a case of the uploaded SOP then runs to
publication on Instagram there."""

import io
import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from siaran.cases import actions as case_actions
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Organization, OrgSop, Person
from siaran.publishing import runner
from siaran.publishing.models import ChannelAccount
from siaran.publishing.sandbox import InstagramSandbox
from tests.mailbox import smtp  # noqa: F401 (a fixture)
from tests.publishing import image, oauth_to_sandbox, publish, upload
from tests.sopfiles import NEWSROOM
from tests.test_browser import PASSWORD, Shots, _log_in, browser  # noqa: F401
from tests.test_browser_operator import _fits, _phone, _upload, fresh  # noqa: F401

# The newsroom SOP, publishing to Instagram too.
DAY_ONE = NEWSROOM.replace(
    '      - {platform: facebook, handle: "Balai Uji"}\n',
    '      - {platform: facebook, handle: "Balai Uji"}\n'
    '      - {platform: instagram, handle: "balaiuji"}\n',
)
MISTAKE = DAY_ONE.replace("lane: kepala", "lane: kepala-balai")
NEW_PASSWORD = "Laut-biru-pagi-2026"


def _people_xlsx() -> bytes:
    """The people template as an administrator fills it: a row per person, their lanes
    in the SOP's column."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["E-mail", "Nama", "NIP", "Jabatan", "Unit", "Administrator", "warta-uji"])
    sheet.append(["hana@balai.example", "Hana Humas", "", "Staf Humas", "Humas", "tidak", "humas"])
    sheet.append(["kusuma@balai.example", "Kusuma", "197001011995031001", "", "", "", "kepala"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _link(mail) -> str:
    return re.findall(r"https?://\S+/invitations/[\w-]+/", mail.body)[0]


def _totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_new_institution_on_day_one(browser, fresh, smtp, settings, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    settings.SIARAN_BASE_URL = fresh  # mails' links, and where Instagram fetches the media
    instagram = InstagramSandbox().start()
    oauth_to_sandbox(settings, "instagram", instagram)
    try:
        _the_operator_sets_it_up(browser, fresh, smtp, expect)
        _the_administrator_takes_over(browser, fresh, smtp, tmp_path, instagram, expect)
        _a_case_is_published_there(smtp, instagram)
    finally:
        instagram.stop()


def _the_operator_sets_it_up(browser, site, smtp, expect):  # noqa: F811
    context, page = _phone(browser)
    shots = Shots(page, "day-one-operator")
    try:
        page.goto(f"{site}/accounts/login/?next=/operator/")
        _log_in(page, "operator")
        with page.expect_navigation():
            page.click("a[href='/operator/new/']")
        page.get_by_label("Alamat singkat").fill("balai-uji")
        page.get_by_label("Nama", exact=True).fill("Balai Uji Siaran")
        page.get_by_label("Zona waktu").select_option("Asia/Makassar")
        page.get_by_label("Unit, satu per baris").fill("Humas\nTata Usaha")
        with page.expect_navigation():
            page.click("#institution-form button[type=submit]")

        _upload(page, MISTAKE)
        line = MISTAKE.splitlines().index("    lane: kepala-balai") + 1
        row = page.locator("#sop-problems tr", has_text="steps[1].lane")
        expect(row.locator("td").nth(1)).to_have_text(str(line))
        assert not OrgSop.objects.filter(organization__slug="balai-uji").exists()
        _upload(page, DAY_ONE)
        expect(page.locator("#sops")).to_contain_text("Publikasi Warta Instansi Uji")

        page.fill("#id_admin_email", "kepala.humas@balai.example")
        page.fill("#id_admin_name", "Kepala Humas")
        with page.expect_navigation():
            page.click("#invite-admin button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("kepala.humas@balai.example")
        expect(page.locator("#first-administrator")).to_contain_text("kepala.humas@balai.example")
        _fits(page)
        shots.take("invited")
    finally:
        context.close()


def _the_administrator_takes_over(browser, site, smtp, tmp_path, instagram, expect):  # noqa: F811
    [mail] = smtp.take()
    assert mail.to == ["kepala.humas@balai.example"]
    context, page = _phone(browser)
    shots = Shots(page, "day-one-admin")
    try:
        # The invitation: a username, a password, and in.
        page.goto(_link(mail))
        expect(page.locator("h1")).to_have_text("Balai Uji Siaran")
        page.fill("#id_username", "kepala-humas")
        page.fill("#id_password", NEW_PASSWORD)
        page.fill("#id_password_again", NEW_PASSWORD)
        page.click("#accept-form button[type=submit]")
        page.wait_for_url(lambda url: "/tasks/" in url)

        # An authenticator app, as the phone's app would show its code.
        page.goto(f"{site}/accounts/2fa/totp/activate/")
        if "/reauthenticate/" in page.url:  # adding a factor asks for the password again
            page.fill("input[name=password]", NEW_PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url(lambda url: "/2fa/totp/activate/" in url)
        secret = page.input_value("#authenticator_secret")
        page.fill("input[name=code]", _totp_now(secret))
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/2fa/totp/activate/" not in url)
        admin = Person.objects.get(user__username="kepala-humas")
        assert admin.is_admin and Authenticator.objects.filter(user=admin.user).exists()

        # The people, with their lanes, from the template filled in a spreadsheet.
        page.goto(f"{site}/institution/people/")
        sheet = tmp_path / "pegawai.xlsx"
        sheet.write_bytes(_people_xlsx())
        page.set_input_files("#id_import_file", str(sheet))
        page.click("#import-form button[type=submit]")
        expect(page.locator("#import-saved li")).to_have_count(2)
        _fits(page)
        shots.take("imported")

        # Instagram, through its own authorization page.
        page.goto(f"{site}/institution/channels/")
        page.locator("#channel-instagram a").click()
        page.locator("#oauth button[type=submit]").click()
        page.wait_for_url(lambda url: url.startswith(instagram.url))
        _fits(page)
        page.get_by_role("button", name="Izinkan").click()
        page.wait_for_url(f"{site}/institution/channels/")
        expect(page.locator("#channel-instagram")).to_contain_text("@sandbox_account")
        _fits(page)
        shots.take("connected")
    finally:
        context.close()
    account = ChannelAccount.objects.get(organization__slug="balai-uji", channel="instagram")
    assert account.connected_via == "oauth"


def _a_case_is_published_there(smtp, instagram):  # noqa: F811
    """The two people accept their invitations; a case of the uploaded SOP runs from the
    draft to the post on Instagram."""
    mails = {mail.to[0]: mail for mail in smtp.take()}
    assert set(mails) == {"hana@balai.example", "kusuma@balai.example"}
    people = {}
    for address, username in (("hana@balai.example", "hana"), ("kusuma@balai.example", "kusuma")):
        token = _link(mails[address]).rstrip("/").rsplit("/", 1)[1]
        people[username] = org_actions.invitation_accept(
            token=token,
            username=username,
            name=username.title(),
            password=NEW_PASSWORD,
            password_again=NEW_PASSWORD,
        )
    balai = Organization.objects.get(slug="balai-uji")
    hana, kusuma = people["hana"], people["kusuma"]
    assert hana.organization_id == kusuma.organization_id == balai.pk
    hana.organization.refresh_from_db()
    case = case_actions.case_start(
        person=hana,
        sop_id="warta-uji",
        title="Warta pertama Balai Uji",
        channels=["instagram"],
        captions={"instagram": "Balai Uji Siaran resmi memakai Siaran."},
        uploads=[upload(image(1080, 1080), "poster.jpg")],
    )
    case_actions.case_decide(person=hana, case_id=case.pk, outcome="done")
    case_actions.case_decide(person=kusuma, case_id=case.pk, outcome="ya")
    jobs = publish(case, hana, ["instagram"])
    assert runner.run(jobs["instagram"].pk) == "succeeded"
    case.refresh_from_db()
    assert case.status == "published"
    assert len(instagram.media) == 1  # the post, on the platform


pytestmark = pytest.mark.django_db(transaction=True)
