"""The archive: search, a case as one ZIP, and retention under the institution's JRA."""

import csv
import datetime as dt
import hashlib
import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.test import Client

from siaran.archive import actions as archive_actions
from siaran.archive.models import CaseRecord, RecordEvent
from siaran.archive.selectors import add_years, closed_on, retention_due, retention_of
from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Attachment, Case
from siaran.documents.models import ApprovalSheet
from tests.publishing import TEXT_ONLY
from tests.test_api import token
from tests.test_approval_sheet import PUBLISHED, pdf_text, verdict
from tests.test_cases import walk

FAR = dt.date(2045, 1, 1)  # a day when every demo case's retention has run out


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# -- export ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_holds_everything_the_archive_has(client, demo):
    case = Case.objects.get(title=PUBLISHED["poltekkes-jkt2"])
    archive = zip_of(
        client.get(f"/api/v1/cases/{case.pk}/export", **token(client, "poltekkes-jkt2-admin"))
    )
    assert archive.testzip() is None
    names = set(archive.namelist())
    sheet = ApprovalSheet.objects.get(case=case)  # issued for the export
    poster = case.attachments.get(kind="image", original=None)
    expected = {
        "README.txt",
        "case.json",
        "timeline.csv",
        "timeline.json",
        "comments.json",
        "published_links.csv",
        "published_links.json",
        "approval-sheets.json",
        f"approval-sheets/{sheet.code}.pdf",
        "versions/v1/content.json",
        f"files/001-{poster.name}",
        "manifest.json",
    }
    # Each post the demo made by hand, with its screenshot as proof.
    hand = case.publish_jobs.exclude(proof="")
    expected |= {f"proofs/{job.channel}{job.proof_extension}" for job in hand}
    assert hand.count() == len(case.channels) and names == expected
    for job in hand:
        assert archive.read(f"proofs/{job.channel}{job.proof_extension}") == job.proof.read()
    # The sheet inside is the one issued, naming every reviewer.
    text = pdf_text(archive.read(f"approval-sheets/{sheet.code}.pdf"))
    assert "Dr. Ratna Sari" in text and "NIP. 198001012005010001" in text
    # Each version: its content, and a digest anyone recomputes with the API guide's recipe.
    version = json.loads(archive.read("versions/v1/content.json"))
    canonical = json.dumps(
        version["content"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()
    assert hashlib.sha256(canonical).hexdigest() == version["sha256"] == sheet.content_sha256
    assert version["media_files"] == [f"files/001-{poster.name}"]
    assert archive.read(f"files/001-{poster.name}") == poster.file.read()
    # The timeline, as CSV for a spreadsheet and as JSON, with names and NIPs.
    rows = list(csv.DictReader(io.StringIO(archive.read("timeline.csv").decode("utf-8-sig"))))
    events = json.loads(archive.read("timeline.json"))
    assert len(rows) == len(events) == case.events.count()
    ratify = next(row for row in rows if row["step"] == "ratify" and row["kind"] == "step_done")
    assert ratify["actor"] == "Dr. Ratna Sari" and ratify["outcome"] == "ya"
    assert ratify["lane"] == "Pengarah" and ratify["seconds_taken"] != ""
    # Where it was published: the demo records each channel's post by hand, with its link.
    links = list(
        csv.DictReader(io.StringIO(archive.read("published_links.csv").decode("utf-8-sig")))
    )
    assert sorted(row["channel"] for row in links) == sorted(case.channels)
    assert all(row["url"] == f"https://demo.siaran.id/{row['channel']}/{case.pk}" for row in links)
    assert all(row["proof"].startswith(f"proofs/{row['channel']}.") for row in links)
    assert json.loads(archive.read("published_links.json")) == links
    about = json.loads(archive.read("case.json"))
    assert about["sop"]["number"] == "OT.02.02/F.XXXIV/0764/2025"
    assert about["status"] == "published" and about["retention"]["class"] == "HM.02.01"
    # The manifest's digests are those of the entries.
    manifest = json.loads(archive.read("manifest.json"))["entries"]
    assert {entry["path"] for entry in manifest} == names - {"manifest.json"}
    for entry in manifest:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
        assert "recorded_sha256" not in entry


@pytest.mark.django_db
def test_a_reworked_case_exports_every_version(client, demo):
    director = demo["poltekkes-jkt2-pengarah"]
    case = actions.case_start(
        person=director,
        sop_id="poltekkes-jkt2-publikasi",
        title="Seminar Kesehatan Gigi",
        channels=TEXT_ONLY["poltekkes-jkt2-publikasi"],
    )
    walk(case, demo, "poltekkes-jkt2", {"verify": [("tidak", "Perbaiki judul")], "upload": []})
    client.force_login(demo["poltekkes-jkt2-ketua-tim"].user)
    archive = zip_of(client.get(f"/cases/{case.pk}/export.zip"))
    assert {"versions/v1/content.json", "versions/v2/content.json"} <= set(archive.namelist())
    sheets = json.loads(archive.read("approval-sheets.json"))
    assert [sheet["status_at_export"] for sheet in sheets][-1] == "valid"
    assert sheets[-1]["version"] == 2 and sheets[-1]["final"]
    timeline = json.loads(archive.read("timeline.json"))
    assert any(e["kind"] == "sent_back" and e["note"] == "Perbaiki judul" for e in timeline)


@pytest.mark.django_db
def test_only_those_who_see_the_case_export_it(client, demo):
    case = Case.objects.get(title=PUBLISHED["rspon"])
    response = client.get(
        f"/api/v1/cases/{case.pk}/export", **token(client, "poltekkes-jkt2-admin")
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    client.force_login(demo["poltekkes-jkt2-admin"].user)
    assert client.get(f"/cases/{case.pk}/export.zip").status_code == 404
    assert client.get(f"/cases/{case.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_large_video_streams_through_the_export_without_filling_memory(client, demo):
    """64 MB of video leaves the ZIP a megabyte at a time: memory stays a few MB."""
    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")  # at "edit"
    size = 64 * 2**20
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * (size - 24)
    actions.attachment_add(
        person=demo["rspon-tim-humas"],
        case_id=case.pk,
        upload=SimpleUploadedFile("edukasi.mp4", video),
    )
    del video
    client.force_login(demo["rspon-admin"].user)
    response = client.get(f"/cases/{case.pk}/export.zip")
    assert response.status_code == 200 and response.streaming
    digest, total = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            digest.update(chunk)
            total += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > size
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MB"


# -- search ----------------------------------------------------------------------------


def found(client, **params) -> list[str]:
    page = client.get("/archive/", params).content.decode()
    body = page.split('id="archive-results"', 1)[1].split("</table>", 1)[0]
    return [case.title for case in Case.objects.all() if f">{case.title}</a>" in body]


@pytest.mark.django_db
def test_search_by_text_sop_channel_status_unit_and_dates(client, demo):
    client.force_login(demo["rspon-admin"].user)
    everything = found(client)
    assert len(everything) == 4  # the institution's four demo cases, no one else's
    assert "Wisuda Angkatan 2026" not in everything
    published = PUBLISHED["rspon"]
    # Text in the narrative of a content version, and in a file's name.
    # Every demo case past the content step has its poster and narrative.
    made = set(everything) - {"Promosi Layanan Stroke Center 24 Jam"}
    assert published in made and len(made) == 3
    assert set(found(client, q="kanal resmi kami")) == made
    assert set(found(client, q="poster.png")) == made
    assert found(client, q="%") == []  # taken literally
    assert found(client, status="published") == [published]
    assert set(found(client, sop="rspon-medsos")) == set(everything)
    assert found(client, sop="poltekkes-jkt2-publikasi") == []
    assert set(found(client, channel="x")) == set(everything)  # every case targets Twitter
    assert found(client, channel="tiktok") == []
    unit = demo["rspon-unit-kerja"].unit
    assert set(found(client, unit=unit.pk)) == set(everything)
    today = dt.date.today()
    assert set(found(client, since=today.isoformat(), until=today.isoformat())) == set(everything)
    assert found(client, until=(today - dt.timedelta(days=1)).isoformat()) == []
    answer = client.get("/archive/", {"since": "kemarin"}).content.decode()
    assert "TTTT-BB-HH" in answer


@pytest.mark.django_db
def test_search_shows_only_what_a_person_may_see_and_pages(client, demo):
    unit_person = demo["rspon-unit-kerja"]
    client.force_login(unit_person.user)
    assert len(found(client)) == 4  # the unit requested them all
    for number in range(30):
        actions.case_start(person=unit_person, sop_id="rspon-medsos", title=f"Arsip uji {number}")
    first = client.get("/archive/", {"q": "Arsip uji"}).content.decode()
    assert "30 kasus" in first and "Halaman 1 dari 2" in first
    second = client.get("/archive/", {"q": "Arsip uji", "page": 2}).content.decode()
    assert ">Arsip uji 0</a>" in second and ">Arsip uji 29</a>" not in second
    outsider = Client()
    outsider.force_login(demo["poltekkes-jkt2-anggota"].user)
    assert found(outsider, q="Arsip uji") == []


# -- retention -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schedule_is_the_institutions_to_edit(client, demo):
    client.force_login(demo["rspon-tim-humas"].user)
    assert client.get("/archive/retention/classes/").status_code == 403
    assert client.get("/archive/retention/").status_code == 403
    client.force_login(demo["rspon-admin"].user)
    page = client.get("/archive/retention/classes/").content.decode()
    assert "HM.02.01" in page and "dinilai kembali" in page
    client.post(
        "/archive/retention/classes/",
        {
            "code": "HM.09",
            "name": "Liputan kegiatan",
            "active_years": "1",
            "inactive_years": "4",
            "disposition": "musnah",
            "is_default": "1",
        },
    )
    organization = demo["rspon-admin"].organization
    assert organization.retention_classes.get(is_default=True).code == "HM.09"
    bad = client.post(
        "/archive/retention/classes/",
        {
            "code": "HM.10",
            "name": "x",
            "active_years": "-1",
            "inactive_years": "2",
            "disposition": "musnah",
        },
    )
    assert "bilangan bulat" in bad.content.decode()
    assert not organization.retention_classes.filter(code="HM.10").exists()


@pytest.mark.django_db
def test_the_report_lists_what_is_due(client, demo):
    case = Case.objects.get(title=PUBLISHED["rspon"])
    organization = case.organization
    assert not CaseRecord.objects.filter(case=case).exists()  # nobody classified it
    retention = retention_of(case)  # so the default class applies: 2 active + 3 inactive
    assert retention.retention_class.code == "HM.02.01" and retention.phase == "active"
    assert retention.review_on == add_years(closed_on(case), 5)
    assert retention_due(organization, dt.date.today()) == []
    assert [c.title for c, _r in retention_due(organization, retention.review_on)] == [case.title]
    assert retention_due(organization, retention.review_on - dt.timedelta(days=1)) == []
    client.force_login(demo["rspon-admin"].user)
    page = client.get("/archive/retention/", {"until": FAR.isoformat()}).content.decode()
    assert case.title in page and "Publikasi promosi" in page
    assert "Tidak ada yang jatuh tempo" in client.get("/archive/retention/").content.decode()
    # A class with a shorter period brings the review closer.
    short = organization.retention_classes.get(code="HM.02.03")  # 1 + 1 years, destroy
    archive_actions.retention_assign(
        admin=demo["rspon-admin"], case_id=case.pk, class_id=short.pk, reason="Bahan rutin"
    )
    assert retention_of(case).review_on == add_years(closed_on(case), 2)


@pytest.mark.django_db
def test_disposal_needs_an_admin_a_reason_and_a_due_date(
    client, demo, django_capture_on_commit_callbacks
):
    case = Case.objects.get(title=PUBLISHED["poltekkes-jkt2"])
    admin = demo["poltekkes-jkt2-admin"]
    client.force_login(admin.user)
    client.get(f"/cases/{case.pk}/approval-sheet.pdf")
    sheet = ApprovalSheet.objects.get(case=case)
    every = Attachment.objects.filter(case=case)
    assert every.filter(original=None).count() == 2  # the poster and the sheet
    files = [a.file.name for a in every] + [a.preview.name for a in every if a.preview]
    assert len(files) == 4 and all(default_storage.exists(name) for name in files)

    def dispose(person=admin, reason="Berita acara pemusnahan No. 12/2045", today=FAR):
        return archive_actions.retention_decide(
            admin=person, case_id=case.pk, decision="dispose", reason=reason, today=today
        )

    for person, reason, today, code in [
        (demo["poltekkes-jkt2-anggota"], "x", FAR, "not_admin"),
        (admin, " ", FAR, "reason_required"),
        (admin, "x", dt.date.today(), "not_due"),
    ]:
        with pytest.raises(ActionError) as refused:
            dispose(person, reason, today)
        assert refused.value.code == code
    # A case kept permanently cannot be destroyed.
    archive_actions.retention_decide(
        admin=admin, case_id=case.pk, decision="keep", reason="Nilai sejarah"
    )
    with pytest.raises(ActionError) as refused:
        dispose()
    assert refused.value.code == "permanent"
    CaseRecord.objects.filter(case=case).update(kept_permanently=False)  # undo, for the test

    with django_capture_on_commit_callbacks(execute=True):  # the files go on commit
        event = dispose()
    assert event.kind == RecordEvent.DISPOSED and event.person == admin
    assert event.data["case"]["title"] == case.title
    assert {f["name"] for f in event.data["files"]} == {
        "poster.png",
        f"lembar-pengesahan-{sheet.code}.pdf",
    }
    assert event.data["versions"][0]["sha256"] == sheet.content_sha256
    assert not case.versions.exists() and not case.attachments.exists()
    assert not any(default_storage.exists(name) for name in files)
    # The case's row, its timeline and its record stay; the sheet's code says what happened.
    case.refresh_from_db()
    assert case.events.count() > 0 and retention_of(case).phase == "disposed"
    assert verdict(sheet.code) == "removed"
    with pytest.raises(ActionError) as refused:
        dispose()
    assert refused.value.code == "disposed"
    with pytest.raises(ProtectedError):  # the decision's record outlives any attempt
        Case.objects.filter(pk=case.pk).delete()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "dimusnahkan" in page
    archive = zip_of(client.get(f"/cases/{case.pk}/export.zip"))
    about = json.loads(archive.read("case.json"))
    assert about["record_events"][-1]["kind"] == "disposed"
    assert about["record_events"][-1]["reason"] == "Berita acara pemusnahan No. 12/2045"
    # The decisions are on the case's audit chain too, and the chain still holds.
    kinds = list(case.events.values_list("kind", flat=True))
    assert "record_kept_permanently" in kinds and kinds[-1] == "file_downloaded"  # the export
    assert "record_disposed" in kinds
    from siaran.audit.verify import first_break

    assert first_break() is None


@pytest.mark.django_db
def test_a_review_can_be_moved_to_a_later_date(demo):
    case = Case.objects.get(title=PUBLISHED["rspon"])
    admin = demo["rspon-admin"]
    with pytest.raises(ActionError) as refused:
        archive_actions.retention_decide(
            admin=admin, case_id=case.pk, decision="extend", reason="x", until=dt.date.today()
        )
    assert refused.value.code == "until"
    later = dt.date(2050, 6, 30)
    archive_actions.retention_decide(
        admin=admin, case_id=case.pk, decision="extend", reason="Masih dirujuk", until=later
    )
    assert retention_of(case).review_on == later
    assert retention_due(case.organization, FAR) == []
    assert [c.pk for c, _r in retention_due(case.organization, later)] == [case.pk]
    running = Case.objects.get(title="Poster Hari Stroke Sedunia")
    with pytest.raises(ActionError) as refused:
        archive_actions.retention_decide(
            admin=admin, case_id=running.pk, decision="keep", reason="x"
        )
    assert refused.value.code == "case_open"
