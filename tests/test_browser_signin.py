"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn domain)
stands in for a phone's or a laptop's. A person registers a passkey, signs in with it
alone, and is asked for it as a second factor after their password; on a 390 px phone."""

import os

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from siaran.audit.models import AuditEvent
from tests.screenshots import shot
from tests.test_browser import PASSWORD, PHONE_WIDTH, VIEWPORTS, Shots, browser  # noqa: F401


@pytest.fixture
def signin_site(browser, transactional_db, live_server, settings):  # noqa: F811 - a fixture
    """The live server with the demo's people, passkeys allowed on its plain-HTTP origin."""
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    handler = live_server.thread.httpd.get_app()
    while handler is not None:  # rebuilt after conftest switched HTTPS redirects off
        handler.load_middleware()
        handler = getattr(handler, "application", None)
    with open(os.devnull, "w") as devnull:
        call_command("demo", "--no-history", stdout=devnull)
    # A passkey's relying party is a domain name: an IP address is refused by browsers.
    return live_server.url.replace("127.0.0.1", "localhost")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select,'
            + ' main textarea')].filter(c => !(c.labels && c.labels.length)
            && !c.getAttribute('aria-label')).map(c => c.name)"""
    )
    assert unlabeled == []


def test_a_passkey_is_registered_and_signs_in(browser, signin_site):  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    shots = Shots(page, "signin-passkey")

    page.goto(f"{signin_site}/accounts/login/")
    _fits(page)
    shots.take("login")
    page.fill("input[name=login]", "rspon-direksi")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/tasks/")

    # Adding a passkey asks for the password once more.
    page.goto(f"{signin_site}/accounts/2fa/webauthn/add/?passwordless=1")
    assert "/accounts/reauthenticate/" in page.url
    _fits(page)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/2fa/webauthn/add/" in page.url
    _fits(page)
    shots.take("add-passkey")
    page.fill("input[name=name]", "Ponsel kantor")
    page.check("input[name=passwordless]")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    expect(page.locator("main")).to_contain_text("Kunci keamanan ditambahkan")  # and recovery codes
    shots.take("added")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]
    director = Authenticator.objects.get(type="webauthn")
    assert director.user.username == "rspon-direksi" and director.wrap().is_passwordless
    assert AuditEvent.objects.filter(kind="second_factor_added", data__type="webauthn").exists()

    # Out, and in again with the passkey alone.
    with page.expect_navigation():
        page.click("nav form[action='/accounts/logout/'] button")
    page.goto(f"{signin_site}/accounts/login/")
    with page.expect_navigation(url=lambda url: url.endswith("/tasks/")):
        page.click("#passkey_login")
    expect(page.locator("nav form[action='/accounts/logout/'] button")).to_be_visible()
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert event.username == "rspon-direksi" and event.data == {"methods": ["passkey"]}

    # With the password, the passkey is asked for as the second factor.
    with page.expect_navigation():
        page.click("nav form[action='/accounts/logout/'] button")
    page.goto(f"{signin_site}/accounts/login/")
    page.fill("input[name=login]", "rspon-direksi")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/accounts/2fa/authenticate/")
    _fits(page)
    shots.take("second-factor")
    with page.expect_navigation(url=lambda url: url.endswith("/tasks/")):
        page.click("#mfa_webauthn_authenticate")
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert event.data == {"methods": ["password", "webauthn"]}
    assert page.evaluate("window.innerWidth") == PHONE_WIDTH
    context.close()


def test_the_sign_in_pages_fit_a_phone_and_label_every_control(browser, signin_site):  # noqa: F811
    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    shots = Shots(page, "signin-pages")
    page.goto(f"{signin_site}/accounts/password/reset/")
    _fits(page)
    shots.take("reset")
    page.goto(f"{signin_site}/accounts/login/?next=/accounts/security/")
    page.fill("input[name=login]", "rspon-admin")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/accounts/security/")
    for path in (
        "/accounts/security/",
        "/accounts/password/change/",
        "/institution/sign-in/",
        "/accounts/2fa/totp/activate/",  # asks for the password again first
    ):
        page.goto(f"{signin_site}{path}")
        _fits(page)
        shots.take(path.strip("/").replace("/", "-"))
        if path == "/accounts/security/":  # the guides' pictures (tests/screenshots.py)
            shot(page, "account-security", "main")
        elif path == "/institution/sign-in/":
            shot(page, "admin-signin", "main section")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    _fits(page)
    shots.take("totp-activate")
    context.close()
