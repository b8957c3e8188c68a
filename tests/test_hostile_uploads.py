"""Hostile uploads are refused at the root (issue 17, finding 13): an image is accepted
only when every pixel decodes, a PDF with a script is refused, stored files are served in
a sandbox, and an upload over its limit is refused while it arrives."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Case
from tests.conftest import ROOT
from tests.test_api import token

# The corpus every run tries: files made to pass as something they are not, each with the
# refusal it gets. Add a file to tests/corpus/uploads/ and its expected code here.
CORPUS = ROOT / "tests" / "corpus" / "uploads"
EXPECTED = {
    "jpeg-then-script.jpg": "image_unreadable",  # an image header in front of a script
    "png-then-html.png": "image_unreadable",
    "open-action.pdf": "pdf_active",  # a script run when the PDF opens
    "escaped-names.pdf": "pdf_active",  # the same, its names written in #xx escapes
    "compressed-launch.pdf": "pdf_active",  # a launch action inside a compressed stream
    "html-named-png.png": "file_type",  # the type is told by the content, not the name
    "svg-with-script.png": "file_type",
    "windows-exe.pdf": "file_type",
    "zip-named-jpg.jpg": "file_type",
}


def test_every_file_of_the_corpus_has_its_expected_refusal():
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_hostile_file_is_refused_and_nothing_kept(demo, name):
    requester = demo["rspon-unit-kerja"]  # at the request step, where content is written
    case = actions.case_start(person=requester, sop_id="rspon-medsos", title="Poster")
    upload = SimpleUploadedFile(name, (CORPUS / name).read_bytes())
    with pytest.raises(ActionError) as refused:
        actions.attachment_add(person=requester, case_id=case.pk, upload=upload)
    assert refused.value.code == EXPECTED[name]
    assert case.attachments.count() == 0


@pytest.mark.django_db
def test_a_plain_letter_is_kept_and_served_in_a_sandbox(client, demo):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    director = demo["rspon-direksi"]
    letter = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction[3 0 R/FitH null]>>endobj\n%%EOF\n"
    upload = SimpleUploadedFile("surat.pdf", letter)
    kept = actions.attachment_add(person=director, case_id=case.pk, upload=upload)
    client.force_login(director.user)
    served = client.get(f"/cases/{case.pk}/files/{kept.key}/")
    assert served.status_code == 200
    assert served["Content-Security-Policy"] == "sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_an_upload_over_its_limit_is_refused_while_it_arrives(client, demo, settings):
    from siaran.cases.actions import UPLOAD_LIMITS

    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    big = SimpleUploadedFile("besar.pdf", b"%PDF-1.4\n" + b"0" * (UPLOAD_LIMITS["document"] + 1))
    answer = client.post(
        f"/api/v1/cases/{case.pk}/attachments", {"file": big}, **token(client, "rspon-direksi")
    )
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"
    assert "20 MB" in answer.json()["detail"]
    client.force_login(demo["rspon-direksi"].user)
    big.seek(0)
    page = client.post(f"/cases/{case.pk}/files/", {"file": big})
    assert page.status_code == 413 and "20 MB" in page.content.decode()
