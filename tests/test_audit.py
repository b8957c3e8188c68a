"""The audit trail: every chain and anchor holds, and any edit, removal or reordering of
a row is found and named by `siaran audit verify`."""

import io
import re

import pytest
from django.core.management import call_command

from siaran.audit import actions as audit
from siaran.audit.models import AuditAnchor, AuditEvent
from siaran.cases import actions
from siaran.cases.models import Case, CaseEvent
from tests.test_pages import PASSWORD, login


def verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def case(demo):
    """A demo case with a few timeline events and a comment."""
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    actions.comment_add(person=demo["rspon-direksi"], case_id=case.pk, text="Sudah saya lihat")
    actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db
def test_the_demo_trail_holds(case):
    code, message = verify()
    assert code == 0, message
    kinds = list(case.events.values_list("kind", flat=True))
    assert "comment_added" in kinds and kinds[-1] == "step_entered"
    assert case.last_hash == case.events.order_by("-seq").first().hash


@pytest.mark.django_db
def test_an_edited_event_is_named(case):
    event = case.events.get(kind="comment_added")
    CaseEvent.objects.filter(pk=event.pk).update(note="Tidak pernah saya lihat")
    code, message = verify()
    assert code == 1
    assert re.search(
        rf"(case|kasus) {case.pk}, (event|peristiwa) {event.seq} \(comment_added", message
    )
    assert "changed" in message or "diubah" in message


@pytest.mark.django_db
def test_a_removed_event_is_named(case):
    event = case.events.get(kind="comment_added")
    CaseEvent.objects.filter(pk=event.pk).delete()
    code, message = verify()
    assert code == 1 and re.search(
        rf"(case|kasus) {case.pk}, (event|peristiwa) {event.seq + 1} ", message
    )


@pytest.mark.django_db
def test_reordered_events_are_found(case):
    first, second = case.events.order_by("seq")[1:3]
    CaseEvent.objects.filter(pk=first.pk).update(seq=9999)
    CaseEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    CaseEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    code, message = verify()
    assert code == 1 and re.search(
        rf"(case|kasus) {case.pk}, (event|peristiwa) {first.seq} ", message
    )


@pytest.mark.django_db
def test_the_end_of_a_chain_cut_off_is_found(case):
    last = case.events.order_by("-seq").first()
    CaseEvent.objects.filter(pk=last.pk).delete()
    code, message = verify()
    assert code == 1 and re.search(rf"(case|kasus) {case.pk}: .* {last.seq - 1} ", message)


@pytest.mark.django_db
def test_a_whole_case_dropped_after_its_anchor_is_found(case):
    organization = case.organization
    audit.anchor(organization)
    assert verify()[0] == 0
    Case.objects.filter(pk=case.pk).delete()  # with its timeline, versions, files
    code, message = verify()
    assert code == 1 and f"case:{case.pk}" in message


@pytest.mark.django_db
def test_an_edited_anchor_or_audit_event_is_found(case, client):
    login(client, "rspon-direksi")
    event = AuditEvent.objects.filter(kind="login").latest("pk")
    AuditEvent.objects.filter(pk=event.pk).update(ip="10.0.0.99")
    code, message = verify()
    assert code == 1 and re.search(rf"(audit event|peristiwa audit) {event.seq} ", message)
    AuditEvent.objects.filter(pk=event.pk).update(ip=event.ip)
    anchor = audit.anchor(case.organization)
    assert verify()[0] == 0
    AuditAnchor.objects.filter(pk=anchor.pk).update(heads={})
    code, message = verify()
    assert code == 1 and anchor.day.isoformat() in message


@pytest.mark.django_db
def test_logins_and_changes_are_logged_without_secrets(client, demo):
    client.post("/accounts/login/", {"login": "rspon-direksi", "password": "salah-sandi-1"})
    login(client, "rspon-direksi")
    failed = AuditEvent.objects.get(kind="login_failed")
    assert failed.username == "rspon-direksi" and failed.chain.organization.slug == "rspon"
    assert AuditEvent.objects.filter(kind="login", actor=demo["rspon-direksi"]).exists()
    assert AuditEvent.objects.filter(kind="person_saved").exists()  # the demo's people
    everything = " ".join(
        f"{e.username} {e.ip} {e.data}" for e in AuditEvent.objects.all()
    ) + " ".join(str(data) for data in CaseEvent.objects.values_list("data", flat=True))
    assert PASSWORD not in everything and "salah-sandi-1" not in everything
    assert verify()[0] == 0


@pytest.mark.django_db
def test_a_comment_between_reading_and_deciding_does_not_stop_the_decision(demo, monkeypatch):
    """Two writers on one timeline: the decision is chained after the comment."""
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    director, humas = demo["rspon-direksi"], demo["rspon-tim-humas"]
    real_load = actions._load_case

    def load_then_someone_comments(person, case_id):
        loaded = real_load(person, case_id)
        if person == director:
            actions.comment_add(person=humas, case_id=case_id, text="Satu catatan lagi")
        return loaded

    monkeypatch.setattr(actions, "_load_case", load_then_someone_comments)
    actions.case_decide(person=director, case_id=case.pk, outcome="ya")
    kinds = list(Case.objects.get(pk=case.pk).events.values_list("kind", flat=True))
    assert kinds[-3:] == ["comment_added", "step_done", "step_entered"]
    assert verify()[0] == 0


@pytest.mark.django_db
def test_downloads_are_on_the_timeline(client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    pdf = SimpleUploadedFile("surat.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF")
    attachment = actions.attachment_add(person=demo["rspon-direksi"], case_id=case.pk, upload=pdf)
    login(client, "rspon-tim-humas")
    assert client.get(f"/cases/{case.pk}/files/{attachment.key}/").status_code == 200
    downloaded = case.events.get(kind="file_downloaded")
    assert downloaded.actor == demo["rspon-tim-humas"]
    assert downloaded.data == {"what": "attachment", "ref": attachment.key}
    assert verify()[0] == 0


@pytest.mark.django_db
def test_every_night_the_day_before_is_sealed_and_the_next_night_planned(demo):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from siaran.audit.tasks import anchor_yesterday, ensure_planned

    ensure_planned()
    ensure_planned()  # migrate runs it each time: still one night planned
    planned = DBTaskResult.objects.filter(task_path="siaran.audit.tasks.anchor_yesterday")
    assert planned.count() == 1
    assert anchor_yesterday.call() == 2  # both demo institutions
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert set(AuditAnchor.objects.values_list("organization__slug", "day")) == {
        ("rspon", yesterday),
        ("poltekkes-jkt2", yesterday),
    }
    next_night = planned.order_by("-run_after").first().run_after
    assert timezone.localtime(next_night).time() == dt.time(0, 5)
    assert timezone.localtime(next_night).date() == timezone.localdate() + dt.timedelta(days=1)
    assert verify()[0] == 0
