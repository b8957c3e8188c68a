"""A step that requires a document (`requires: [surat-permohonan]`): the file is attached
as that document, the step finishes only with it, and the case page shows the checklist."""

import dataclasses

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.core import sops
from siaran.orgs.models import Person
from siaran.sop.load import load_text
from tests.test_pages import login

REQUEST_TIME = "    time: 15 menit\n"


def letter(name="surat.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF")


@pytest.fixture
def request_requires_letter(monkeypatch):
    """RSPON's SOP whose first step requires the signed request letter."""
    shipped = sops.catalog()
    text = shipped.texts["rspon-medsos"]
    assert text.count("\nlanes:\n") == 1
    text = text.replace(
        "\nlanes:\n",
        "\ndocuments:\n  - {id: surat-permohonan, label: Surat permohonan,"
        " label_en: Request letter}\nlanes:\n",
    )
    start = text.index("  - id: request\n")
    at = text.index(REQUEST_TIME, start) + len(REQUEST_TIME)
    text = text[:at] + "    requires: [surat-permohonan]\n" + text[at:]
    sop = load_text(text, "rspon-medsos.yaml")
    assert sop.step("request").requires == ("surat-permohonan",)
    patched = dataclasses.replace(
        shipped,
        sops={**shipped.sops, "rspon-medsos": sop},
        texts={**shipped.texts, "rspon-medsos": text},
    )
    monkeypatch.setattr(sops, "catalog", lambda: patched)
    return sop


def unit() -> Person:
    return Person.objects.select_related("organization", "user").get(
        user__username="rspon-unit-kerja"
    )


@pytest.mark.django_db
def test_the_step_finishes_only_once_the_document_is_attached(demo, request_requires_letter):
    case = actions.case_start(person=unit(), sop_id="rspon-medsos", title="Permohonan")
    with pytest.raises(ActionError) as refused:
        actions.case_decide(person=unit(), case_id=case.pk, outcome="done")
    assert refused.value.code == "output_required"
    assert "Surat permohonan" in refused.value.message
    # A letter not marked as the document does not count.
    actions.attachment_add(person=unit(), case_id=case.pk, upload=letter("lain.pdf"))
    with pytest.raises(ActionError):
        actions.case_decide(person=unit(), case_id=case.pk, outcome="done")
    # A document the step does not ask for is refused, and nothing is kept.
    with pytest.raises(ActionError) as wrong:
        actions.attachment_add(person=unit(), case_id=case.pk, upload=letter(), output="kuitansi")
    assert wrong.value.code == "unknown_output"
    assert case.attachments.count() == 1
    attached = actions.attachment_add(
        person=unit(), case_id=case.pk, upload=letter(), output="surat-permohonan"
    )
    assert attached.output == "surat-permohonan" and attached.step_id == "request"
    event = case.events.filter(kind="file_added").order_by("-pk").first()
    assert event.data["output"] == "surat-permohonan"
    case = actions.case_decide(person=unit(), case_id=case.pk, outcome="done")
    assert case.current_step == "produce"


@pytest.mark.django_db
def test_the_case_page_shows_the_checklist_and_attaches_the_document(
    client, demo, request_requires_letter
):
    case = actions.case_start(person=unit(), sop_id="rspon-medsos", title="Permohonan")
    login(client, "rspon-unit-kerja")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="required-documents"' in page
    assert 'Surat permohonan <span class="text-secondary">(belum ada)</span>' in page
    assert '<label class="form-label small mb-0" for="id_output">' in page
    refused = client.post(
        f"/cases/{case.pk}/decide/", {"outcome": "done", "seen": case.lock_version}, follow=True
    )
    assert "Lampirkan Surat permohonan" in refused.content.decode()
    client.post(
        f"/cases/{case.pk}/files/", {"file": letter(), "output": "surat-permohonan"}, follow=True
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'Surat permohonan <span class="text-secondary">(terlampir)</span>' in page
    assert '<span class="badge text-bg-light border">Surat permohonan</span>' in page
    case.refresh_from_db()
    done = client.post(
        f"/cases/{case.pk}/decide/", {"outcome": "done", "seen": case.lock_version}, follow=True
    )
    assert done.status_code == 200
    case.refresh_from_db()
    assert case.current_step == "produce"


@pytest.mark.django_db
def test_the_api_attaches_the_document_and_explains_a_refusal(
    client, demo, request_requires_letter
):
    from siaran.api.actions import token_issue

    person = unit()
    case = actions.case_start(person=person, sop_id="rspon-medsos", title="Permohonan")
    secret = token_issue(person=person, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    refused = client.post(
        f"/api/v1/cases/{case.pk}/actions", {"outcome": "done"}, "application/json", **auth
    )
    assert refused.status_code == 422 and refused.json()["code"] == "output_required"
    url = f"/api/v1/cases/{case.pk}/attachments"
    made = client.post(url, {"file": letter(), "output": "surat-permohonan"}, **auth)
    assert made.status_code == 201 and made.json()["output"] == "surat-permohonan"
    done = client.post(
        f"/api/v1/cases/{case.pk}/actions", {"outcome": "done"}, "application/json", **auth
    )
    assert done.status_code == 200, done.content
