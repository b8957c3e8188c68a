"""Each connector against its platform's sandbox, over real sockets.

For every platform: a post that lands with its media byte for byte, a timeout after
the platform took the post (asked about, never posted twice), and an expired token
(stopped at once, the administrator told). Platform by platform, what is its own:
Instagram's containers and 24-hour allowance, X's chunked upload and rate windows.
"""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from siaran.cases import actions as case_actions
from siaran.cases.models import Case, ContentVersion
from siaran.publishing import runner
from siaran.publishing.connectors.graph import GraphConnector
from siaran.publishing.connectors.x import X
from siaran.publishing.models import ChannelAccount, PublishJob
from siaran.publishing.sandbox import (
    FacebookSandbox,
    InstagramSandbox,
    TikTokSandbox,
    XSandbox,
    YouTubeSandbox,
)
from tests.publishing import (
    TEXT_ONLY,
    SmtpServer,
    connect,
    content_rework,
    image,
    mp4,
    poltekkes_at_upload,
    publish,
    rspon_at_upload,
    siaran_server,
)

RSPON_IG = "17841400000000001"
RSPON_X = "1500000000000000001"


def later(job: PublishJob) -> dt.datetime:
    job.refresh_from_db()
    return job.run_after + dt.timedelta(seconds=1)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _quick(settings, monkeypatch):
    settings.SIARAN_PUBLISH_TIMEOUT = 1.0
    monkeypatch.setattr(GraphConnector, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(X, "POLL_SECONDS", 0.05)


@pytest.fixture
def admin(demo):
    person = demo["rspon-admin"]
    person.user.email = "admin@rspon.example"
    person.user.save()
    return person


# -- Instagram -------------------------------------------------------------------------------


@pytest.fixture
def instagram(settings):
    with siaran_server() as url, InstagramSandbox() as sandbox:
        settings.SIARAN_BASE_URL = url  # Instagram fetches media from Siaran
        yield sandbox


@pytest.mark.django_db(transaction=True)
def test_instagram_posts_an_image_through_a_container(demo, admin, instagram):
    poster = image(1080, 1350)
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    case = rspon_at_upload(demo, (poster, "poster.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    assert job.status == "queued"
    assert runner.run(job.pk) == "succeeded"
    job.refresh_from_db()
    [media] = instagram.media
    assert job.platform_id == media["id"] and job.permalink == media["permalink"]
    assert media["caption"] == job.caption and media["media_type"] == "IMAGE"
    [container] = instagram.containers.values()
    assert container["received"].sha256 == sha(poster)  # fetched through the signed link
    assert instagram.count("GET", r"/content_publishing_limit$") == 1  # asked first
    case.refresh_from_db()
    assert case.status == "published"


@pytest.mark.django_db(transaction=True)
def test_instagram_posts_a_carousel_of_items(demo, admin, instagram):
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    case = rspon_at_upload(
        demo,
        (image(1080, 1080), "a.jpg", "image/jpeg"),
        (image(1080, 1350), "b.jpg", "image/jpeg"),
        (mp4(20), "c.mp4", "video/mp4"),
    )
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    assert runner.run(job.pk) == "succeeded"
    [media] = instagram.media
    assert media["media_type"] == "CAROUSEL" and len(media["children"]) == 3
    items = [instagram.containers[c] for c in media["children"]]
    assert [c["media_type"] for c in items] == ["IMAGE", "IMAGE", "VIDEO"]


@pytest.mark.django_db(transaction=True)
def test_instagram_timeout_after_publish_is_reconciled_not_posted_twice(demo, admin, instagram):
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    case = rspon_at_upload(demo, (image(1080, 1080), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    instagram.fail(r"/media_publish$", "accept_then_hang", hang=2.5)
    assert runner.run(job.pk) == "unknown"
    assert len(instagram.media) == 1
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    job.refresh_from_db()
    assert job.platform_id == instagram.media[0]["id"]
    assert len(instagram.media) == 1 and instagram.count("POST", r"/media_publish$") == 1


@pytest.mark.django_db(transaction=True)
def test_instagram_rules_are_checked_before_anything_is_sent(demo, admin, instagram):
    # Instagram was posted by hand while the content was reviewed (its rules did not stop
    # the review); connected since, its rules stop the post before anything is sent.
    ChannelAccount.objects.filter(organization=admin.organization, channel="instagram").delete()
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    content_rework(demo, case, [(mp4(2.0), "short.mp4", "video/mp4")], drop_unfit=False)
    ContentVersion.objects.filter(case=case).update(captions={"instagram": "a" * 2201})
    case_actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    assert job.status == "failed" and job.error_code == "rules"
    messages = [p["message"] for p in job.error_args["problems"]]
    assert any("characters" in m for m in messages)  # 2,201: at most 2,200
    assert any("seconds" in m for m in messages)  # reels last 3 s or more
    assert instagram.calls == []


@pytest.mark.django_db(transaction=True)
def test_instagram_24_hour_allowance_defers_the_post(demo, admin, instagram):
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    instagram.quota_total = 0
    case = rspon_at_upload(demo, (image(1080, 1080), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    now = timezone.now()
    assert runner.run(job.pk, now=now) == "deferred"
    job.refresh_from_db()
    assert job.status == "queued" and job.error_code == "quota" and job.attempts == 0
    assert job.run_after == now + dt.timedelta(hours=1)
    assert instagram.count("POST", r"/media") == 0
    instagram.quota_total = 100
    assert runner.run(job.pk, now=later(job)) == "succeeded"


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_instagram_expired_token_stops_and_warns_the_administrator(demo, admin, instagram, smtp):
    connect(
        admin,
        "instagram",
        "instagram",
        instagram.url,
        account_id=RSPON_IG,
        credentials={"access_token": "old-token"},
    )
    instagram.expired_tokens.add("old-token")
    case = rspon_at_upload(demo, (image(1080, 1080), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "token_rejected" and "Session has expired" in job.error_detail
    assert job.response["error"]["code"] == 190
    account = ChannelAccount.objects.get(organization=admin.organization, channel="instagram")
    assert account.rejected_at is not None
    [warning] = smtp.mails()
    assert warning["To"] == "admin@rspon.example" and "Instagram" in warning["Subject"]
    assert "Session has expired" in warning.get_content()
    assert instagram.media == []


@pytest.mark.django_db(transaction=True)
def test_instagram_broken_media_is_a_permanent_failure(demo, admin, instagram, settings):
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    case = rspon_at_upload(demo, (image(1080, 1080), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    settings.SIARAN_BASE_URL = "http://127.0.0.1:9"  # Instagram cannot fetch the media
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "bad_media" and "download has failed" in job.error_detail


# -- X ---------------------------------------------------------------------------------------


@pytest.fixture
def x():
    with XSandbox() as sandbox:
        yield sandbox


@pytest.mark.django_db
def test_x_uploads_media_in_chunks_then_posts(demo, admin, x, monkeypatch):
    monkeypatch.setattr("siaran.publishing.connectors.x.CHUNK", 64 * 1024)
    video = mp4(30, payload=300_000)
    connect(admin, "x", "x", x.url, account_id=RSPON_X, handle="@rumahsakitotak")
    case = rspon_at_upload(demo, (video, "stroke.mp4", "video/mp4"))
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    assert runner.run(job.pk) == "succeeded"
    [upload] = x.uploads.values()
    assert upload["received"].sha256 == sha(video) and upload["category"] == "tweet_video"
    assert upload["segments"] == set(range(-(-len(video) // (64 * 1024))))
    assert x.count("GET", r"/2/media/upload$") == 2  # STATUS until processed
    [tweet] = x.tweets
    job.refresh_from_db()
    assert job.platform_id == tweet["id"] and tweet["media_ids"] == [upload["id"]]
    assert job.permalink == f"{x.url}/rumahsakitotak/status/{tweet['id']}"
    assert job.response["data"]["id"] == tweet["id"]
    account = ChannelAccount.objects.get(organization=admin.organization, channel="x")
    assert account.limits["x:tweets"]["remaining"] == 99


@pytest.mark.django_db
def test_x_timeout_after_the_post_is_reconciled_from_the_timeline(demo, admin, x):
    connect(admin, "x", "x", x.url, account_id=RSPON_X)
    case = rspon_at_upload(demo, (image(1200, 675), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    x.fail(r"^/2/tweets$", "accept_then_hang", method="POST", hang=2.5)
    assert runner.run(job.pk) == "unknown"
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    job.refresh_from_db()
    assert len(x.tweets) == 1 and job.platform_id == x.tweets[0]["id"]
    assert x.count("POST", r"^/2/tweets$") == 1
    assert x.count("POST", r"/2/media/upload$") == 3  # INIT, APPEND, FINALIZE: once


@pytest.mark.django_db
def test_x_429_waits_for_the_windows_reset(demo, admin, x):
    connect(admin, "x", "x", x.url, account_id=RSPON_X)
    case = rspon_at_upload(demo)
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    reset = int(timezone.now().timestamp()) + 600
    x.fail(
        r"^/2/tweets$",
        "status",
        method="POST",
        status=429,
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        body={"title": "Too Many Requests", "status": 429, "detail": "Too Many Requests"},
    )
    assert runner.run(job.pk) == "retry"
    job.refresh_from_db()
    assert job.error_code == "rate_limited" and job.run_after.timestamp() >= reset
    assert runner.run(job.pk, now=later(job)) == "succeeded"


@pytest.mark.django_db
def test_x_window_used_up_defers_the_next_post_until_its_reset(demo, admin, x):
    x.window_limit = 1
    connect(admin, "x", "x", x.url, account_id=RSPON_X)
    connect(admin, "facebook", "manual")
    case = rspon_at_upload(demo)
    first = publish(case, demo["rspon-tim-humas"], ["x", "facebook"])["x"]
    assert runner.run(first.pk) == "succeeded"
    account = ChannelAccount.objects.get(organization=admin.organization, channel="x")
    limit = account.limits["x:tweets"]
    assert limit["remaining"] == 0 and limit["reset"] > timezone.now().timestamp()
    # The next post of the account, in the same window, waits for the reset instead of
    # meeting a 429.
    other = rspon_case_at_upload_again(demo, case)
    job = publish(other, demo["rspon-tim-humas"], ["x"])["x"]
    assert runner.run(job.pk) == "deferred"
    job.refresh_from_db()
    assert job.run_after.timestamp() >= limit["reset"] and job.error_code == "quota"
    assert x.count("POST", r"^/2/tweets$") == 1


def rspon_case_at_upload_again(demo, case):
    """A second RSPON case at its upload step: a copy of `case`'s path, quickly."""
    from siaran.cases import actions as case_actions

    other = case_actions.case_start(
        person=demo["rspon-unit-kerja"],
        sop_id="rspon-medsos",
        title="Kedua",
        channels=TEXT_ONLY["rspon-medsos"],
    )
    while other.current_step != "upload":
        lane = other.current_lane
        step = other.current_step
        outcome = "ya" if step == "director-review" else "done"
        other = case_actions.case_decide(
            person=demo[f"rspon-{lane}"], case_id=other.pk, outcome=outcome
        )
    return other


@pytest.mark.django_db
def test_x_expired_token(demo, admin, x):
    connect(admin, "x", "x", x.url, account_id=RSPON_X, credentials={"access_token": "gone"})
    case = rspon_at_upload(demo)
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    assert job.status == "queued"
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "token_rejected" and x.tweets == []


def test_content_changed_after_approval_is_never_sent(demo, admin, x):
    """The publish job checks the approved digest before it calls the platform: content
    changed behind Siaran's back (in the database) is refused, and nothing is posted."""
    from siaran.cases.models import ContentVersion

    connect(admin, "x", "x", x.url, account_id=RSPON_X)
    case = rspon_at_upload(demo)
    version = ContentVersion.objects.get(case=case, number=case.versions.count())
    assert version.approved_sha256
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    assert job.content_sha256 == version.approved_sha256 and job.version == version.number
    ContentVersion.objects.filter(pk=version.pk).update(narrative="Diubah diam-diam.")
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "content_changed" and x.tweets == []
    assert "differs from the approved" in job.error_detail


# -- YouTube ---------------------------------------------------------------------------------


@pytest.fixture
def youtube():
    with YouTubeSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 256 KiB (YouTube's unit), so that a test video spans several."""
    monkeypatch.setattr("siaran.publishing.connectors.youtube.CHUNK", 256 * 1024)
    monkeypatch.setattr("siaran.publishing.connectors.tiktok.CHUNK", 256 * 1024)
    monkeypatch.setattr("siaran.publishing.connectors.tiktok.MIN_CHUNK", 128 * 1024)


def youtube_job(demo, admin, youtube, video: bytes, **fields):
    connect(admin, "youtube", "youtube", youtube.url, account_id="UCsandbox", **fields)
    case = rspon_at_upload(demo, (video, "edukasi.mp4", "video/mp4"))
    return publish(case, demo["rspon-tim-humas"], ["youtube"])["youtube"]


@pytest.mark.django_db
def test_youtube_upload_interrupted_resumes_from_the_308_range(demo, admin, youtube, small_chunks):
    video = mp4(60, payload=1_000_000)
    job = youtube_job(demo, admin, youtube, video)
    # The connection drops 100 000 bytes into the second chunk.
    youtube.fail(
        r"/upload/youtube/v3/videos$",
        "drop",
        method="PUT",
        after_bytes=100_000,
        headers_match={"Content-Range": r"^bytes 262144-"},
    )
    assert runner.run(job.pk) == "succeeded"
    [made] = youtube.videos
    assert made["sha256"] == sha(video) and made["size"] == len(video)
    [session] = youtube.sessions.values()
    assert session["queries"] == 1  # asked once where to resume
    job.refresh_from_db()
    assert job.platform_id == made["id"] and job.status == "succeeded"
    assert job.permalink == f"{youtube.url}/watch?v={made['id']}"


@pytest.mark.django_db
def test_youtube_timeout_on_the_last_chunk_asks_the_session_not_uploads_again(
    demo, admin, youtube, small_chunks
):
    video = mp4(60, payload=600_000)
    job = youtube_job(demo, admin, youtube, video)
    youtube.fail(
        r"/upload/youtube/v3/videos$",
        "accept_then_hang",
        method="PUT",
        hang=2.5,
        headers_match={"Content-Range": rf"-{len(video) - 1}/{len(video)}$"},
    )
    result = runner.run(job.pk)
    # The last chunk made the video; its answer was lost; the session says so.
    assert result == "succeeded"
    assert len(youtube.videos) == 1 and youtube.videos[0]["sha256"] == sha(video)
    [session] = youtube.sessions.values()
    assert session["queries"] == 1


@pytest.mark.django_db
def test_youtube_resumes_a_later_attempt_from_its_session(demo, admin, youtube, small_chunks):
    video = mp4(60, payload=900_000)
    job = youtube_job(demo, admin, youtube, video)
    # Every chunk from the third on fails, more times than one attempt resumes.
    youtube.fail(
        r"/upload/youtube/v3/videos$",
        "status",
        method="PUT",
        status=503,
        times=6,
        headers_match={"Content-Range": r"^bytes 524288-"},
    )
    assert runner.run(job.pk) == "retry"
    job.refresh_from_db()
    assert job.stage["offset"] == 524288 and job.error_code == "network"
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    assert len(youtube.sessions) == 1  # the same session, not a new upload
    assert youtube.videos[0]["sha256"] == sha(video)


@pytest.mark.django_db
def test_youtube_daily_quota_is_counted_and_honoured(demo, admin, youtube):
    from siaran.publishing.connectors.youtube import YouTube
    from siaran.publishing.models import QuotaUse

    job = youtube_job(demo, admin, youtube, mp4(30))
    account = ChannelAccount.objects.get(organization=admin.organization, channel="youtube")
    # Six uploads today spent 9 600 of the 10 000 units: a seventh waits for tomorrow.
    now = timezone.now()
    QuotaUse.objects.bulk_create([QuotaUse(account=account, at=now, units=1600)] * 6)
    assert runner.run(job.pk, now=now) == "deferred"
    job.refresh_from_db()
    midnight = YouTube(account).quota_window_start(now) + dt.timedelta(days=1)
    assert job.run_after == midnight and job.error_code == "quota"
    assert youtube.sessions == {}
    # YouTube's own count (another app used the project's quota) is honoured too.
    QuotaUse.objects.all().delete()
    youtube.units_used = 9_000
    assert runner.run(job.pk, now=later(job)) == "retry"
    job.refresh_from_db()
    assert job.error_code == "quota" and job.status == "queued"
    assert job.run_after >= YouTube(account).quota_window_start(timezone.now()) + dt.timedelta(
        days=1
    )


@pytest.mark.django_db
def test_youtube_expired_token(demo, admin, youtube):
    job = youtube_job(demo, admin, youtube, mp4(30), credentials={"access_token": "ya29.old"})
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "token_rejected" and job.response["error"]["status"] == (
        "UNAUTHENTICATED"
    )


@pytest.mark.django_db
def test_youtube_needs_one_video(demo, admin, youtube):
    # YouTube was posted by hand while the poster was reviewed (its rules did not stop the
    # review); connected since, its rules stop the post before anything is sent.
    ChannelAccount.objects.filter(organization=admin.organization, channel="youtube").delete()
    case = rspon_at_upload(demo, (image(), "poster.jpg", "image/jpeg"), drop_unfit=False)
    connect(admin, "youtube", "youtube", youtube.url, account_id="UCsandbox")
    job = publish(case, demo["rspon-tim-humas"], ["youtube"])["youtube"]
    assert job.status == "failed" and job.error_code == "rules"
    assert job.error_args["problems"][0]["message"] == "It needs a video."
    assert youtube.calls == []


# -- TikTok ----------------------------------------------------------------------------------


@pytest.fixture
def tiktok():
    with TikTokSandbox() as sandbox:
        sandbox.min_chunk, sandbox.max_chunk = 128 * 1024, 1024 * 1024
        yield sandbox


def tiktok_job(demo, admin, tiktok, video: bytes, **fields):
    connect(admin, "tiktok", "tiktok", tiktok.url, handle="@poltekkesjkt2", **fields)
    humas = demo["poltekkes-jkt2-anggota"]
    case = poltekkes_at_upload(demo, (video, "dies.mp4", "video/mp4"), channels=["tiktok"])
    return publish(case, humas, ["tiktok"])["tiktok"]


@pytest.fixture
def poltekkes_admin(demo):
    return demo["poltekkes-jkt2-admin"]


@pytest.mark.django_db
def test_tiktok_uploads_in_chunks_and_posts(demo, poltekkes_admin, tiktok, small_chunks):
    video = mp4(45, payload=700_000)
    job = tiktok_job(demo, poltekkes_admin, tiktok, video)
    assert runner.run(job.pk) == "succeeded"
    [post] = tiktok.posts
    assert post["sha256"] == sha(video) and post["title"] == job.caption
    assert tiktok.count("PUT", r"^/video/$") == 2  # 256 KiB, then the rest
    job.refresh_from_db()
    assert job.platform_id == post["id"]
    assert job.permalink == f"{tiktok.url}/@poltekkesjkt2/video/{post['id']}"
    assert job.response["status"] == "PUBLISH_COMPLETE"


@pytest.mark.django_db
def test_tiktok_timeout_on_the_last_chunk_is_reconciled_by_status(
    demo, poltekkes_admin, tiktok, small_chunks
):
    video = mp4(45, payload=700_000)
    job = tiktok_job(demo, poltekkes_admin, tiktok, video)
    tiktok.fail(
        r"^/video/$",
        "accept_then_hang",
        method="PUT",
        hang=2.5,
        headers_match={"Content-Range": rf"-{len(video) - 1}/{len(video)}$"},
    )
    assert runner.run(job.pk) == "unknown"
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    assert len(tiktok.posts) == 1 and tiktok.count("POST", r"/video/init/$") == 1
    assert tiktok.count("PUT", r"^/video/$") == 2


@pytest.mark.django_db
def test_tiktok_requests_per_minute_are_respected(demo, poltekkes_admin, tiktok):
    from siaran.publishing.models import QuotaUse

    job = tiktok_job(demo, poltekkes_admin, tiktok, mp4(45))
    account = ChannelAccount.objects.get(
        organization=poltekkes_admin.organization, channel="tiktok"
    )
    now = timezone.now()
    first = now - dt.timedelta(seconds=50)
    QuotaUse.objects.bulk_create(
        [QuotaUse(account=account, at=first + dt.timedelta(seconds=i)) for i in range(6)]
    )
    assert runner.run(job.pk, now=now) == "deferred"
    job.refresh_from_db()
    assert job.run_after == first + dt.timedelta(seconds=61)
    assert tiktok.calls == []
    assert runner.run(job.pk, now=later(job)) == "succeeded"


@pytest.mark.django_db
def test_tiktok_rejected_token(demo, poltekkes_admin, tiktok):
    job = tiktok_job(demo, poltekkes_admin, tiktok, mp4(45), credentials={"access_token": "act.x"})
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "token_rejected" and job.response["error"]["code"] == (
        "access_token_invalid"
    )


# -- Facebook --------------------------------------------------------------------------------


@pytest.fixture
def facebook():
    with FacebookSandbox() as sandbox:
        yield sandbox


def facebook_job(demo, admin, facebook, *files):
    connect(admin, "facebook", "facebook", facebook.url, account_id="1000000000000001")
    case = rspon_at_upload(demo, *files)
    return publish(case, demo["rspon-tim-humas"], ["facebook"])["facebook"]


@pytest.mark.django_db
def test_facebook_posts_text_to_the_page_feed(demo, admin, facebook):
    job = facebook_job(demo, admin, facebook)
    assert runner.run(job.pk) == "succeeded"
    [post] = facebook.posts
    job.refresh_from_db()
    assert job.platform_id == post["id"] and post["message"] == job.caption
    assert job.permalink == post["permalink_url"]


@pytest.mark.django_db
def test_facebook_posts_several_photos_as_one_post(demo, admin, facebook):
    first, second = image(1200, 630), image(1080, 1080, "PNG")
    job = facebook_job(
        demo, admin, facebook, (first, "a.jpg", "image/jpeg"), (second, "b.png", "image/png")
    )
    assert runner.run(job.pk) == "succeeded"
    [post] = facebook.posts
    assert [facebook.photos[p]["sha256"] for p in post["attached"]] == [sha(first), sha(second)]


@pytest.mark.django_db
def test_facebook_streams_a_video_in_transfer_chunks(demo, admin, facebook):
    facebook.chunk = 200_000
    video = mp4(90, payload=700_000)
    job = facebook_job(demo, admin, facebook, (video, "v.mp4", "video/mp4"))
    assert runner.run(job.pk) == "succeeded"
    [made] = facebook.videos.values()
    assert made["published"] and made["received"].sha256 == sha(video)
    assert facebook.count("POST", r"/videos$") == 1 + 4 + 1  # start, 4 transfers, finish
    job.refresh_from_db()
    assert job.platform_id == made["id"]
    assert job.permalink == f"{facebook.url}/1000000000000001/videos/{made['id']}/"


@pytest.mark.django_db
def test_facebook_timeout_after_the_post_is_reconciled_from_the_feed(demo, admin, facebook):
    job = facebook_job(demo, admin, facebook, (image(1200, 630), "a.jpg", "image/jpeg"))
    facebook.fail(r"/photos$", "accept_then_hang", method="POST", hang=2.5)
    assert runner.run(job.pk) == "unknown"
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    job.refresh_from_db()
    assert len(facebook.posts) == 1 and job.platform_id == facebook.posts[0]["id"]
    assert facebook.count("POST", r"/photos$") == 1


@pytest.mark.django_db
def test_facebook_video_finish_lost_is_reconciled_from_the_video(demo, admin, facebook):
    video = mp4(90, payload=300_000)
    job = facebook_job(demo, admin, facebook, (video, "v.mp4", "video/mp4"))
    facebook.fail(
        r"/videos$",
        "accept_then_drop",
        method="POST",
        only_if=lambda response: response[1] == {"success": True},  # the finish phase
    )
    assert runner.run(job.pk) == "unknown"
    [made] = facebook.videos.values()
    assert made["published"]
    assert runner.run(job.pk, now=later(job)) == "succeeded"
    job.refresh_from_db()
    assert job.platform_id == made["id"] and len(facebook.videos) == 1
    assert facebook.count("POST", r"/videos$") == 1 + 1 + 1  # start, transfer, finish: once


@pytest.mark.django_db(transaction=True)
def test_instagram_without_a_public_address_says_so(demo, admin, instagram, settings):
    connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
    case = rspon_at_upload(demo, (image(1080, 1080), "a.jpg", "image/jpeg"))
    job = publish(case, demo["rspon-tim-humas"], ["instagram"])["instagram"]
    settings.SIARAN_BASE_URL = ""
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "no_public_url" and instagram.count("POST", r"/media$") == 0


@pytest.mark.django_db
def test_credentials_under_a_removed_key_stop_the_job_and_say_so(demo, admin, x, settings):
    connect(admin, "x", "x", x.url, account_id=RSPON_X)
    case = rspon_at_upload(demo)
    job = publish(case, demo["rspon-tim-humas"], ["x"])["x"]
    settings.SIARAN_CREDENTIALS_KEY = "x" * 43 + "="  # the old key is gone
    assert runner.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error_code == "no_credentials" and x.calls == []
