"""Sign-in with django-allauth: passwords (change, reset by mail), lockout, TOTP, recovery
codes and the institution's rule for a second factor, through Django's test client."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axes.models import AccessAttempt
from django.utils import timezone

from siaran.audit.models import AuditEvent
from siaran.orgs import actions as org_actions
from tests.mailbox import smtp  # noqa: F401 - a fixture
from tests.test_pages import PASSWORD, login

NEW_PASSWORD = "Pengganti-sandi-2027"


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now for `secret` (allauth's own HOTP helpers)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_login_by_username_or_email_and_logout(client, demo):
    response = client.get("/accounts/login/")
    page = response.content.decode()
    assert 'for="id_login"' in page and 'for="id_password"' in page  # labels, not placeholders
    assert "/accounts/password/reset/" in page
    login(client, "rspon-direksi")
    assert client.get("/tasks/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/tasks/").status_code == 302
    response = client.post(
        "/accounts/login/", {"login": "rspon-direksi@demo.siaran.id", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert event.actor == demo["rspon-direksi"] and event.data == {"methods": ["password"]}


def test_nobody_signs_up(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "x",
            "email": "x@example.id",
            "password1": "Ab-12345678",
            "password2": "Ab-12345678",
        },
    )
    assert "pendaftaran saat ini ditutup" in response.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="x").exists()


def test_a_person_changes_their_password(client, demo):
    login(client, "rspon-tim-humas")
    wrong = client.post(
        "/accounts/password/change/",
        {"oldpassword": "salah", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "is-invalid" in wrong.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    client.post("/accounts/logout/")
    old = client.post("/accounts/login/", {"login": "rspon-tim-humas", "password": PASSWORD})
    assert old.status_code == 200  # refused, the form again
    new = client.post("/accounts/login/", {"login": "rspon-tim-humas", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert AuditEvent.objects.filter(
        kind="password_changed", actor=demo["rspon-tim-humas"]
    ).exists()


def test_a_password_is_reset_by_mail(client, demo, smtp):  # noqa: F811 - a fixture
    response = client.post("/accounts/password/reset/", {"email": "rspon-direksi@demo.siaran.id"})
    assert response.status_code == 302
    (mail,) = smtp.take()
    assert mail.to == ["rspon-direksi@demo.siaran.id"]
    link = re.search(r"http://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="password1"' in form.content.decode()
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert 'name="password1"' not in again
    old = client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert old.status_code == 200
    new = client.post("/accounts/login/", {"login": "rspon-direksi", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert AuditEvent.objects.filter(kind="password_reset", actor=demo["rspon-direksi"]).exists()


def test_an_unknown_address_gets_no_mail(client, demo, smtp):  # noqa: F811 - a fixture
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.id"})
    assert response.status_code in (200, 302)
    assert smtp.take() == []


def test_the_lockout_page_says_when_it_ends(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"login": "rspon-direksi", "password": "salah"})
    locked = client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert locked.status_code == 429
    last = AccessAttempt.objects.get(username="rspon-direksi").attempt_time
    ends = timezone.localtime(last, timezone.get_current_timezone()) + timezone.timedelta(
        hours=settings.AXES_COOLOFF_TIME
    )
    page = locked.content.decode()
    assert f"pukul {ends:%H:%M}" in page and "Asia/Jakarta" in page
    # Typing the address counts against the same person: still locked.
    by_mail = client.post(
        "/accounts/login/", {"login": "rspon-direksi@demo.siaran.id", "password": PASSWORD}
    )
    assert by_mail.status_code == 429


def _activate_totp(client, on_commit) -> str:
    """Set up an authenticator app, as a person does: the password once more (a second
    factor is added only just after the password was typed), then a code from the app."""
    first = client.get("/accounts/2fa/totp/activate/")
    assert first.status_code == 302 and "/accounts/reauthenticate/" in first["Location"]
    again = client.post(first["Location"], {"password": PASSWORD})
    assert again.status_code == 302 and again["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for typing into the app by hand
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    with on_commit(execute=True):  # allauth tells of the new authenticator on commit
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert response.status_code == 302
    return secret


def test_totp_enrolment_and_sign_in_with_a_code_or_a_recovery_code(
    client, demo, django_capture_on_commit_callbacks
):
    person = demo["rspon-direksi"]
    login(client, "rspon-direksi")
    secret = _activate_totp(client, django_capture_on_commit_callbacks)
    assert Authenticator.objects.filter(user=person.user, type="totp").exists()
    added = AuditEvent.objects.filter(kind="second_factor_added", actor=person)
    # The recovery codes come with the first authenticator.
    assert sorted(added.values_list("data__type", flat=True)) == ["recovery_codes", "totp"]
    client.post("/accounts/logout/")

    # The password alone no longer signs in: the code is asked for.
    response = client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/tasks/").status_code == 302
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(kind="second_factor_failed", actor=person).exists()
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)})
    assert response.status_code == 302
    assert client.get("/tasks/").status_code == 200
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert event.data == {"methods": ["password", "totp"]}
    client.post("/accounts/logout/")

    # A recovery code (made with the first authenticator) works once.
    codes = Authenticator.objects.get(user=person.user, type="recovery_codes")
    code = codes.wrap().get_unused_codes()[0]
    client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert event.data == {"methods": ["password", "recovery_codes"]}
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200


def test_the_institution_requires_a_second_factor(client, demo, django_capture_on_commit_callbacks):
    admin = demo["rspon-admin"]
    login(client, "rspon-tim-humas")
    assert client.get("/institution/sign-in/").status_code == 403  # administrators only
    client.post("/accounts/logout/")

    login(client, "rspon-admin")
    page = client.get("/institution/sign-in/").content.decode()
    assert 'for="rule-review"' in page and 'for="oidc-issuer"' in page
    bad = client.post(
        "/institution/sign-in/", {"form": "second_factor", "rule": "semua"}, follow=True
    )
    assert "Pilih siapa" in bad.content.decode()
    admin.organization.refresh_from_db()
    assert admin.organization.second_factor == "nobody"
    client.post("/institution/sign-in/", {"form": "second_factor", "rule": "review"})
    admin.organization.refresh_from_db()
    assert admin.organization.second_factor == "review"
    assert AuditEvent.objects.filter(kind="second_factor_rule_set", actor=admin).exists()
    client.post("/accounts/logout/")

    # The director's lane owns a review step: sent to set up a second factor first.
    login(client, "rspon-direksi")
    response = client.get("/tasks/")
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    page = client.get("/accounts/security/").content.decode()
    assert "Instansi Anda mewajibkan Anda masuk dengan faktor kedua" in page
    assert "/accounts/2fa/totp/activate/" in page and "/accounts/2fa/webauthn/add/" in page
    _activate_totp(client, django_capture_on_commit_callbacks)
    assert client.get("/tasks/").status_code == 200
    client.post("/accounts/logout/")

    # The requesting unit reviews nothing: not asked under "review", asked under "everyone".
    login(client, "rspon-unit-kerja")
    assert client.get("/tasks/").status_code == 200
    org_actions.second_factor_set(admin=admin, rule="everyone")
    assert client.get("/tasks/")["Location"] == "/accounts/security/"
    # Another institution's people are not concerned.
    client.post("/accounts/logout/")
    login(client, "poltekkes-jkt2-verifikator")
    assert client.get("/tasks/").status_code == 200


def test_setting_the_rule_is_for_administrators(demo):
    with pytest.raises(org_actions.OrgError):
        org_actions.second_factor_set(admin=demo["rspon-direksi"], rule="everyone")


def test_addresses_are_kept_on_the_settings_page_only(client, demo):
    login(client, "rspon-direksi")
    response = client.get("/accounts/email/")
    assert response.status_code == 302 and response["Location"] == "/settings/"


def test_an_api_token_asks_for_the_second_factor_the_pages_ask_for(
    client, demo, django_capture_on_commit_callbacks
):
    """A password alone opens no API for whoever signs in with a second factor, nor for
    whoever their institution requires to have one (issue 13, found on merging)."""
    from siaran.orgs import actions as org_actions

    def ask(username, code=""):
        body = {"username": username, "password": PASSWORD, "code": code}
        return client.post("/api/v1/auth/token", body, content_type="application/json")

    login(client, "rspon-direksi")
    secret = _activate_totp(client, django_capture_on_commit_callbacks)
    client.post("/accounts/logout/")
    assert ask("rspon-direksi").json()["code"] == "second_factor_required"
    assert ask("rspon-direksi", "000000").json()["code"] == "second_factor_wrong"
    assert ask("rspon-direksi", totp_now(secret)).status_code == 200
    # The institution requires a second factor of its review lanes: none set up, no token.
    org_actions.second_factor_set(admin=demo["poltekkes-jkt2-admin"], rule="review")
    assert ask("poltekkes-jkt2-verifikator").json()["code"] == "second_factor_setup"
    assert ask("poltekkes-jkt2-anggota").status_code == 200  # no review lane: a password


def test_a_reset_asked_while_the_mail_server_is_down_is_no_server_error(client, demo, settings):
    """allauth sends the reset mail inside the request: a mail server that does not
    answer is logged, and the person sees the page they always see."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    response = client.post("/accounts/password/reset/", {"email": "rspon-direksi@demo.siaran.id"})
    assert response.status_code == 302


def test_a_stand_in_for_a_reviewer_needs_the_second_factor_too(demo):
    """The rule of the review lanes covers whoever decides there today: a Plh. standing in
    for the directors as much as the directors (found documenting the sign-in)."""
    import datetime as dt

    from django.utils import timezone

    from siaran.orgs import actions as org_actions
    from siaran.orgs.selectors import needs_second_factor

    org_actions.second_factor_set(admin=demo["rspon-admin"], rule="review")
    humas, director = demo["rspon-tim-humas"], demo["rspon-direksi"]
    for person in (humas, director):
        person.organization.refresh_from_db()
    assert needs_second_factor(director) and not needs_second_factor(humas)
    today = timezone.localdate()
    org_actions.acting_add(
        person=humas, for_person=director, starts=today, ends=today + dt.timedelta(days=3)
    )
    assert needs_second_factor(humas)
