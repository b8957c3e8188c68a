"""Publishing a case: channel accounts, one job per channel, by hand, and the case's end."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from siaran.cases import actions as case_actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Case
from siaran.publishing import actions, crypto, runner
from siaran.publishing.models import ChannelAccount, PublishJob
from siaran.publishing.sandbox import WordPressSandbox
from tests.publishing import at_publish_step, connect, finish_by_hand, image, screenshot, upload

POLTEKKES = "poltekkes-jkt2"


@pytest.fixture
def wordpress():
    with WordPressSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def people(demo):
    return {
        "admin": demo[f"{POLTEKKES}-admin"],
        "humas": demo[f"{POLTEKKES}-anggota"],  # the upload lane
        "director": demo[f"{POLTEKKES}-pengarah"],
    }


@pytest.fixture
def by_hand_except_website(people, wordpress):
    """Poltekkes posts its website through the WordPress sandbox, the rest by hand."""
    connect(people["admin"], "website", "wordpress", wordpress.url)
    for channel in ("instagram", "tiktok", "facebook", "youtube"):
        connect(people["admin"], channel, "manual")


def jobs(case) -> dict[str, PublishJob]:
    return {job.channel: job for job in PublishJob.objects.filter(case=case)}


@pytest.mark.django_db
def test_credentials_are_encrypted_at_rest_and_never_shown_again(client, people, settings):
    admin = people["admin"]
    client.force_login(admin.user)
    secret = "zyxw vuts rqpo nmlk jihg fedc"
    response = client.post(
        "/institution/channels/website/",
        {
            "connector": "wordpress",
            "handle": "poltekkesjkt2.ac.id",
            "base_url": "https://poltekkesjkt2.ac.id",
            "credential_username": "humas",
            "credential_application_password": secret,
            "token_expires_at": "2027-01-31",
        },
    )
    assert response.status_code == 302
    account = ChannelAccount.objects.get(organization=admin.organization, channel="website")
    assert (
        secret not in account.credentials_encrypted and "humas" not in account.credentials_encrypted
    )
    assert account.credentials == {"username": "humas", "application_password": secret}
    for url in ("/institution/channels/", "/institution/channels/website/"):
        assert secret not in client.get(url).content.decode()
    # A blank field keeps what was saved; a new one replaces it.
    client.post(
        "/institution/channels/website/",
        {
            "connector": "wordpress",
            "base_url": "https://poltekkesjkt2.ac.id",
            "credential_username": "humas2",
        },
    )
    account.refresh_from_db()
    assert account.credentials == {"username": "humas2", "application_password": secret}
    # Another deployment's key cannot read them.
    settings.SIARAN_CREDENTIALS_KEY = "x" * 43 + "="
    with pytest.raises(crypto.CredentialsUnreadable):
        account.credentials  # noqa: B018
    # Only administrators see the page.
    client.force_login(people["humas"].user)
    assert client.get("/institution/channels/").status_code == 403


@pytest.mark.django_db
def test_publish_starts_one_job_per_channel_and_the_case_waits(people, by_hand_except_website):
    humas = people["humas"]
    case = at_publish_step(humas)
    case = case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish")
    assert case.status == "publishing" and case.current_step == "upload"
    found = jobs(case)
    assert (
        set(found)
        == set(case.channels)
        == {"website", "instagram", "facebook"}  # a poster: not the video channels
    )
    assert found["website"].connector == "wordpress" and found["website"].status == "queued"
    assert found["website"].title == "Dies Natalis Poltekkes Jakarta II"
    assert len(found["website"].media) == 1  # the poster, as its featured image
    assert {j.connector for c, j in found.items() if c != "website"} == {"manual"}
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[-1] == "publish_started"
    # The same press again starts nothing twice.
    with pytest.raises(ActionError) as error:
        case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish")
    assert error.value.code == "already_publishing"
    assert PublishJob.objects.filter(case=case).count() == 3


@pytest.mark.django_db
def test_the_case_is_published_when_every_channel_is_done(
    people, by_hand_except_website, wordpress
):
    humas = people["humas"]
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish")
    case = finish_by_hand(case, humas, only_by_hand=True)  # all but the website
    assert case.status == "publishing"
    assert runner.run(jobs(case)["website"].pk) == "succeeded"
    case.refresh_from_db()
    assert case.status == "published" and case.current_step == ""
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds.count("channel_done_by_hand") == 2 and kinds.count("channel_published") == 1
    assert kinds[-2:] == ["step_done", "case_ended"]
    done = case.events.get(kind="step_done", step_id="upload")
    assert done.actor == humas and done.outcome == "publish"
    website = jobs(case)["website"]
    assert website.platform_id == str(wordpress.posts[0]["id"])
    assert website.permalink == wordpress.posts[0]["link"]
    assert website.response["slug"] == wordpress.posts[0]["slug"]
    assert website.published_at is not None
    # The featured image went first, byte for byte, then the post that carries it.
    poster = case.attachments.get(pk=website.media[0])  # the poster, or its copy for the site
    assert list(wordpress.media.values())[0]["sha256"] == poster.sha256
    assert wordpress.posts[0]["featured_media"] == list(wordpress.media)[0]


@pytest.mark.django_db
def test_done_by_hand_needs_a_link_and_a_screenshot(people, by_hand_except_website):
    humas = people["humas"]
    case = at_publish_step(humas)
    case_actions.case_decide(
        person=humas, case_id=case.pk, outcome="publish", channels=["instagram"]
    )
    bad = [
        ("not a link", screenshot(), "bad_link"),
        ("javascript:alert(1)", screenshot(), "bad_link"),
        ("https://instagram.com/p/1", None, "screenshot_required"),
        (
            "https://instagram.com/p/1",
            upload(b"%PDF-1.4 x", "x.pdf", "application/pdf"),
            "screenshot_type",
        ),
    ]
    for link, shot, code in bad:
        with pytest.raises(ActionError) as error:
            actions.publication_done_by_hand(
                person=humas, case_id=case.pk, channel="instagram", permalink=link, screenshot=shot
            )
        assert error.value.code == code
    with pytest.raises(ActionError) as error:  # not the upload lane
        actions.publication_done_by_hand(
            person=people["director"],
            case_id=case.pk,
            channel="instagram",
            permalink="https://instagram.com/p/1",
            screenshot=screenshot(),
        )
    assert error.value.status == 403
    assert jobs(case)["instagram"].status == "queued"
    job = actions.publication_done_by_hand(
        person=humas,
        case_id=case.pk,
        channel="instagram",
        permalink="https://www.instagram.com/p/DAbc123/",
        screenshot=screenshot(),
    )
    assert job.status == "manual_done" and job.done_by == humas and job.proof.name
    case.refresh_from_db()
    assert case.status == "published"  # instagram was the only channel chosen


@pytest.mark.django_db
def test_a_refused_channel_is_retried_alone(people, by_hand_except_website, wordpress):
    """A partly published case shows which channel failed; a retry touches only it."""
    humas, admin = people["humas"], people["admin"]
    wordpress.users["siaran"] = "revoked"
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish")
    finish_by_hand(case, humas, only_by_hand=True)  # everything else is done
    website = jobs(case)["website"]
    assert runner.run(website.pk) == "failed"
    website.refresh_from_db()
    assert website.status == "failed" and website.error_code == "token_rejected"
    assert "invalid application password" in website.error_detail
    account = ChannelAccount.objects.get(organization=admin.organization, channel="website")
    assert account.rejected_at is not None
    case.refresh_from_db()
    assert case.status == "publishing"
    before = {c: (j.status, j.updated_at) for c, j in jobs(case).items() if c != "website"}
    # The administrator connects the account again; the retry sends only the website.
    wordpress.users["siaran"] = "new password"
    connect(
        admin,
        "website",
        "wordpress",
        wordpress.url,
        credentials={"username": "siaran", "application_password": "new password"},
    )
    account.refresh_from_db()
    assert account.rejected_at is None
    job = actions.publication_retry(person=humas, case_id=case.pk, channel="website")
    assert job.status == "queued" and job.attempts == 0
    assert {c: (j.status, j.updated_at) for c, j in jobs(case).items() if c != "website"} == before
    assert runner.run(job.pk) == "succeeded"
    assert len(wordpress.posts) == 1
    case.refresh_from_db()
    assert case.status == "published"


@pytest.mark.django_db
def test_channels_and_a_time_are_chosen_through_the_api(client, people, by_hand_except_website):
    humas = people["humas"]
    case = at_publish_step(humas)
    response = client.post(
        "/api/v1/auth/token",
        {"username": humas.user.username, "password": "siaran-demo-2026"},
        content_type="application/json",
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}
    at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    with_unknown = client.post(
        f"/api/v1/cases/{case.pk}/actions",
        {"outcome": "publish", "channels": ["website", "mastodon"]},
        content_type="application/json",
        **auth,
    )
    assert with_unknown.status_code == 422 and with_unknown.json()["code"] == "unknown_channel"
    past = client.post(
        f"/api/v1/cases/{case.pk}/actions",
        {"outcome": "publish", "channels": ["website"], "at": "2020-01-01T09:00:00+07:00"},
        content_type="application/json",
        **auth,
    )
    assert past.status_code == 422 and past.json()["code"] == "time_passed"
    assert not PublishJob.objects.filter(case=case).exists()
    with pytest.MonkeyPatch.context() as patch:
        enqueued = []
        patch.setattr("siaran.publishing.tasks.enqueue", lambda *a: enqueued.append(a))
        response = client.post(
            f"/api/v1/cases/{case.pk}/actions",
            {"outcome": "publish", "channels": ["website", "instagram"], "at": at.isoformat()},
            content_type="application/json",
            **auth,
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "publishing"
    assert [(p["channel"], p["status"], p["by_hand"]) for p in body["publications"]] == [
        ("website", "queued", False),
        ("instagram", "queued", True),
    ]
    website = jobs(case)["website"]
    assert website.run_after == at
    assert runner.run(website.pk) == "early"  # a scheduled post waits for its time
    # Recorded by hand, through the API.
    done = client.post(
        f"/api/v1/cases/{case.pk}/publications/instagram/done",
        {"permalink": "https://www.instagram.com/p/DAbc123/", "screenshot": screenshot()},
        **auth,
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "manual_done"
    detail = client.get(f"/api/v1/cases/{case.pk}", **auth).json()
    assert {p["channel"]: p["permalink"] for p in detail["publications"]}["instagram"] == (
        "https://www.instagram.com/p/DAbc123/"
    )
    assert detail["status"] == "publishing"  # the website waits for tomorrow


@pytest.mark.django_db(transaction=True)
def test_publish_jobs_run_on_the_database_task_worker(people, by_hand_except_website, wordpress):
    """The task API's database backend, worked by `siaran db_worker`, as `make run` does."""
    humas = people["humas"]
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish", channels=["website"])
    # One task for the publication, whatever its channels; it queues each job's run.
    queued = DBTaskResult.objects.filter(task_path="siaran.publishing.tasks.publish_jobs_start")
    (task,) = [t for t in queued if t.args_kwargs["args"] == [[jobs(case)["website"].pk]]]
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    case.refresh_from_db()
    assert case.status == "published" and len(wordpress.posts) == 1
    assert DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL"
    runs = DBTaskResult.objects.filter(task_path="siaran.publishing.tasks.publish_job_run")
    runs = [t for t in runs if t.args_kwargs["args"] == [jobs(case)["website"].pk]]
    # The run that posted, and the one that would look again had its worker died.
    assert sorted(t.status for t in runs) == ["READY", "SUCCESSFUL"]


@pytest.mark.django_db
def test_the_case_page_shows_each_channel_with_retry_and_by_hand(
    client, people, by_hand_except_website, wordpress
):
    humas = people["humas"]
    case = at_publish_step(humas)
    client.force_login(humas.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="channels" value="website"' in page and 'name="at"' in page
    response = client.post(
        f"/cases/{case.pk}/decide/",
        {
            "outcome": "publish",
            "seen": case.lock_version,
            "choose_channels": "1",
            "channels": ["website", "instagram"],
        },
    )
    assert response.status_code == 302
    assert set(jobs(case)) == {"website", "instagram"}
    wordpress.users["siaran"] = "revoked"
    runner.run(jobs(case)["website"].pk)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="publication-website" data-status="failed"' in page
    assert f"/cases/{case.pk}/publications/website/retry/" in page
    assert f"/cases/{case.pk}/publications/instagram/done/" in page
    assert "invalid application password" in page
    response = client.post(
        f"/cases/{case.pk}/publications/instagram/done/",
        {"permalink": "https://www.instagram.com/p/DAbc123/", "screenshot": screenshot()},
    )
    assert response.status_code == 302
    assert jobs(case)["instagram"].status == "manual_done"
    proof = client.get(f"/cases/{case.pk}/publications/instagram/proof/")
    assert proof.status_code == 200 and proof["Content-Type"] == "image/png"
    assert proof["X-Content-Type-Options"] == "nosniff"
    # Like every other download, on the case's timeline (issue 17, finding 12).
    downloaded = case.events.filter(kind="file_downloaded").last()
    assert downloaded.data == {"what": "proof", "ref": "instagram"}
    assert downloaded.note == "instagram.png"


@pytest.mark.django_db
def test_unchecking_every_channel_is_refused(client, people, by_hand_except_website):
    humas = people["humas"]
    case = at_publish_step(humas)
    client.force_login(humas.user)
    client.post(
        f"/cases/{case.pk}/decide/",
        {"outcome": "publish", "seen": case.lock_version, "choose_channels": "1"},
    )
    case.refresh_from_db()
    assert case.status == "active" and not PublishJob.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_a_withdrawn_case_sends_nothing(people, by_hand_except_website, wordpress):
    humas = people["humas"]
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish", channels=["website"])
    Case.objects.filter(pk=case.pk).update(status="cancelled")
    assert runner.run(jobs(case)["website"].pk) == "failed"
    assert jobs(case)["website"].error_code == "case_closed" and wordpress.posts == []


def test_the_image_checks_read_sizes_without_decoding(tmp_path):
    from siaran.publishing.media import _image_info

    path = tmp_path / "p.png"
    path.write_bytes(image(1080, 1350, "PNG"))
    with path.open("rb") as file:
        info = _image_info(file)
    assert (info.width, info.height) == (1080, 1350) and info.ratio == 0.8


def test_the_deploy_check_asks_for_a_credentials_key_of_its_own(settings):
    from django.core import checks

    settings.SIARAN_CREDENTIALS_KEY_FROM_ENV = False
    found = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "siaran.W002" in found
    settings.SIARAN_CREDENTIALS_KEY_FROM_ENV = True
    found = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "siaran.W002" not in found


def test_a_platform_that_cannot_mix_images_and_a_video_takes_the_video():
    from types import SimpleNamespace

    from siaran.publishing.connectors import REGISTRY

    poster, video = SimpleNamespace(kind="image"), SimpleNamespace(kind="video")
    assert REGISTRY["facebook"].select_media([poster, video]) == [video]
    assert REGISTRY["x"].select_media([poster, video]) == [video]
    assert REGISTRY["instagram"].select_media([poster, video]) == [poster, video]  # a carousel
    assert REGISTRY["youtube"].select_media([poster, video]) == [video]
    assert REGISTRY["wordpress"].select_media([video, poster, poster]) == [poster]
