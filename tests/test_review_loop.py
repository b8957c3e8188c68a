"""The review loop through the API, as another program walks it: a design tool's PNG
poster made at the content step, reviewed, frozen once approved, and published to
Instagram, Facebook and X on the sandboxes exactly as approved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaran.cases.models import Attachment, Case, ContentVersion
from siaran.publishing import runner
from siaran.publishing.connectors.graph import GraphConnector
from siaran.publishing.connectors.x import X
from siaran.publishing.models import PublishJob
from siaran.publishing.sandbox.facebook import FacebookSandbox
from siaran.publishing.sandbox.instagram import InstagramSandbox
from siaran.publishing.sandbox.x import XSandbox
from tests.publishing import WALKS, connect, image, siaran_server
from tests.test_api import token

# Where each SOP's content is made, and a review step before the approval.
CONTENT_STEP = {"rspon-medsos": "produce", "poltekkes-jkt2-publikasi": "design"}


@pytest.fixture
def platforms(settings, monkeypatch):
    settings.SIARAN_PUBLISH_TIMEOUT = 2.0
    monkeypatch.setattr(GraphConnector, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(X, "POLL_SECONDS", 0.05)
    with (
        siaran_server() as url,
        InstagramSandbox() as instagram,
        FacebookSandbox() as facebook,
        XSandbox() as x,
    ):
        settings.SIARAN_BASE_URL = url  # Instagram fetches the media from Siaran
        yield {"instagram": instagram, "facebook": facebook, "x": x}


def _connect(demo, slug: str, sop_id: str, sandboxes: dict) -> None:
    admin = demo[f"{slug}-admin"]
    channels = ["instagram", "facebook"] + (["x"] if sop_id == "rspon-medsos" else [])
    for channel in channels:
        sandbox = sandboxes[channel]
        account = sandbox.demo_account_id(admin.organization_id)
        connect(admin, channel, channel, sandbox.url, account_id=account)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("sop_id", "slug", "channels"),
    [
        ("rspon-medsos", "rspon", ["instagram", "facebook", "x"]),
        ("poltekkes-jkt2-publikasi", "poltekkes-jkt2", ["instagram", "facebook"]),
    ],
)
def test_a_png_poster_goes_out_exactly_as_approved(client, demo, platforms, sop_id, slug, channels):
    _connect(demo, slug, sop_id, platforms)
    walk = WALKS[sop_id]
    auth = {username: token(client, username) for username, _outcome in walk.values()}
    starter = walk[next(iter(walk))][0]
    created = client.post(
        "/api/v1/cases",
        {"sop": sop_id, "title": "Hari Kesehatan Nasional", "channels": channels},
        content_type="application/json",
        **auth[starter],
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/cases/{created.json()['id']}"
    poster = image(1080, 1080, "PNG")  # as a design tool exports it
    for _ in range(12):
        case = client.get(url, **auth[starter]).json()
        step = case["step"]
        if step is None or case["status"] == "publishing":
            break
        username, outcome = walk[step["id"]]
        me = auth[username]
        if step["id"] == CONTENT_STEP[sop_id]:
            added = client.post(
                f"{url}/attachments",
                {"file": SimpleUploadedFile("poster-hkn.png", poster, "image/png")},
                **me,
            )
            assert added.status_code == 201, added.content
            saved = client.put(
                f"{url}/content",
                {
                    "title": "Hari Kesehatan Nasional",
                    "narrative": "Selamat Hari Kesehatan Nasional ke-62.",
                    "captions": {c: "Selamat Hari Kesehatan Nasional! #HKN62" for c in channels},
                    "hashtags": "#HKN62",
                },
                content_type="application/json",
                **me,
            )
            assert saved.status_code == 200, saved.content
        elif step["kind"] == "review":  # reviewers comment and send back; they do not edit
            refused = client.put(
                f"{url}/content",
                {"title": "Diubah oleh pemeriksa"},
                content_type="application/json",
                **me,
            )
            assert refused.status_code == 409 and refused.json()["code"] == "content_locked"
        body = {"outcome": outcome, "run": step["run"]}
        if outcome == "publish":
            body["channels"] = channels
            # Approved: content, files and their order are frozen for everyone.
            assert case["content"]["locked"] and case["content"]["approved_sha256"]
            frozen = [
                client.put(
                    f"{url}/content",
                    {"title": "Judul baru"},
                    content_type="application/json",
                    **me,
                ),
                client.post(
                    f"{url}/attachments",
                    {"file": SimpleUploadedFile("lain.png", image(800, 800, "PNG"), "image/png")},
                    **me,
                ),
                client.put(
                    f"{url}/media",
                    {"order": [m["id"] for m in case["content"]["media"]]},
                    content_type="application/json",
                    **me,
                ),
                client.delete(f"{url}/media/{case['content']['media'][0]['id']}", **me),
            ]
            assert [r.status_code for r in frozen] == [409] * 4
            assert {r.json()["code"] for r in frozen} == {"content_locked"}
        moved = client.post(url + "/actions", body, content_type="application/json", **me)
        assert moved.status_code == 200, moved.content
    case_id = created.json()["id"]
    version = ContentVersion.objects.get(case_id=case_id)
    jobs = {job.channel: job for job in PublishJob.objects.filter(case_id=case_id)}
    assert sorted(jobs) == sorted(channels)
    for job in jobs.values():
        assert job.content_sha256 == version.approved_sha256, job.channel
        assert runner.run(job.pk) == "succeeded", (job.channel, job.error_code, job.error_args)
    assert Case.objects.get(pk=case_id).status == "published"
    # What went out is what was approved: the poster to Instagram as a JPEG made from it.
    [post] = platforms["instagram"].media
    assert post["caption"].startswith("Selamat Hari Kesehatan Nasional!")
    [container] = platforms["instagram"].containers.values()
    [sent] = Attachment.objects.filter(pk__in=jobs["instagram"].media)
    assert sent.content_type == "image/jpeg" and sent.original.sha256 in {
        m.sha256 for m in version.media.all()
    }
    assert container["received"].sha256 == sent.sha256
    published = client.get(url, **auth[starter]).json()["publications"]
    assert {p["content_sha256"] for p in published} == {version.approved_sha256}


@pytest.mark.django_db
def test_the_api_drops_the_channels_a_poster_cannot_go_to(client, demo):
    from tests.test_media import at_edit

    case = at_edit(demo, ["instagram", "facebook", "youtube"])
    humas = token(client, "rspon-tim-humas")
    url = f"/api/v1/cases/{case.pk}"
    added = client.post(
        f"{url}/attachments",
        {"file": SimpleUploadedFile("poster.png", image(1080, 1080, "PNG"), "image/png")},
        **humas,
    )
    assert added.status_code == 201, added.content
    dropped = client.post(
        f"{url}/channels/drop", {"channels": ["youtube"]}, content_type="application/json", **humas
    )
    assert dropped.status_code == 200 and dropped.json()["channels"] == ["instagram", "facebook"]
    last = client.post(
        f"{url}/channels/drop",
        {"channels": ["instagram", "facebook"]},
        content_type="application/json",
        **humas,
    )
    assert last.status_code == 422 and last.json()["code"] == "last_channel"
