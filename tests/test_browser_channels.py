"""An administrator connects Instagram through its OAuth page, on a 390 px phone.

The channels page, the platform's authorization page (Instagram's sandbox, over real
HTTP) with its choice of Page and its "Izinkan", and back to Siaran's callback: the
channel is connected with the Page's token, and no page scrolls sideways.
"""

from siaran.publishing.models import ChannelAccount
from siaran.publishing.sandbox import InstagramSandbox
from tests.publishing import oauth_to_sandbox
from tests.test_browser import PHONE_WIDTH, VIEWPORTS, _log_in, browser, site  # noqa: F401


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_connects_instagram_through_oauth_on_a_phone(site, browser, settings):  # noqa: F811
    from playwright.sync_api import expect

    sandbox = InstagramSandbox().start()
    oauth_to_sandbox(settings, "instagram", sandbox)
    ChannelAccount.objects.filter(organization__slug="poltekkes-jkt2", channel="instagram").delete()
    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    try:
        page.goto(f"{site}/institution/channels/")
        _log_in(page, "poltekkes-jkt2-admin")
        page.locator("#channel-instagram a").click()
        _fits(page)
        connect = page.locator("#oauth button[type=submit]")
        expect(connect).to_have_text("Hubungkan Instagram")
        box = connect.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
        connect.click()
        page.wait_for_url(lambda url: url.startswith(sandbox.url))
        _fits(page)
        # Facebook's dialog: which Page (and its Instagram account) Siaran may use.
        expect(page.get_by_label("Sandbox Page (Instagram @sandbox_account)")).to_be_checked()
        page.get_by_role("button", name="Izinkan").click()
        page.wait_for_url(f"{site}/institution/channels/")
        expect(page.locator(".alert-success")).to_contain_text("Instagram @sandbox_account")
        expect(page.locator("#channel-instagram")).to_contain_text("@sandbox_account")
        _fits(page)
        account = ChannelAccount.objects.get(
            organization__slug="poltekkes-jkt2", channel="instagram"
        )
        assert account.connected_via == "oauth" and account.account_id == "17841400000000001"
        assert account.credentials["access_token"] in sandbox.tokens
    finally:
        context.close()
        sandbox.stop()
