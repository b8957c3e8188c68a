"""The approval sheet: its text, its QR code, its verification page, and when it is issued."""

import datetime as dt
import hashlib
import io
import json
from urllib.parse import urlparse

import pypdfium2
import pytest
import zxingcpp
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from siaran.cases import actions
from siaran.cases.definitions import definition
from siaran.cases.digest import content_sha256
from siaran.cases.models import Case
from siaran.documents.models import ApprovalSheet
from siaran.orgs import actions as org_actions
from tests.publishing import TEXT_ONLY
from tests.test_api import token
from tests.test_cases import walk

PUBLISHED = {  # the demo's published case of each SOP
    "rspon": "Kenali Gejala Stroke: SeGeRa ke RS",
    "poltekkes-jkt2": "Pengabdian Masyarakat: Posyandu Lansia",
}
SOP_OF = {"rspon": "rspon-medsos", "poltekkes-jkt2": "poltekkes-jkt2-publikasi"}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def qr_codes(data: bytes) -> list[str]:
    """Every QR code on the PDF's pages, read from a picture of each page as a phone would."""
    document = pypdfium2.PdfDocument(data)
    found = []
    for page in document:
        picture = page.render(scale=2).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(picture)]
    return found


def reviewers(case: Case) -> list:
    """The people who decided the case's review steps, as the timeline recorded them."""
    sop = definition(case.sop_version)
    reviews = [step.id for step in sop.steps if step.kind == "review"]
    events = case.events.filter(kind="step_done", step_id__in=reviews).select_related("actor")
    return [event.actor for event in events]


def run_worker() -> None:
    """The database queue's own worker, as `make run` starts it, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def sheet_pdf(client, case: Case, auth: dict):
    return client.get(f"/api/v1/cases/{case.pk}/approval-sheet", **auth)


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", list(PUBLISHED))
def test_a_published_demo_case_gives_a_sheet_whose_qr_code_says_valid(client, demo, prefix):
    case = Case.objects.get(title=PUBLISHED[prefix])
    assert case.status == "published"
    response = sheet_pdf(client, case, token(client, f"{prefix}-admin"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    text = pdf_text(data)
    people = reviewers(case)
    assert people  # every SOP that ships has a review
    for person in people:
        assert person.name in text and f"NIP. {person.nip}" in text and person.title in text
    sop = definition(case.sop_version)
    version = case.versions.get()
    assert sop.name in text and sop.number in text and case.title in text
    assert content_sha256(version) in text.replace(" ", "")
    assert case.organization.name.upper() in text
    assert "LEMBAR PENGESAHAN" in text  # the sheet is the institution's record: Indonesian
    for row, step in enumerate(s for s in sop.steps if s.kind == "review"):
        assert sop.lane(step.lane).name in text, row
    # The QR code, read from a picture of the page, leads to the public verification page.
    (url,) = qr_codes(data)
    sheet = ApprovalSheet.objects.get(case=case)
    assert url == f"http://testserver/verify/{sheet.code}/"
    assert sheet.display_code in text and url in text
    page = Client().get(urlparse(url).path)  # no login
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-state="valid"' in body and "Sah" in body
    assert sheet.content_sha256 in body and hashlib.sha256(data).hexdigest() in body
    for person in people:  # names and NIPs stay on the sheet, off the public page
        assert person.nip not in body and person.name not in body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prefix", list(PUBLISHED))
def test_the_sheet_is_attached_when_the_last_review_passes(demo, prefix, settings):
    """The decision commits, the task waits in the database queue, the worker issues it."""
    settings.SIARAN_BASE_URL = "https://siaran.example.go.id"
    sop = definition(Case.objects.filter(sop_id=SOP_OF[prefix]).first().sop_version)
    last = [step for step in sop.steps if step.kind == "review"][-1]
    starter = demo[f"{prefix}-{sop.first_step.lane}"]
    case = actions.case_start(
        person=starter, sop_id=sop.id, title="Jadwal Vaksinasi", channels=TEXT_ONLY[sop.id]
    )
    case = walk_until(case, demo, prefix, last.id)
    assert not ApprovalSheet.objects.filter(case=case).exists()
    actions.case_decide(person=demo[f"{prefix}-{last.lane}"], case_id=case.pk, outcome="ya")
    assert not ApprovalSheet.objects.filter(case=case).exists()  # not in the request
    run_worker()
    sheet = ApprovalSheet.objects.get(case=case)
    assert sheet.final and sheet.version_number == 1
    assert sheet.issued_by == demo[f"{prefix}-{last.lane}"]
    document = case.attachments.get(pk=sheet.document_id)
    assert document.kind == "document" and document.name == f"lembar-pengesahan-{sheet.code}.pdf"
    data = document.file.read()
    assert hashlib.sha256(data).hexdigest() == sheet.pdf_sha256 == document.sha256
    assert qr_codes(data) == [f"https://siaran.example.go.id/verify/{sheet.code}/"]
    # Asking for the sheet afterwards gives the same one: nothing changed.
    client = Client()
    client.force_login(demo[f"{prefix}-admin"].user)
    response = client.get(f"/cases/{case.pk}/approval-sheet.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert ApprovalSheet.objects.filter(case=case).count() == 1


def walk_until(case, people, prefix, step_id):
    sop = definition(case.sop_version)
    for _ in range(40):
        case.refresh_from_db()
        if case.current_step == step_id:
            return case
        outcome = sop.step(case.current_step).exits()[0].id
        person = people[f"{prefix}-{case.current_lane}"]
        actions.case_decide(person=person, case_id=case.pk, outcome=outcome)
    raise AssertionError(f"never reached {step_id}")


@pytest.mark.django_db
def test_a_stand_in_signs_as_plh_of_the_office(client, demo):
    director = demo["rspon-direksi"]
    stand_in = org_actions.person_ensure(
        organization=director.organization,
        username="rspon-wadir",
        name="dr. Lina Marlina, Sp.N",
        title="Wakil Direktur Pelayanan Medik",
        nip="197502022003122001",
        password="x",
    )
    today = dt.date.today()
    org_actions.acting_add(person=stand_in, for_person=director, starts=today, ends=today)
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")  # at the directors' review
    actions.case_decide(person=stand_in, case_id=case.pk, outcome="ya")
    client.force_login(demo["rspon-unit-kerja"].user)
    response = client.get(f"/cases/{case.pk}/approval-sheet.pdf")
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content))
    assert "dr. Lina Marlina, Sp.N" in text and "NIP. 197502022003122001" in text
    assert "Plh. Direktur Utama" in text and "dr. Hendra Gunawan" in text


@pytest.mark.django_db
def test_no_sheet_before_any_review(client, demo):
    case = Case.objects.get(title="Promosi Layanan Stroke Center 24 Jam")  # at "produce"
    response = sheet_pdf(
        client, case, token(client, "rspon-admin") | {"HTTP_ACCEPT_LANGUAGE": "id"}
    )
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "no_review_yet" and "belum" in body["detail"]
    client.force_login(demo["rspon-admin"].user)
    assert client.get(f"/cases/{case.pk}/approval-sheet.pdf").status_code == 404
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="approval-sheet-download"' not in page and 'id="case-export"' in page


@pytest.mark.django_db
def test_only_those_who_see_the_case_get_its_sheet(client, demo):
    case = Case.objects.get(title=PUBLISHED["rspon"])
    assert sheet_pdf(client, case, token(client, "poltekkes-jkt2-admin")).status_code == 404
    client.force_login(demo["poltekkes-jkt2-pengarah"].user)
    assert client.get(f"/cases/{case.pk}/approval-sheet.pdf").status_code == 404
    assert not ApprovalSheet.objects.filter(case=case).exists()


def verdict(code: str) -> str:
    body = Client().get(f"/verify/{code}/").content.decode()
    return body.split('data-state="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_later_decisions_reworks_and_edits_supersede_a_sheet(client, demo):
    people = demo
    case = Case.objects.get(title="Penerimaan Mahasiswa Baru 2027")  # at "verify"
    client.force_login(people["poltekkes-jkt2-admin"].user)

    def issue() -> ApprovalSheet:
        assert client.get(f"/cases/{case.pk}/approval-sheet.pdf").status_code == 200
        return ApprovalSheet.objects.filter(case=case).latest("pk")

    actions.case_decide(person=people["poltekkes-jkt2-verifikator"], case_id=case.pk, outcome="ya")
    first = issue()
    assert not first.final and verdict(first.code) == "valid"  # provisional, but matches
    assert issue() == first  # nothing changed: the same sheet
    text = pdf_text(first.document.file.read())
    assert "Yudi Hartono" in text and "belum diputuskan" in text  # three rows not decided

    note = "Foto kurang jelas"
    actions.case_decide(
        person=people["poltekkes-jkt2-pengendali-publikasi"],
        case_id=case.pk,
        outcome="tidak",
        note=note,
    )
    assert verdict(first.code) == "superseded"  # a later decision, and a new version
    second = issue()
    assert second.version_number == 1 and not second.final
    assert note in pdf_text(second.document.file.read())  # the "no" is on the v1 sheet
    assert verdict(first.code) == "superseded" and verdict(second.code) == "superseded"

    walk(case, people, "poltekkes-jkt2", {"upload": []})  # rework, then every review says yes
    case.refresh_from_db()
    final = issue()  # (no worker runs in this test: asking issues it)
    assert final.final and final.version_number == 2 and verdict(final.code) == "valid"
    assert final.content_sha256 == content_sha256(case.versions.get(number=2))
    # Changing the approved content afterwards is seen at once. (The case is published, so
    # the change is made behind the actions' back, as a tampered database would be.)
    case.versions.filter(number=2).update(narrative="Teks yang diubah setelah disahkan")
    assert verdict(final.code) == "superseded"
    assert "diubah setelah" in Client().get(f"/verify/{final.code}/").content.decode()


@pytest.mark.django_db
def test_unknown_and_mistyped_codes(client):
    assert verdict("ZZZZZZZZZZ") == "unknown"
    response = client.get("/verify/k7q2m-x9d3p/")
    assert response.status_code == 302 and response["Location"] == "/verify/K7Q2MX9D3P/"
    response = client.get("/verify/", {"code": "k7q2m-x9d3p"})
    assert response["Location"] == "/verify/K7Q2MX9D3P/"
    page = client.get("/verify/").content.decode()
    assert 'name="code"' in page


@pytest.mark.django_db
def test_the_content_digest_follows_its_written_recipe(demo):
    """Anyone can recompute the digest from the definition in siaran/cases/digest.py."""
    case = Case.objects.get(title=PUBLISHED["poltekkes-jkt2"])
    version = case.versions.get()
    media = [file.sha256 for file in version.media.order_by("pk")]
    assert len(media) == 1
    content = {
        "scheme": "siaran-content/1",
        "title": version.title,
        "narrative": version.narrative,
        "captions": version.captions,
        "hashtags": version.hashtags,
        "media": media,
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert content_sha256(version) == hashlib.sha256(canonical.encode()).hexdigest()
    before = content_sha256(version)
    version.captions = {**version.captions, "instagram": "Ubah satu huruf"}
    assert content_sha256(version) != before
