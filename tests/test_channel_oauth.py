"""Channels connected the way platforms expect: OAuth 2.0 against each platform's sandbox
over real HTTP, tokens refreshed with rotation, broken connections told to administrators,
and the sandboxes on a chosen port."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import subprocess
import sys
import threading
import urllib.parse

import httpx
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from siaran.audit.models import AuditEvent
from siaran.publishing import actions, oauth, runner
from siaran.publishing.models import ChannelAccount
from siaran.publishing.sandbox import SANDBOXES, sandbox_urls
from siaran.publishing.sandbox.oauth import SANDBOX_CLIENT_ID
from siaran.sop.model import PLATFORMS
from tests.publishing import mp4, oauth_to_sandbox, publish, rspon_at_upload

OAUTH_CHANNELS = ["instagram", "facebook", "x", "youtube", "tiktok"]


@pytest.fixture
def admin(demo):
    person = demo["rspon-admin"]
    person.user.email = "admin@rspon.example"
    person.user.save()
    return person


@pytest.fixture
def sandboxes(settings):
    """Every platform's sandbox on a free port, and this install's OAuth apps on them."""
    running = {name: cls().start() for name, cls in SANDBOXES.items()}
    settings.SIARAN_SANDBOX_URL = ""
    settings.SIARAN_OAUTH = {}
    for name in OAUTH_CHANNELS:
        oauth_to_sandbox(settings, name, running[name])
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield running
    for sandbox in running.values():
        sandbox.stop()


def _location_query(response) -> tuple[str, dict]:
    location = (
        response.headers["Location"] if hasattr(response, "is_success") else response["Location"]
    )
    parts = urllib.parse.urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(urllib.parse.parse_qsl(parts.query))


def _allow(client, channel: str, *, granted: list[str] | None = None, decision: str = "allow"):
    """Press Connect on Siaran, then the platform's Allow; Siaran's answer to the return."""
    response = client.post(f"/institution/channels/{channel}/connect/")
    assert response.status_code == 302
    authorize, query = _location_query(response)
    page = httpx.get(response["Location"])  # the platform's authorize page, a real request
    assert page.status_code == 200 and "Izinkan" in page.text
    fields = list(query.items()) + [("decision", decision)]
    if granted is None:  # as the page comes: its first Page checked
        granted = ["1000000000000001"] if channel in ("instagram", "facebook") else []
        assert ('value="1000000000000001" checked' in page.text) == bool(granted)
    fields += [("granted", page_id) for page_id in granted]
    answer = httpx.post(
        authorize,
        content=urllib.parse.urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 302
    back, back_query = _location_query(answer)
    assert back == "http://testserver/institution/channels/oauth/return/"
    assert back_query["state"] == query["state"]
    return client.get("/institution/channels/oauth/return/", back_query), query


@pytest.mark.django_db
@pytest.mark.parametrize("with_apps", [False, True])
def test_every_platforms_connect_page_opens(client, demo, settings, with_apps):
    """The channels page and each platform's connect page, every way of posting, for an
    institution with and without accounts: never a 500 (TikTok, website and by hand were)."""
    settings.SIARAN_OAUTH = {}
    settings.SIARAN_SANDBOX_URL = "http://127.0.0.1:8701" if with_apps else ""
    for username in ("rspon-admin", "poltekkes-jkt2-admin"):
        client.force_login(demo[username].user)
        assert client.get("/institution/channels/").status_code == 200
        for channel in PLATFORMS:
            page = client.get(f"/institution/channels/{channel}/")
            assert page.status_code == 200, (username, channel)
            text = page.content.decode()
            if channel in OAUTH_CHANNELS:
                assert (f'action="/institution/channels/{channel}/connect/"' in text) == with_apps
                assert ("SIARAN_OAUTH_" in text) != with_apps  # no app: the page says so
            for connector in ("manual", channel):
                page = client.get(f"/institution/channels/{channel}/?connector={connector}")
                assert page.status_code == 200, (username, channel, connector)


@pytest.mark.django_db
def test_without_an_app_the_token_is_entered_by_hand(client, admin, settings):
    settings.SIARAN_OAUTH, settings.SIARAN_SANDBOX_URL = {}, ""
    client.force_login(admin.user)
    response = client.post("/institution/channels/tiktok/connect/", follow=True)
    assert "masukkan token akses di bawah" in response.content.decode()
    assert not ChannelAccount.objects.filter(organization=admin.organization, channel="tiktok")


@pytest.mark.django_db
@pytest.mark.parametrize("channel", OAUTH_CHANNELS)
def test_connecting_through_the_platforms_authorization(client, admin, sandboxes, channel):
    client.force_login(admin.user)
    ChannelAccount.objects.filter(organization=admin.organization).delete()
    response, query = _allow(client, channel)
    assert response["Location"] == "/institution/channels/", client.get(
        response["Location"]
    ).content.decode()[-3000:]
    account = ChannelAccount.objects.get(organization=admin.organization, channel=channel)
    held = account.credentials
    sandbox = sandboxes[channel]
    assert held["access_token"] in sandbox.tokens
    assert account.connected_via == "oauth" and account.base_url == sandbox.url
    assert account.rejected_at is None
    if channel in ("instagram", "facebook"):
        # Meta: a Page token, which does not expire and has no refresh token.
        assert "code_challenge" not in query and query["scope"].startswith(
            "instagram_basic" if channel == "instagram" else "pages_"
        )
        assert account.account_id == (
            "17841400000000001" if channel == "instagram" else "1000000000000001"
        )
        assert account.handle == ("@sandbox_account" if channel == "instagram" else "Sandbox Page")
        assert not account.can_refresh and account.token_expires_at is None
    else:
        assert account.can_refresh and held["refresh_token"] in sandbox.refresh_tokens
        assert account.token_expires_at > timezone.now()
    if channel in ("x", "youtube"):
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    if channel == "youtube":
        assert query["access_type"] == "offline" and query["prompt"] == "consent"
        assert account.account_id == "UCsandbox"
    if channel == "x":
        assert "offline.access" in query["scope"].split()
        assert account.handle.startswith("@")
    if channel == "tiktok":
        assert query["client_key"] == SANDBOX_CLIENT_ID and "," in query["scope"]
        assert account.handle == "@sandbox_account"
    # What the platform says of the account, with the stored access.
    assert actions.channel_account_check(admin=admin, channel=channel)
    assert AuditEvent.objects.filter(kind="channel_connected").count() == 1
    page = client.get("/institution/channels/").content.decode()
    assert "diperbarui otomatis" in page or channel in ("instagram", "facebook")


@pytest.mark.django_db
def test_the_state_is_this_sessions_and_used_once(client, admin, sandboxes, django_user_model):
    client.force_login(admin.user)
    ChannelAccount.objects.filter(organization=admin.organization, channel="x").delete()
    response = client.post("/institution/channels/x/connect/")
    authorize, query = _location_query(response)
    answer = httpx.post(authorize, data={**query, "decision": "allow"})
    _back, back_query = _location_query(answer)
    # Another administrator's browser (another session) cannot finish it ...
    other = django_user_model.objects.get(username="rspon-admin")
    from django.test import Client

    stranger = Client()
    stranger.force_login(other)
    refused = stranger.get("/institution/channels/oauth/return/", back_query, follow=True)
    assert "tidak dimulai di sini" in refused.content.decode()
    assert not ChannelAccount.objects.filter(organization=admin.organization, channel="x")
    # ... this one can, once.
    assert client.get("/institution/channels/oauth/return/", back_query).status_code == 302
    assert ChannelAccount.objects.filter(organization=admin.organization, channel="x").exists()
    again = client.get("/institution/channels/oauth/return/", back_query, follow=True)
    assert "tidak dimulai di sini" in again.content.decode()


@pytest.mark.django_db
def test_a_refusal_on_the_platform_changes_nothing(client, admin, sandboxes):
    client.force_login(admin.user)
    before = ChannelAccount.objects.get(organization=admin.organization, channel="youtube")
    response, _query = _allow(client, "youtube", decision="deny")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "tidak memberi Siaran akses (access_denied)" in page
    after = ChannelAccount.objects.get(pk=before.pk)
    assert after.credentials_encrypted == before.credentials_encrypted


@pytest.mark.django_db
def test_meta_asks_which_page_when_several_were_granted(client, admin, sandboxes):
    client.force_login(admin.user)
    granted = ["1000000000000001", "1000000000000002"]
    response, _query = _allow(client, "instagram", granted=granted)
    assert response["Location"] == "/institution/channels/instagram/choose/"
    page = client.get(response["Location"]).content.decode()
    assert "@sandbox_account" in page and "@kedua" in page and "access_token" not in page
    response = client.post(response["Location"], {"account": "17841400000000002"})
    assert response.status_code == 302
    account = ChannelAccount.objects.get(organization=admin.organization, channel="instagram")
    assert account.account_id == "17841400000000002" and account.handle == "@kedua"
    assert account.credentials["access_token"] in sandboxes["instagram"].tokens


def _connected(client, admin, channel):
    client.force_login(admin.user)
    _allow(client, channel)
    return ChannelAccount.objects.get(organization=admin.organization, channel=channel)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["x", "tiktok"])
def test_a_refresh_rotates_the_refresh_token(client, admin, sandboxes, channel):
    account = _connected(client, admin, channel)
    first = account.credentials
    now = timezone.now()
    # Far from its end: nothing is asked of the platform.
    assert actions.channel_access_fresh(account, now=now).credentials == first
    ChannelAccount.objects.filter(pk=account.pk).update(
        token_expires_at=now + dt.timedelta(minutes=2)
    )
    account.refresh_from_db()
    renewed = actions.channel_access_fresh(account, now=now)
    held = renewed.credentials
    assert held["access_token"] != first["access_token"]
    assert held["refresh_token"] != first["refresh_token"]  # rotated ...
    sandbox = sandboxes[channel]
    assert first["refresh_token"] not in sandbox.refresh_tokens  # ... the old one is dead
    assert held["refresh_token"] in sandbox.refresh_tokens
    assert renewed.token_expires_at > now + dt.timedelta(hours=1) and renewed.refreshed_at == now
    # The stale copy another worker may hold finds the access renewed, spends nothing.
    assert actions.channel_access_fresh(account, now=now).credentials == held
    assert AuditEvent.objects.filter(kind="channel_access_renewed").count() == 1


@pytest.mark.django_db
def test_a_reconnect_keeps_the_refresh_token_google_gives_once(client, admin, sandboxes):
    account = _connected(client, admin, "youtube")
    refresh_token = account.credentials["refresh_token"]
    # Google answers a second consent with an access token alone.
    actions.channel_account_authorize(
        admin=admin,
        channel="youtube",
        tokens=oauth.Tokens(
            access_token=sandboxes["youtube"].new_access({}),
            expires_at=timezone.now() + dt.timedelta(minutes=1),
        ),
        handle=account.handle,
        account_id=account.account_id,
        base_url=account.base_url,
    )
    account.refresh_from_db()
    assert account.credentials["refresh_token"] == refresh_token and account.can_refresh
    renewed = actions.channel_access_fresh(account)  # it still renews: Google's refresh
    assert renewed.credentials["refresh_token"] == refresh_token  # gives no new one: kept
    assert renewed.credentials["access_token"] in sandboxes["youtube"].tokens
    # Renaming it on the page (no new access entered) keeps it renewing.
    actions.channel_account_save(
        admin=admin,
        channel="youtube",
        connector="youtube",
        handle="@rspon",
        base_url=renewed.base_url,
        token_expires_at=renewed.token_expires_at,
    )
    account.refresh_from_db()
    assert account.credentials["refresh_token"] == refresh_token and account.can_refresh
    # Another account on the same channel does not inherit it.
    actions.channel_account_authorize(
        admin=admin,
        channel="youtube",
        tokens=oauth.Tokens(access_token="another"),
        account_id="UCanother",
    )
    account.refresh_from_db()
    assert "refresh_token" not in account.credentials and not account.can_refresh


@pytest.mark.django_db(transaction=True)
def test_a_revoked_grant_breaks_the_connection_and_tells_the_admins_once(client, admin, sandboxes):
    account = _connected(client, admin, "tiktok")
    sandboxes["tiktok"].revoke_refresh()  # the account removed Siaran on TikTok
    ChannelAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now())
    out = io.StringIO()
    call_command("channels_check", stdout=out)
    assert "rspon\ttiktok\tbroken" in out.getvalue()
    account.refresh_from_db()
    assert account.rejected_at is not None and "invalid_grant" in account.rejected_detail
    assert not account.can_refresh
    [warning] = refusals = [m for m in mail.outbox if "menolak" in m.subject]
    assert warning.to == ["admin@rspon.example"] and "TikTok" in warning.subject
    # Asked again (the next check, a post), it says nothing more.
    actions.account_rejected(account, "refused again", now=timezone.now())
    assert actions.channel_access_fresh(account).credentials == account.credentials
    call_command("channels_check", stdout=out)
    assert [m for m in mail.outbox if "menolak" in m.subject] == refusals
    assert AuditEvent.objects.filter(kind="channel_broken").count() == 1
    page = client.get("/institution/channels/").content.decode()
    assert "sambungan terputus" in page and 'class="alert alert-danger' in page
    # Reconnecting mends it.
    _allow(client, "tiktok")
    account.refresh_from_db()
    assert account.rejected_at is None and account.can_refresh


@pytest.mark.django_db
def test_an_expired_google_token_is_renewed_before_a_youtube_upload(
    client, demo, admin, sandboxes, monkeypatch
):
    monkeypatch.setattr("siaran.publishing.connectors.youtube.CHUNK", 256 * 1024)
    youtube = sandboxes["youtube"]
    account = _connected(client, admin, "youtube")
    old = account.credentials["access_token"]
    # An hour later: Google's access token has ended, and the sandbox says so.
    youtube.expire_access()
    ChannelAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    refused = httpx.get(
        f"{youtube.url}/youtube/v3/channels",
        params={"part": "snippet", "mine": "true"},
        headers={"Authorization": f"Bearer {old}"},
    )
    assert refused.status_code == 401
    case = rspon_at_upload(demo, (mp4(12.0, payload=700 * 1024), "edukasi.mp4", "video/mp4"))
    job = publish(case, demo["rspon-tim-humas"], ["youtube"])["youtube"]
    assert runner.run(job.pk) == "succeeded"
    [video] = youtube.videos
    account.refresh_from_db()
    assert account.credentials["access_token"] != old and account.refreshed_at is not None
    assert account.token_expires_at > timezone.now()
    assert youtube.count("POST", r"^/token$") == 2  # the code, then one refresh
    assert not [m for m in mail.outbox if "YouTube" in m.subject]  # nobody had to act


def _free_ports(count: int) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            held = []
            for port in range(first, first + count):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return first
    raise RuntimeError("no free ports")


def test_the_sandboxes_serve_from_a_chosen_port(tmp_path):
    """`siaran sandbox --port N`: each platform on N, N+1, ... as sandbox_urls says, so
    that two installs run side by side; the OAuth endpoints answer there."""
    first = _free_ports(len(SANDBOXES))
    urls = sandbox_urls(f"http://127.0.0.1:{first}")
    assert list(urls) == list(SANDBOXES) and urls["youtube"] == f"http://127.0.0.1:{first + 3}"
    process = subprocess.Popen(
        [sys.executable, "-m", "siaran", "sandbox", "--port", str(first)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIARAN_DATA_DIR": str(tmp_path)},
    )
    try:
        lines = [process.stdout.readline().split() for _ in SANDBOXES]
        assert {name: url for name, url in lines} == urls
        assert process.stdout.readline().strip() == f"SIARAN_SANDBOX_URL={urls['instagram']}"
        answer = httpx.post(f"{urls['youtube']}/token", data={"grant_type": "refresh_token"})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.django_db
def test_the_demo_points_its_channels_at_siaran_sandbox_url(settings):
    settings.SIARAN_SANDBOX_URL = "http://127.0.0.1:9911"
    call_command("demo", "--no-history", stdout=open("/dev/null", "w"))  # noqa: SIM115
    bases = dict(
        ChannelAccount.objects.filter(organization__slug="rspon")
        .exclude(connector="manual")
        .values_list("connector", "base_url")
    )
    assert bases["instagram"] == "http://127.0.0.1:9911"
    assert bases["youtube"] == "http://127.0.0.1:9914"


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_both_spend_a_rotating_refresh_token(client, admin, sandboxes):
    """Both find the access ending; the row lock lets one refresh, the other then finds it
    renewed. Spent twice, X's rotated refresh token would break the connection."""
    account = _connected(client, admin, "x")
    ChannelAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now())
    stale = [ChannelAccount.objects.get(pk=account.pk) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = actions.channel_access_fresh(stale[index]).credentials
        except Exception as error:  # noqa: BLE001 - the test reports it below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results[0] == results[1] and isinstance(results[0], dict), results
    assert sandboxes["x"].count("POST", r"^/2/oauth2/token$") == 2  # the code, one refresh
    account.refresh_from_db()
    assert account.rejected_at is None and account.can_refresh
    assert account.credentials == results[0]


@pytest.mark.django_db
def test_make_runs_demo_connects_through_the_sandboxes_at_siaran_sandbox_url(
    client, admin, settings
):
    """With no app of its own, each platform connects through its sandbox, found from
    SIARAN_SANDBOX_URL alone (as `make run` sets it)."""
    first = _free_ports(len(SANDBOXES))
    running = [cls("127.0.0.1", first + i).start() for i, cls in enumerate(SANDBOXES.values())]
    settings.SIARAN_OAUTH, settings.SIARAN_SANDBOX_URL = {}, f"http://127.0.0.1:{first}"
    try:
        client.force_login(admin.user)
        for channel in OAUTH_CHANNELS:
            response, _query = _allow(client, channel)
            assert response["Location"] == "/institution/channels/", channel
            account = ChannelAccount.objects.get(organization=admin.organization, channel=channel)
            assert account.base_url == sandbox_urls(settings.SIARAN_SANDBOX_URL)[channel]
            assert account.connected_via == "oauth"
    finally:
        for sandbox in running:
            sandbox.stop()
