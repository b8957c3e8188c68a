"""Channel accounts: access expiring and refused, told to the administrators by real mail."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from siaran.cases.actions import ActionError
from siaran.publishing import actions, runner
from siaran.publishing.models import ChannelAccount
from siaran.publishing.sandbox import WordPressSandbox
from tests.publishing import SmtpServer, at_publish_step, connect, publish


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "siaran@poltekkesjkt2.example"
    yield server
    server.stop()


@pytest.fixture
def wordpress():
    with WordPressSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def admin(demo):
    person = demo["poltekkes-jkt2-admin"]
    person.user.email = "admin@poltekkesjkt2.example"
    person.user.save()
    return person


@pytest.mark.django_db(transaction=True)
def test_administrators_are_warned_a_week_before_access_expires(admin, smtp, wordpress):
    now = timezone.now()
    connect(
        admin, "website", "wordpress", wordpress.url, token_expires_at=now + dt.timedelta(days=3)
    )
    connect(admin, "instagram", "manual")  # posted by hand: nothing expires
    call_command("channels_check", stdout=open("/dev/null", "w"))  # noqa: SIM115
    [mail] = smtp.mails()
    assert mail["To"] == "admin@poltekkesjkt2.example"
    assert "Situs web" in mail["Subject"] and "berakhir" in mail["Subject"]  # in Indonesian
    assert "halaman Kanal" in mail.get_content()
    # Once per expiry: the next day's check says nothing more ...
    assert actions.channel_tokens_check(now=now + dt.timedelta(days=1)) == []
    # ... until the administrator enters a renewed access that also nears its end.
    connect(
        admin, "website", "wordpress", wordpress.url, token_expires_at=now + dt.timedelta(days=40)
    )
    assert actions.channel_tokens_check(now=now) == []
    assert len(actions.channel_tokens_check(now=now + dt.timedelta(days=35))) == 1
    assert len(smtp.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_publishing_warns_of_access_that_ends_soon(demo, admin, smtp, wordpress):
    now = timezone.now()
    connect(
        admin, "website", "wordpress", wordpress.url, token_expires_at=now + dt.timedelta(days=2)
    )
    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    job = publish(case, humas, ["website"])["website"]
    assert runner.run(job.pk) == "succeeded"
    [mail] = smtp.mails()  # the warning, as it posted
    assert "berakhir" in mail["Subject"]
    assert runner.run(job.pk) == "nothing" and len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_access_reaches_the_administrators_at_once(demo, admin, smtp, wordpress):
    wordpress.users["siaran"] = "revoked"
    connect(admin, "website", "wordpress", wordpress.url)
    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    job = publish(case, humas, ["website"])["website"]
    assert runner.run(job.pk) == "failed"
    [mail] = smtp.mails()
    assert "menolak" in mail["Subject"]
    assert "invalid application password" in mail.get_content()


@pytest.mark.django_db
def test_an_expired_access_stops_the_job_before_anything_is_sent(demo, admin, smtp, wordpress):
    connect(admin, "website", "wordpress", wordpress.url, token_expires_at=timezone.now())
    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    job = publish(case, humas, ["website"])["website"]
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "token_expired" and wordpress.calls == []


@pytest.mark.django_db
def test_checking_the_connection_asks_the_platform(client, admin, wordpress):
    connect(admin, "website", "wordpress", wordpress.url)
    assert actions.channel_account_check(admin=admin, channel="website") == "siaran"
    wordpress.users["siaran"] = "changed on the site"
    with pytest.raises(ActionError) as error:
        actions.channel_account_check(admin=admin, channel="website")
    assert error.value.code == "check_failed"
    assert ChannelAccount.objects.get(channel="website").rejected_at is not None
    client.force_login(admin.user)
    page = client.get("/institution/channels/").content.decode()
    assert 'class="alert alert-danger' in page
    response = client.post("/institution/channels/website/", {"check": "1"}, follow=True)
    assert "invalid application password" in response.content.decode()
