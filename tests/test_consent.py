"""Content that shows a patient or a child cannot pass its final review without consent
(UU 27/2022), in either SOP, from the actions, the API and the case page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from siaran.archive import actions as archive_actions
from siaran.archive.models import CaseRecord, ConsentRecord, RecordEvent
from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.definitions import definition
from siaran.cases.digest import content_sha256
from siaran.cases.models import Case
from tests.publishing import TEXT_ONLY
from tests.test_api import post, token
from tests.test_approval_sheet import walk_until

SOPS = {"rspon": "rspon-medsos", "poltekkes-jkt2": "poltekkes-jkt2-publikasi"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def consent_form(name="persetujuan.pdf", data=PDF):
    return SimpleUploadedFile(name, data)


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


def final_review(sop):
    return [step for step in sop.steps if step.kind == "review"][-1]


def at_final_review(demo, prefix):
    """A new case of the institution's SOP, walked to its last review step, flagged."""
    sop_id = SOPS[prefix]
    sop = definition(Case.objects.filter(sop_id=sop_id).first().sop_version)
    last = final_review(sop)
    case = actions.case_start(
        person=demo[f"{prefix}-{sop.first_step.lane}"],
        sop_id=sop_id,
        title="Kisah Pasien Anak",
        channels=TEXT_ONLY[sop_id],
    )
    maker = demo[f"{prefix}-{sop.steps[1].lane}"]
    archive_actions.consent_flag_set(person=maker, case_id=case.pk, needs_consent=True)
    case = walk_until(case, demo, prefix, last.id)  # earlier reviews pass while flagged
    return case, demo[f"{prefix}-{last.lane}"]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", list(SOPS))
def test_the_final_review_needs_a_consent_record(demo, prefix, settings):
    settings.LANGUAGE_CODE = "id"
    case, reviewer = at_final_review(demo, prefix)
    before = (case.lock_version, case.events.count(), case.current_step)
    with pytest.raises(ActionError) as refused:
        actions.case_decide(person=reviewer, case_id=case.pk, outcome="ya")
    assert refused.value.status == 422 and refused.value.code == "consent_required"
    assert "persetujuan" in refused.value.message and "UU 27/2022" in refused.value.message
    case.refresh_from_db()
    assert (case.lock_version, case.events.count(), case.current_step) == before
    # Saying no is still possible: it does not pass the review.
    actions.case_decide(person=reviewer, case_id=case.pk, outcome="tidak", note="Tanpa izin")
    case.refresh_from_db()
    assert case.rework_count == 1
    # With a consent record, the final review passes.
    archive_actions.consent_record_add(
        person=demo[f"{prefix}-{case.current_lane}"],
        case_id=case.pk,
        upload=consent_form(),
        subject="Orang tua pasien anak, An. R.",
    )
    last_step = final_review(definition(case.sop_version))
    case = walk_until(case, demo, prefix, last_step.id)
    actions.case_decide(person=reviewer, case_id=case.pk, outcome="ya")
    case.refresh_from_db()
    assert case.current_step != last_step.id
    kinds = list(RecordEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [RecordEvent.CONSENT_FLAGGED, RecordEvent.CONSENT_RECORDED]


@pytest.mark.django_db
def test_the_api_and_the_page_refuse_in_indonesian(client, demo):
    case, reviewer = at_final_review(demo, "poltekkes-jkt2")
    auth = token(client, reviewer.user.username)
    response = post(
        client,
        f"/api/v1/cases/{case.pk}/actions",
        {"outcome": "ya"},
        auth,
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "consent_required"
    assert "lampirkan bukti persetujuan" in response.json()["detail"]
    client.force_login(reviewer.user)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="consent-missing"' in page
    answer = client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya"}, follow=True)
    assert "lampirkan bukti persetujuan" in answer.content.decode()
    case.refresh_from_db()
    assert case.current_step == "ratify"


@pytest.mark.django_db
def test_flagging_and_recording_from_the_case_page(client, demo):
    case = Case.objects.get(title="Wisuda Angkatan 2026")  # at "design", Tim Humas
    humas = demo["poltekkes-jkt2-anggota"]
    client.force_login(humas.user)
    client.post(f"/cases/{case.pk}/consent/flag/", {"needs_consent": "1"})
    assert CaseRecord.objects.get(case=case).needs_consent
    # Taking the mark off is for those who sign the approval sheet, not the makers.
    answer = client.post(
        f"/cases/{case.pk}/consent/flag/", {"needs_consent": "0", "reason": "x"}, follow=True
    )
    assert "Hanya peninjau" in answer.content.decode()
    assert 'id="id_consent_reason"' not in answer.content.decode()  # nor offered to them
    assert CaseRecord.objects.get(case=case).needs_consent
    # A photo of the signed form is kept with the case, never among the content's media.
    version = case.versions.order_by("-number").first()
    media = set(version.media.all())  # the demo's poster
    digest = content_sha256(version)
    client.post(
        f"/cases/{case.pk}/consent/",
        {"subject": "Wali mahasiswa", "file": consent_form("form.jpg", photo())},
    )
    consent = ConsentRecord.objects.get(case=case)
    assert consent.attachment.kind == "image" and consent.recorded_by == humas
    assert set(version.media.all()) == media and content_sha256(version) == digest
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Wali mahasiswa" in page and f"/files/{consent.attachment.key}/" in page
    # Not a consent: a script, or no subject.
    bad = client.post(
        f"/cases/{case.pk}/consent/",
        {"subject": "x", "file": consent_form("x.pdf", b"<script>")},
        follow=True,
    )
    assert "formulir yang sudah ditandatangani" in bad.content.decode()
    with pytest.raises(ActionError) as refused:
        archive_actions.consent_record_add(
            person=humas, case_id=case.pk, upload=consent_form(), subject=" "
        )
    assert refused.value.code == "subject_required"
    assert ConsentRecord.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_who_may_flag(demo):
    case = Case.objects.get(title="Wisuda Angkatan 2026")
    with pytest.raises(ActionError) as refused:  # another institution: no such case
        archive_actions.consent_flag_set(
            person=demo["rspon-tim-humas"], case_id=case.pk, needs_consent=True
        )
    assert refused.value.status == 404
    with pytest.raises(ActionError) as refused:  # sees every case, works on none
        archive_actions.consent_flag_set(
            person=demo["poltekkes-jkt2-admin"], case_id=case.pk, needs_consent=True
        )
    assert refused.value.status == 403
    published = Case.objects.get(title="Pengabdian Masyarakat: Posyandu Lansia")
    with pytest.raises(ActionError) as refused:
        archive_actions.consent_flag_set(
            person=demo["poltekkes-jkt2-anggota"], case_id=published.pk, needs_consent=True
        )
    assert refused.value.status == 409
    assert not CaseRecord.objects.filter(needs_consent=True, case__in=[case, published]).exists()


@pytest.mark.django_db
def test_only_a_signer_takes_the_mark_off_with_a_reason_on_the_timeline(demo):
    """Clearing the flag removes the consent check before the last review (issue 17,
    finding 8): the makers cannot; a signer can, saying why."""
    case = Case.objects.get(title="Wisuda Angkatan 2026")
    maker = demo["poltekkes-jkt2-anggota"]
    archive_actions.consent_flag_set(person=maker, case_id=case.pk, needs_consent=True)
    signing = definition(case.sop_version).signing_lanes()
    assert signing and "anggota" not in signing
    for person in (maker, demo["poltekkes-jkt2-ketua-tim"]):
        with pytest.raises(ActionError) as refused:
            archive_actions.consent_flag_set(
                person=person, case_id=case.pk, needs_consent=False, reason="bukan anak"
            )
        assert refused.value.code in ("not_a_signer", "not_working_on_it")
    signer = demo[f"poltekkes-jkt2-{sorted(signing)[0]}"]
    with pytest.raises(ActionError) as refused:
        archive_actions.consent_flag_set(person=signer, case_id=case.pk, needs_consent=False)
    assert refused.value.code == "reason_required"
    assert CaseRecord.objects.get(case=case).needs_consent
    archive_actions.consent_flag_set(
        person=signer, case_id=case.pk, needs_consent=False, reason="Foto wisudawan dewasa"
    )
    assert not CaseRecord.objects.get(case=case).needs_consent
    cleared = case.events.get(kind="record_consent_cleared")
    assert cleared.note == "Foto wisudawan dewasa" and cleared.actor == signer
