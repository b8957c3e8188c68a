"""The forms people fill in: the start form in one go, notes, captions, confirmations,
paging of the cases they started; through the test client and the API."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Attachment, Case
from tests.test_api import post, token
from tests.test_pages import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
POLTEKKES = "poltekkes-jkt2-publikasi"


def png(name: str = "poster.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name: str = "surat.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def stored_files(settings) -> set:
    root = settings.MEDIA_ROOT
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


# -- 1. the note a send-back needs ------------------------------------------------------


@pytest.mark.django_db
def test_sending_back_without_a_note_says_a_note_is_required(client, demo):
    login(client, "rspon-direksi")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    refused = client.post(
        f"/cases/{case.pk}/decide/", {"outcome": "tidak", "seen": seen}, follow=True
    ).content.decode()
    assert "Tuliskan alasan mengapa konten dikembalikan." in refused
    assert "Tidak memerlukan catatan" not in refused
    case.refresh_from_db()
    assert case.current_step == "director-review"
    with translation.override("en"), pytest.raises(ActionError) as error:
        actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="tidak")
    assert error.value.message == "Write why the content is sent back."
    assert error.value.status == 422


def test_the_script_makes_the_note_required_only_for_the_button_that_needs_one():
    from tests.conftest import ROOT

    script = (ROOT / "siaran" / "static" / "siaran.js").read_text(encoding="utf-8")
    assert 'hasAttribute("data-note-required")' in script
    assert "window.confirm" in script and "data-confirm" in script


# -- 2. a caption is never cut ----------------------------------------------------------


@pytest.mark.django_db
def test_a_caption_over_the_limit_is_refused_not_cut(client, demo):
    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")  # at "edit"
    assert "instagram" in case.channels
    before = case.versions.order_by("-number").first().captions
    login(client, "rspon-tim-humas")
    typed = "Stroke bisa dicegah. " * 114 + "Akhir"  # 2,399 characters ...
    typed = typed + "x" * (2412 - len(typed))  # ... made 2,412
    response = client.post(
        f"/cases/{case.pk}/content/",
        {"title": "Video", "caption_instagram": typed},
        follow=True,
    )
    page = response.content.decode()
    assert "Keterangan untuk Instagram terlalu panjang: 2.412 karakter; paling banyak 2.200." in (
        page
    )
    assert case.versions.order_by("-number").first().captions == before  # nothing saved
    assert typed in page  # shown again as typed, for the officer to shorten
    assert "instagram terlalu" not in page
    again = client.get(f"/cases/{case.pk}/").content.decode()
    assert typed not in again  # the draft is shown once

    with translation.override("en"), pytest.raises(ActionError) as error:
        actions.content_save(
            person=demo["rspon-tim-humas"],
            case_id=case.pk,
            title="Video",
            captions={"instagram": typed, "x": "a" * 281},
        )
    assert error.value.code == "caption_too_long"
    assert "The caption for Instagram is too long: 2,412 characters; at most 2,200." in (
        error.value.message
    )
    assert "X (Twitter) is too long: 281 characters; at most 280." in error.value.message


@pytest.mark.django_db
def test_a_line_break_counts_once_as_the_page_counts_it(client, demo):
    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")
    login(client, "rspon-tim-humas")
    caption = "a\r\n" * 140  # 280 characters once the browser's CRLF is one line break
    client.post(f"/cases/{case.pk}/content/", {"title": "Video", "caption_x": caption})
    assert case.versions.order_by("-number").first().captions["x"] == "a\n" * 140


# -- 3. confirmation before withdrawing --------------------------------------------------


@pytest.mark.django_db
def test_withdraw_asks_first_naming_the_case(client, demo):
    starter = demo["poltekkes-jkt2-pengarah"]
    title = "Lomba <Poster> Gizi's"  # an apostrophe cannot end the attribute
    case = actions.case_start(person=starter, sop_id=POLTEKKES, title=title)
    form = render_to_string("cases/_withdraw_form.html", {"case": case})
    assert """data-confirm='Tarik kasus "Lomba &lt;Poster&gt; Gizi&#x27;s"?""" in form
    assert f'action="/cases/{case.pk}/withdraw/"' in form

    login(client, "poltekkes-jkt2-pengarah")
    asked = client.post(f"/cases/{case.pk}/withdraw/")  # no script asked: the server does
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'Tarik kasus "Lomba &lt;Poster&gt; Gizi&#x27;s"?' in page
    assert 'name="confirmed" value="1"' in page and 'name="note"' in page
    case.refresh_from_db()
    assert case.status == "active"

    done = client.post(
        f"/cases/{case.pk}/withdraw/", {"confirmed": "1", "note": "Acara batal"}, follow=True
    )
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert "Kasus telah ditarik." in done.content.decode()
    assert case.events.get(kind="case_withdrawn").note == "Acara batal"


@pytest.mark.django_db
def test_withdraw_of_a_case_one_cannot_see_is_404(client, demo):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")  # RSPON's
    login(client, "poltekkes-jkt2-pengarah")
    assert client.post(f"/cases/{case.pk}/withdraw/").status_code == 404


# -- 4. paging of the cases I started ---------------------------------------------------


@pytest.mark.django_db
def test_the_cases_i_started_page_by_twenty(client, demo):
    starter = demo["poltekkes-jkt2-pengarah"]
    Case.objects.filter(created_by=starter).delete()
    for number in range(25):
        actions.case_start(person=starter, sop_id=POLTEKKES, title=f"Mulai {number:02d}")
    login(client, "poltekkes-jkt2-pengarah")

    def started(page: str) -> list[str]:
        part = page.split('id="started-cases"')[1].split("</ul>")[0]
        return re.findall(r">(Mulai \d\d)</a>", part)

    first = client.get("/tasks/").content.decode()
    assert len(started(first)) == 20 and "Mulai 24" in started(first)
    assert "?mine_page=2" in first and "Berikutnya" in first
    assert "text-bg-primary" in first.split('id="started-cases"')[1]  # a status badge
    second = client.get("/tasks/?mine_page=2").content.decode()
    assert started(second) == [f"Mulai {n:02d}" for n in range(4, -1, -1)]
    assert "?mine_page=1" in second and "Sebelumnya" in second
    assert "?mine_page=3" not in second
    assert client.get("/tasks/?mine_page=x").status_code == 200


# -- 5. at least one channel -------------------------------------------------------------


@pytest.mark.django_db
def test_a_start_with_no_channel_is_refused_on_the_page_and_in_the_api(client, demo):
    login(client, "poltekkes-jkt2-pengarah")
    response = client.post("/cases/new/", {"sop": POLTEKKES, "title": "Tanpa kanal"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Pilih paling sedikit satu kanal." in page
    assert 'value="Tanpa kanal"' in page  # what was typed stays
    assert not Case.objects.filter(title="Tanpa kanal").exists()

    auth = token(client, "poltekkes-jkt2-pengarah")
    refused = post(
        client, "/api/v1/cases", {"sop": POLTEKKES, "title": "Tanpa kanal", "channels": []}, auth
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "Pilih paling sedikit satu kanal.",
        "code": "channels_required",
    }
    assert not Case.objects.filter(title="Tanpa kanal").exists()

    every = post(client, "/api/v1/cases", {"sop": POLTEKKES, "title": "Semua kanal"}, auth)
    assert every.status_code == 201
    assert len(Case.objects.get(title="Semua kanal").channels) == 5  # absent: all of them


# -- 6. the start form in one go --------------------------------------------------------


@pytest.mark.django_db
def test_the_start_form_shows_a_caption_per_channel_and_a_file_field(client, demo):
    login(client, "poltekkes-jkt2-pengarah")
    form = client.get("/cases/new/").content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<label class="form-label" for="id_files">', form)
    assert re.search(r'<input[^>]*type="file"[^>]*id="id_files"[^>]*name="files" multiple', form)
    assert 'data-caption-for="instagram"' in form
    assert 'name="caption_instagram"' in form and 'data-counter="2200"' in form
    assert 'for="id_caption_instagram"' in form and "Keterangan untuk Instagram" in form
    assert "maxlength" not in form.split('id="id_caption_instagram"')[1].split(">")[0]
    assert 'for="id_hashtags"' in form


@pytest.mark.django_db
def test_the_start_form_writes_version_one_with_its_files(client, demo, settings):
    login(client, "poltekkes-jkt2-pengarah")
    files_before = stored_files(settings)  # the demo's own
    response = client.post(
        "/cases/new/",
        {
            "sop": POLTEKKES,
            "title": "Wisuda 2027",
            "description": "Liputan wisuda angkatan 2027.",
            "channels": ["instagram", "website"],
            "caption_instagram": "Selamat para wisudawan!\r\nSampai jumpa.",
            "caption_website": "Berita wisuda.",
            "caption_x": "not a chosen channel",
            "hashtags": "#wisuda #poltekkes",
            "files": [png(), pdf("surat undangan.pdf")],
        },
    )
    case = Case.objects.get(title="Wisuda 2027")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.channels == ["instagram", "website"] and case.current_step == "direction"
    version = case.versions.get()
    assert version.number == 1 and version.narrative == "Liputan wisuda angkatan 2027."
    assert version.captions == {
        "instagram": "Selamat para wisudawan!\nSampai jumpa.",
        "website": "Berita wisuda.",
    }
    assert version.hashtags == "#wisuda #poltekkes"
    files = {a.kind: a for a in case.attachments.filter(original=None)}  # not platform copies
    assert set(files) == {"image", "document"}
    assert files["document"].name == "surat_undangan.pdf"
    assert [a.pk for a in version.media.all()] == [files["image"].pk]  # the image, not the PDF
    assert files["image"].step_id == "direction" and files["image"].file.read()[:4] == b"\x89PNG"
    kept = list(case.attachments.all())  # the files, and the copies made for platforms
    assert stored_files(settings) - files_before == {
        settings.MEDIA_ROOT / a.file.name for a in kept
    } | {settings.MEDIA_ROOT / a.preview.name for a in kept if a.preview}
    kinds = list(case.events.order_by("seq").values_list("kind", flat=True))
    assert kinds.count("file_added") == 2


@pytest.mark.django_db
def test_a_bad_file_refuses_the_whole_start(client, demo, settings):
    login(client, "poltekkes-jkt2-pengarah")
    cases, attachments = Case.objects.count(), Attachment.objects.count()
    files_before = stored_files(settings)
    response = client.post(
        "/cases/new/",
        {
            "sop": POLTEKKES,
            "title": "Berkas salah",
            "channels": ["instagram"],
            "caption_instagram": "Keterangan yang tetap",
            "files": [png(), SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>")],
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "bukan PDF" in page
    assert "Keterangan yang tetap" in page  # what was typed stays
    assert Case.objects.count() == cases and Attachment.objects.count() == attachments
    assert stored_files(settings) == files_before


@pytest.mark.django_db
def test_a_file_that_fails_to_be_written_leaves_no_case_and_no_file(demo, settings, monkeypatch):
    """A later file failing after an earlier one was stored: everything is undone."""
    calls = []
    original = actions._record

    def fail_second(person, case, kind, **fields):
        if kind == "file_added":
            calls.append(kind)
            if len(calls) == 2:
                raise RuntimeError("disk full")
        return original(person, case, kind, **fields)

    monkeypatch.setattr(actions, "_record", fail_second)
    files_before = stored_files(settings)
    with pytest.raises(RuntimeError):
        actions.case_start(
            person=demo["poltekkes-jkt2-pengarah"],
            sop_id=POLTEKKES,
            title="Setengah jalan",
            uploads=[png(), pdf()],
        )
    assert not Case.objects.filter(title="Setengah jalan").exists()
    assert len(calls) == 2  # the first file was stored before the second failed
    assert stored_files(settings) == files_before


@pytest.mark.django_db
def test_the_api_starts_a_case_with_captions_and_hashtags(client, demo):
    auth = token(client, "poltekkes-jkt2-pengarah")
    created = post(
        client,
        "/api/v1/cases",
        {
            "sop": POLTEKKES,
            "title": "Dies Natalis",
            "description": "Perayaan.",
            "channels": ["instagram", "website"],
            "captions": {"instagram": "Dirgahayu!", "tiktok": "not chosen"},
            "hashtags": "#diesnatalis",
        },
        auth,
    )
    assert created.status_code == 201, created.content
    version = Case.objects.get(title="Dies Natalis").versions.get()
    assert version.captions == {"instagram": "Dirgahayu!"}
    assert version.hashtags == "#diesnatalis"
    long = post(
        client,
        "/api/v1/cases",
        {"sop": POLTEKKES, "title": "Terlalu panjang", "captions": {"tiktok": "a" * 2201}},
        auth,
    )
    assert long.status_code == 422 and long.json()["code"] == "caption_too_long"
    assert long.json()["detail"].startswith("Keterangan untuk TikTok terlalu panjang: 2.201")
    assert not Case.objects.filter(title="Terlalu panjang").exists()
