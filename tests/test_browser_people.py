"""On a 390 px phone: the first administrator accepts an invitation that came through a
real SMTP server, sets a password, and imports people from an XLSX file."""

import io
import re

import pytest

from siaran.orgs import actions
from siaran.orgs.models import Invitation
from tests.mailbox import smtp  # noqa: F401 (a fixture)
from tests.test_browser import (  # noqa: F401 (a fixture)
    PHONE_WIDTH,
    VIEWPORTS,
    _screenshot_dir,
    browser,
)


@pytest.fixture
def server(browser, transactional_db, live_server, settings):  # noqa: F811 (the fixture)
    handler = live_server.thread.httpd.get_app()
    while handler is not None:  # as tests/test_browser.py: plain HTTP for the browser
        handler.load_middleware()
        handler = getattr(handler, "application", None)
    settings.SIARAN_BASE_URL = live_server.url
    return live_server.url


def _people_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["E-mail", "Nama", "NIP", "Jabatan", "Unit", "Administrator", "rspon-medsos"])
    sheet.append(["sari@rspon.example", "Sari", "198501012010012003", "", "Humas", "", "tim-humas"])
    sheet.append(["tono@rspon.example", "Tono", "123", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_first_administrator_joins_and_imports_people(server, browser, smtp, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    organization = actions.organization_ensure(
        slug="rspon", name="RS Pusat Otak Nasional", sop_ids=("rspon-medsos",)
    )
    actions.invitation_send(organization=organization, email="kepala@rspon.example", is_admin=True)
    [mail] = smtp.take()
    [link] = re.findall(r"http://\S+/invitations/[\w-]+/", mail.body)[:1]

    context = browser.new_context(**VIEWPORTS["phone"], locale="id-ID")
    page = context.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("RS Pusat Otak Nasional")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#id_username")).to_have_value("kepala")
    page.screenshot(path=str(_screenshot_dir() / "people-phone-01-accept.png"), full_page=True)
    page.fill("#id_name", "Kepala Humas")
    page.fill("#id_password", "laut-biru-2026")
    page.fill("#id_password_again", "laut-biru-2026")
    page.click("#accept-form button[type=submit]")
    page.wait_for_url(lambda url: "/tasks/" in url)

    page.goto(server + "/institution/people/")
    page.screenshot(path=str(_screenshot_dir() / "people-phone-02-people.png"), full_page=True)
    path = tmp_path / "pegawai.xlsx"
    path.write_bytes(_people_xlsx())
    page.set_input_files("#id_import_file", str(path))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-saved li")).to_have_text(["Baris 2: sari@rspon.example"])
    expect(page.locator("#import-refused tbody tr")).to_have_count(1)
    expect(page.locator("#import-refused")).to_contain_text("18 digit")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(_screenshot_dir() / "people-phone-03-import.png"), full_page=True)
    box = page.locator("main a.btn").last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE_WIDTH
    [invited] = smtp.take()
    assert invited.to == ["sari@rspon.example"]
    assert Invitation.objects.get(email="sari@rspon.example").seats == [
        ["rspon-medsos", "tim-humas"]
    ]
    context.close()
