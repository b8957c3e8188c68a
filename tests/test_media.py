"""Media that fits the platform: facts, previews and renditions made on upload, sent in
the original's place to a platform that refuses it; the channels content cannot go to,
dropped or refused at the review; no retry for a failure of the content itself.

Every file is real, made here: PNGs and a HEIC with Pillow and pillow-heif, videos
encoded with PyAV. Files are added at the RSPON SOP's `edit` step, where content may
change, after the directors send the poster case back.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib

import av
import pytest
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image, ImageChops, ImageDraw, ImageOps

from siaran.cases import actions as case_actions
from siaran.cases.actions import ActionError
from siaran.cases.channels import case_channels_drop
from siaran.cases.models import Attachment, Case, CaseEvent
from siaran.publishing import actions as publishing_actions
from siaran.publishing import runner
from siaran.publishing.connectors import Facebook, Instagram, X
from siaran.publishing.connectors.graph import GraphConnector
from siaran.publishing.fit import channels_unfit, content_fit_refusal
from siaran.publishing.media import MediaFile
from siaran.publishing.models import ChannelAccount, PublishJob
from siaran.publishing.sandbox import FacebookSandbox, InstagramSandbox, XSandbox
from tests.publishing import connect, siaran_server, upload

RSPON_IG = "17841400000000001"
RSPON_X = "1500000000000000001"


# -- real files ------------------------------------------------------------------------------


def poster_png(width: int = 1080, height: int = 1080) -> bytes:
    """A poster as a design tool exports it: RGBA, shapes, text, a transparent margin."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, width - 20, height - 20), fill=(11, 94, 168, 255))
    draw.ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(250, 200, 0))
    draw.text((60, height // 2), "Hari Stroke Sedunia", fill=(255, 255, 255), font_size=48)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png(side: int = 13_000) -> bytes:
    """A valid PNG of side x side black pixels, a few hundred kilobytes on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte and one grey byte per pixel
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def heic(width: int = 1200, height: int = 900) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 140, 90)).save(buffer, "HEIF", quality=60)
    return buffer.getvalue()


def video(
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    *,
    codec: str = "mpeg4",
    container: str = "mp4",
    rotation: int | None = None,
) -> bytes:
    """A real video, each frame a flat colour whose red is its index (x 4)."""
    fps = 25
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation is not None:  # a phone held upright: stored landscape, shown portrait
            stream.set_display_rotation(rotation)
        for index in range(int(seconds * fps)):
            frame = Image.new("RGB", (width, height), (index * 4 % 256, 60, 120))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()


def jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


def stored(field) -> bytes:
    with default_storage.open(field.name, "rb") as file:
        return file.read()


# -- a case whose content is being edited ------------------------------------------------------


@pytest.fixture
def quick(settings, monkeypatch):
    settings.SIARAN_PUBLISH_TIMEOUT = 2.0
    monkeypatch.setattr(GraphConnector, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(X, "POLL_SECONDS", 0.05)


def at_edit(demo, channels: list[str] | None = None) -> Case:
    """The demo's poster case, sent back by the directors: at the PR team's edit step."""
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    case_actions.case_decide(
        person=demo["rspon-direksi"], case_id=case.pk, outcome="tidak", note="Perbaiki poster."
    )
    if channels is not None:
        Case.objects.filter(pk=case.pk).update(channels=channels)
    for old in version(case).media.all():  # the demo's own poster: each test brings its files
        case_actions.version_media_remove(
            person=demo["rspon-tim-humas"], case_id=case.pk, attachment_id=old.pk
        )
    case.refresh_from_db()
    assert case.current_step == "edit"
    return case


def add(demo, case: Case, data: bytes, name: str, content_type: str) -> Attachment:
    return case_actions.attachment_add(
        person=demo["rspon-tim-humas"], case_id=case.pk, upload=upload(data, name, content_type)
    )


def to_review(demo, case: Case) -> Case:
    """From the edit step to the directors' review."""
    for lane in ("tim-humas", "subkoor-humas", "koordinator-umum"):
        case_actions.case_decide(person=demo[f"rspon-{lane}"], case_id=case.pk, outcome="done")
    case.refresh_from_db()
    assert case.current_step == "director-review"
    return case


def version(case: Case):
    return case.versions.order_by("-number").first()


# -- images ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_png_poster_gets_its_facts_a_preview_and_a_jpeg_for_instagram(demo, client):
    case = at_edit(demo, ["instagram", "facebook", "x"])
    data = poster_png()
    poster = add(demo, case, data, "poster.png", "image/png")
    assert (poster.width, poster.height, poster.seconds) == (1080, 1080, None)
    assert jpeg_size(stored(poster.preview)) == (1080, 1080)
    # Facebook and X take the PNG as it is; Instagram takes JPEG only: one copy.
    [rendition] = poster.renditions.all()
    assert rendition.content_type == "image/jpeg" and rendition.extension == ".jpg"
    assert (rendition.width, rendition.height) == (1080, 1080)
    body = stored(rendition.file)
    assert jpeg_size(body) == (1080, 1080) and len(body) == rendition.size
    assert rendition.sha256 == hashlib.sha256(body).hexdigest() and rendition.key != poster.key
    with Image.open(io.BytesIO(body)) as image:
        assert image.getpixel((2, 2)) > (240, 240, 240)  # the transparent margin: white
    # The original is the content; the copy is nobody's file.
    assert list(version(case).media.all()) == [poster]
    assert poster.sha256 == hashlib.sha256(data).hexdigest()
    added = CaseEvent.objects.filter(case=case, kind="file_added").latest("seq")
    assert added.data["file"] == poster.key
    client.force_login(demo["rspon-tim-humas"].user)
    page = client.get(f"/cases/{case.pk}/")
    assert list(page.context["media"]) == [poster]  # the copy is not listed
    assert all(a.original_id is None for a in page.context["attachments"])
    preview = client.get(f"/cases/{case.pk}/files/{poster.key}/preview/")
    assert preview.status_code == 200 and preview["Content-Type"] == "image/jpeg"
    assert b"".join(preview.streaming_content) == stored(poster.preview)
    assert client.get(f"/cases/{case.pk}/files/{rendition.key}/preview/").status_code == 404
    client.force_login(demo["poltekkes-jkt2-admin"].user)  # another institution
    assert client.get(f"/cases/{case.pk}/files/{poster.key}/preview/").status_code == 404
    media = [MediaFile(poster)]
    assert Instagram.select_media(media)[0].id == rendition.pk
    assert Facebook.select_media(media)[0].id == poster.pk
    assert X.select_media(media)[0].id == poster.pk


@pytest.mark.django_db
def test_renditions_are_padded_to_the_nearest_proportion_and_shared_by_channels(demo):
    case = at_edit(demo, ["instagram", "facebook", "x"])
    wide = add(demo, case, poster_png(1500, 500), "banner.png", "image/png")  # 3:1
    [rendition] = wide.renditions.all()  # Facebook and X take a 3:1 PNG as it is
    assert rendition.width == 1500 and 1.905 <= rendition.width / rendition.height <= 1.91
    assert jpeg_size(stored(rendition.file)) == (rendition.width, rendition.height)
    with Image.open(default_storage.open(rendition.file.name)) as image:
        assert image.getpixel((750, 5)) > (240, 240, 240)  # padded above, not cropped
        assert image.getpixel((40, rendition.height // 2))[2] > 100  # the poster, whole
    tall = add(demo, case, poster_png(600, 1200), "tall.png", "image/png")  # 1:2
    [rendition] = tall.renditions.all()
    assert (rendition.width, rendition.height) == (960, 1200)  # 4:5, padded at the sides
    # A HEIC from a phone: no platform takes it; one JPEG serves all three.
    photo = add(demo, case, heic(1200, 900), "IMG_0001.HEIC", "image/heic")
    assert photo.content_type == "image/heic" and (photo.width, photo.height) == (1200, 900)
    assert jpeg_size(stored(photo.preview)) == (1080, 810)
    [rendition] = photo.renditions.all()
    assert (rendition.width, rendition.height) == (1200, 900) and rendition.name == "IMG_0001.jpg"
    for platform in (Instagram, Facebook, X):
        assert platform.select_media([MediaFile(photo)])[0].id == rendition.pk
    assert not channels_unfit(case, version(case))


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused_from_its_header_and_nothing_is_kept(demo):
    case = at_edit(demo)
    data = bomb_png()
    assert len(data) < 300_000
    before = set(default_storage.listdir(f"cases/{case.pk}")[1]) if _exists(case) else set()
    files, events = Attachment.objects.filter(case=case).count(), CaseEvent.objects.count()
    started = time.perf_counter()
    with pytest.raises(ActionError) as refused:
        add(demo, case, data, "poster.png", "image/png")
    assert time.perf_counter() - started < 1.0
    assert refused.value.status == 422 and refused.value.code == "image_too_large"
    assert Attachment.objects.filter(case=case).count() == files
    after = set(default_storage.listdir(f"cases/{case.pk}")[1]) if _exists(case) else set()
    assert after == before
    assert CaseEvent.objects.count() == events


def _exists(case: Case) -> bool:
    return default_storage.exists(f"cases/{case.pk}")


def photo_poster(width: int = 4000, height: int = 3000) -> bytes:
    """A poster with a photo's grain, as a camera or a designer's export at full size:
    gradients, shapes, text and noise, about 12 MB as a JPEG of quality 97."""
    base = Image.linear_gradient("L").resize((width, height))
    flipped = base.transpose(Image.Transpose.ROTATE_180)
    picture = Image.merge("RGB", (base, ImageOps.invert(base), flipped))
    draw = ImageDraw.Draw(picture)
    for i in range(12):
        box = (i * 300, i * 200, i * 300 + 900, i * 200 + 700)
        draw.ellipse(box, fill=(30 * i % 255, 120, 200 - 10 * i))
    draw.text((200, 1400), "Hari Stroke Sedunia", fill=(255, 255, 255), font_size=220)
    grain = Image.effect_noise((width, height), 40).convert("RGB")
    picture = ImageChops.add(picture, grain, 1, -128)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=97)
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_large_poster_has_a_light_preview(demo):
    case = at_edit(demo, ["facebook", "instagram"])
    data = photo_poster()
    assert len(data) > 10_000_000
    started = time.perf_counter()
    poster = add(demo, case, data, "poster.jpg", "image/jpeg")
    took = time.perf_counter() - started
    preview = stored(poster.preview)
    assert (poster.width, poster.height) == (4000, 3000)
    assert jpeg_size(preview) == (1080, 810) and len(preview) < 300_000
    # Facebook takes it as it is (at most 10 MB); Instagram at most 8 MB: a smaller copy.
    [rendition] = poster.renditions.all()
    assert (rendition.width, rendition.height) == (2048, 1536)
    assert rendition.size < 8 * 2**20
    print(f"\n{len(data)} B poster: preview {len(preview)} B, copy {rendition.size} B, {took:.2f}s")


# -- videos ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_video_gets_its_length_size_and_a_poster_frame(demo):
    case = at_edit(demo)
    clip = add(demo, case, video(2.0), "stroke.mp4", "video/mp4")
    assert (clip.width, clip.height) == (320, 240)
    assert clip.seconds == pytest.approx(2.0, abs=0.1)
    preview = stored(clip.preview)
    assert jpeg_size(preview) == (320, 240)
    with Image.open(io.BytesIO(preview)) as image:
        red = image.getpixel((160, 120))[0]
    assert 4 < red < 26 * 4  # a frame before 1 s, not the first one
    assert not clip.renditions.exists()
    assert MediaFile(clip).info.seconds == clip.seconds


@pytest.mark.django_db
def test_a_phone_video_is_portrait_and_a_broken_one_is_kept_without_facts(demo):
    case = at_edit(demo)
    phone = add(
        demo,
        case,
        video(1.0, 320, 240, codec="libx264", container="mov", rotation=90),
        "IMG_0002.MOV",
        "video/quicktime",
    )
    assert phone.content_type == "video/quicktime"
    assert (phone.width, phone.height) == (240, 320)
    assert jpeg_size(stored(phone.preview)) == (240, 320)
    webm = add(demo, case, video(1.0, codec="libvpx-vp9", container="webm"), "a.webm", "video/webm")
    assert (webm.width, webm.height) == (320, 240) and webm.preview
    data = video(1.0)
    broken = add(demo, case, data[:64] + bytes(2000), "broken.mp4", "video/mp4")
    assert broken.kind == "video" and broken.width is None and broken.seconds is None
    assert not broken.preview


# -- publishing ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_png_poster_is_published_to_instagram_facebook_and_x(demo, settings, quick):
    admin = demo["rspon-admin"]
    with (
        siaran_server() as url,
        InstagramSandbox() as instagram,
        FacebookSandbox() as facebook,
        XSandbox() as x,
    ):
        settings.SIARAN_BASE_URL = url  # Instagram fetches the media from Siaran
        connect(admin, "instagram", "instagram", instagram.url, account_id=RSPON_IG)
        connect(admin, "facebook", "facebook", facebook.url, account_id="1000000000000001")
        connect(admin, "x", "x", x.url, account_id=RSPON_X)
        case = at_edit(demo, ["instagram", "facebook", "x"])
        data = poster_png()
        poster = add(demo, case, data, "poster.png", "image/png")
        [rendition] = poster.renditions.all()
        assert content_fit_refusal(case, version(case)) is None
        case = to_review(demo, case)
        case_actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
        case_actions.case_decide(person=demo["rspon-tim-humas"], case_id=case.pk, outcome="publish")
        jobs = {job.channel: job for job in PublishJob.objects.filter(case=case)}
        assert {c: j.status for c, j in jobs.items()} == dict.fromkeys(jobs, "queued")
        assert jobs["instagram"].media == [rendition.pk]
        assert jobs["facebook"].media == jobs["x"].media == [poster.pk]
        for job in jobs.values():
            assert runner.run(job.pk) == "succeeded", job.channel
    [container] = instagram.containers.values()
    assert container["received"].sha256 == rendition.sha256  # a JPEG: the sandbox checks
    [post] = facebook.posts
    assert [facebook.photos[p]["sha256"] for p in post["attached"]] == [poster.sha256]
    assert len(x.tweets) == 1
    case.refresh_from_db()
    assert case.status == "published"


# -- channels the content cannot go to ------------------------------------------------------------


@pytest.mark.django_db
def test_a_poster_only_case_cannot_go_to_video_channels_which_are_dropped(demo, client):
    case = at_edit(demo, ["instagram", "facebook", "youtube", "tiktok"])
    add(demo, case, poster_png(), "poster.png", "image/png")
    unfit = channels_unfit(case, version(case))
    assert list(unfit) == ["youtube", "tiktok"]
    assert [p.message for p in unfit["youtube"]] == ["It needs a video."]
    assert str(unfit["youtube"][0]) == "Kanal ini memerlukan video."  # Bahasa Indonesia first
    humas = demo["rspon-tim-humas"]
    client.force_login(humas.user)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert page.context["channels_unfit"].keys() == {"youtube", "tiktok"}
    assert page.context["can_drop_channels"] is True
    with translation.override("en"):
        html = render_to_string(
            "publishing/_channel_fit.html",
            {
                "case": case,
                "channels_unfit": page.context["channels_unfit"],
                "can_drop_channels": True,
            },
        )
    assert "YouTube" in html and "TikTok" in html and "It needs a video." in html
    assert f"/cases/{case.pk}/channels/drop/" in html and 'value="tiktok"' in html
    # Someone not at this step may not; nor may every channel go.
    with pytest.raises(ActionError) as refused:
        case_channels_drop(person=demo["rspon-direksi"], case_id=case.pk, channels=["youtube"])
    assert refused.value.status == 403
    with pytest.raises(ActionError) as refused:
        case_channels_drop(person=humas, case_id=case.pk, channels=list(case.channels))
    assert refused.value.status == 422 and refused.value.code == "last_channel"
    response = client.post(f"/cases/{case.pk}/channels/drop/", {"channels": ["youtube", "tiktok"]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.channels == ["instagram", "facebook"]
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.kind == "channels_dropped" and event.actor == humas
    assert event.data == {"dropped": ["youtube", "tiktok"], "channels": ["instagram", "facebook"]}
    assert not channels_unfit(case, version(case))


@pytest.mark.django_db
def test_a_review_cannot_pass_content_an_api_channel_refuses(demo):
    admin = demo["rspon-admin"]
    connect(admin, "youtube", "youtube", "http://127.0.0.1:9")
    connect(admin, "instagram", "instagram", "http://127.0.0.1:9", account_id=RSPON_IG)
    case = at_edit(demo, ["instagram", "facebook", "youtube"])
    add(demo, case, poster_png(), "poster.png", "image/png")
    case = to_review(demo, case)
    with translation.override("en"):
        refusal = content_fit_refusal(case, version(case))
    assert refusal.status == 422 and refusal.code == "content_breaks_rules"
    assert "YouTube" in refusal.message and "It needs a video." in refusal.message
    assert "Instagram" not in refusal.message  # its rendition fits
    # Posted by hand, YouTube is a person's to judge; Facebook has no account: by hand too.
    connect(admin, "youtube", "manual")
    assert content_fit_refusal(case, version(case)) is None


# -- retry only what a retry can fix ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_failure_of_the_content_offers_no_retry(demo, client):
    admin, humas = demo["rspon-admin"], demo["rspon-tim-humas"]
    # Instagram is posted by hand while the content is reviewed (its rules do not stop
    # the review), then connected: publishing checks its rules and refuses.
    ChannelAccount.objects.filter(organization=admin.organization, channel="instagram").delete()
    connect(admin, "facebook", "facebook", "http://127.0.0.1:9", account_id="1000000000000001")
    case = at_edit(demo, ["facebook", "instagram"])
    add(demo, case, poster_png(), "poster.png", "image/png")
    case_actions.content_save(
        person=humas, case_id=case.pk, title="Hari Stroke Sedunia", narrative="Stroke. " * 300
    )
    case = to_review(demo, case)
    case_actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
    connect(admin, "instagram", "instagram", "http://127.0.0.1:9", account_id=RSPON_IG)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish")
    jobs = {job.channel: job for job in PublishJob.objects.filter(case=case)}
    assert jobs["instagram"].status == "failed" and jobs["instagram"].error_code == "rules"
    PublishJob.objects.filter(pk=jobs["facebook"].pk).update(status="failed", error_code="server")
    with pytest.raises(ActionError) as refused:
        publishing_actions.publication_retry(person=humas, case_id=case.pk, channel="instagram")
    assert refused.value.status == 422 and refused.value.code == "not_retryable"
    client.force_login(humas.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/publications/instagram/retry/" not in page
    assert f"/cases/{case.pk}/publications/facebook/retry/" in page  # the platform's trouble
    assert "Ulangi hanya mengirim konten yang sama" in page
    assert f"/cases/{case.pk}/publications/instagram/done/" in page  # by hand instead
    job = publishing_actions.publication_retry(person=humas, case_id=case.pk, channel="facebook")
    assert job.status == "queued"
