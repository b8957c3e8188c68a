"""Sign-in through an institution's own OpenID Connect provider: a real provider process
on 127.0.0.1 (tests/oidc_provider.py, built from Authlib), configured by the institution's
administrator; it signs in that institution's people only, matched by a verified e-mail."""

from urllib.parse import urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from joserfc import jwt
from joserfc.jwk import KeySet

from siaran.audit.models import AuditEvent
from tests.oidc_provider import Provider, start
from tests.test_pages import login

CALLBACK = "http://testserver/accounts/oidc/rspon/login/callback/"


@pytest.fixture
def provider(monkeypatch):
    # Authlib refuses plain HTTP unless told; the provider listens on loopback only.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    provider = Provider()
    provider.client.redirect_uris = [CALLBACK]
    httpd = start(provider)
    yield provider
    httpd.shutdown()
    httpd.server_close()


def _configure(client, provider) -> None:
    """The RSPON administrator enters the provider on the institution's sign-in page."""
    login(client, "rspon-admin")
    page = client.get("/institution/sign-in/").content.decode()
    assert CALLBACK in page  # the redirect URI to register at the provider
    response = client.post(
        "/institution/sign-in/",
        {
            "form": "oidc",
            "name": "SSO RSPON",
            "issuer": provider.issuer,
            "client_id": provider.client.client_id,
            "secret": provider.client.client_secret,
        },
    )
    assert response.status_code == 302
    client.post("/accounts/logout/")


def _sign_in_at_provider(client, user: dict):
    """Press "Masuk dengan SSO RSPON", sign in at the provider as `user`, and come back:
    the response of Siaran's callback."""
    response = client.post("/accounts/oidc/rspon/login/")
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{client.provider.issuer}/authorize?")
    client.provider.user = user
    at_provider = httpx.get(authorize)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert f"http://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def test_sign_in_through_the_institutions_provider(client, demo, provider):
    client.provider = provider
    _configure(client, provider)
    app = SocialApp.objects.get(provider="openid_connect", provider_id="rspon")
    assert app.settings == {"server_url": provider.issuer}
    event = AuditEvent.objects.get(kind="oidc_provider_set")
    assert provider.client.client_secret not in str(event.data)

    page = client.get("/accounts/login/").content.decode()
    assert "Masuk dengan SSO RSPON" in page

    director = demo["rspon-direksi"]
    user = {"sub": "kc-101", "email": "RSPON-direksi@demo.siaran.id", "email_verified": True}
    response = _sign_in_at_provider(client, user)
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    assert client.get("/tasks/").status_code == 200
    assert SocialAccount.objects.get(provider="rspon", uid="kc-101").user == director.user
    # Discovery (read again by the callback, another request), the authorization, the
    # token with its RS256 id_token, and userinfo.
    assert provider.requests == [
        "GET /.well-known/openid-configuration",
        "GET /authorize",
        "GET /.well-known/openid-configuration",
        "POST /token",
        "GET /userinfo",
    ]
    (id_token,) = provider.id_tokens
    token = jwt.decode(id_token, KeySet.import_key_set(httpx.get(f"{provider.issuer}/jwks").json()))
    assert token.header["alg"] == "RS256"
    assert token.claims["aud"] == ["siaran"] and token.claims["iss"] == provider.issuer
    login_event = AuditEvent.objects.filter(kind="login").latest("pk")
    assert login_event.actor == director
    assert login_event.data == {"methods": ["openid_connect:rspon"]}
    client.post("/accounts/logout/")

    # The second time the link is found by the provider's subject.
    provider.requests.clear()
    response = _sign_in_at_provider(client, user)
    assert response["Location"] == "/tasks/"


def test_the_provider_signs_in_only_its_institutions_people(client, demo, provider):
    client.provider = provider
    _configure(client, provider)
    refusals = [
        # A Poltekkes person, verified by RSPON's provider: not RSPON's.
        {
            "sub": "kc-201",
            "email": "poltekkes-jkt2-verifikator@demo.siaran.id",
            "email_verified": True,
        },
        # Nobody's address.
        {"sub": "kc-202", "email": "orang.baru@rspon.go.id", "email_verified": True},
        # An RSPON person's address, which the provider has not verified.
        {"sub": "kc-203", "email": "rspon-direksi@demo.siaran.id", "email_verified": False},
    ]
    pages = []
    for user in refusals:
        response = _sign_in_at_provider(client, user)
        pages.append(" ".join(response.content.decode().split()))
        assert response.status_code == 403, pages[-1][:300]
        assert "Mintalah undangan kepada administrator instansi Anda." in pages[-1]
        assert client.get("/tasks/").status_code == 302  # not signed in
    assert "orang.baru@rspon.go.id bukan alamat e-mail siapa pun di Rumah Sakit" in pages[1]
    assert "tidak memastikan alamat e-mail" in pages[2]
    assert not SocialAccount.objects.exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="orang.baru@rspon.go.id").exists()
    failed = AuditEvent.objects.filter(kind="login_failed", data__method="openid_connect")
    assert failed.count() == 3


def test_only_an_administrator_configures_it(client, demo):
    login(client, "rspon-direksi")
    response = client.post(
        "/institution/sign-in/",
        {
            "form": "oidc",
            "name": "X",
            "issuer": "https://sso.example.go.id",
            "client_id": "c",
            "secret": "s",
        },
    )
    assert response.status_code == 403
    client.post("/accounts/logout/")
    login(client, "rspon-admin")
    bad = client.post(
        "/institution/sign-in/",
        {
            "form": "oidc",
            "name": "X",
            "issuer": "http://sso.example.go.id",
            "client_id": "c",
            "secret": "s",
        },
    )
    assert bad.status_code == 200 and "https://" in bad.content.decode()
    assert not SocialApp.objects.exists()
