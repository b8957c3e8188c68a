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
from tests.mailbox import smtp  # noqa: F401, F811 (a fixture)
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


# -- anchors from the first day, each day, and a copy kept outside (issue 17, finding 5) --


@pytest.mark.django_db
def test_a_new_institution_is_sealed_from_its_first_day(demo):
    from siaran.orgs import actions as org_actions

    organization = org_actions.organization_ensure(slug="baru", name="Instansi Baru")
    assert AuditAnchor.objects.filter(organization=organization).count() == 1
    assert verify()[0] == 0


@pytest.mark.django_db
def test_deleted_anchors_and_a_dropped_case_are_found(case):
    organization = case.organization
    AuditAnchor.objects.filter(organization=organization).delete()
    Case.objects.filter(pk=case.pk).delete()
    code, message = verify()
    assert code == 1 and str(organization) in message


@pytest.mark.django_db
def test_a_day_without_an_anchor_is_named_and_a_missed_night_is_sealed_late(demo):
    import datetime as dt

    from django.utils import timezone

    from siaran.audit.tasks import anchor_yesterday

    organization = demo["rspon-admin"].organization
    # Ten nights ago the institution's first seal; the nights since were missed.
    AuditAnchor.objects.filter(organization=organization).delete()
    audit.anchor(organization, timezone.localdate() - dt.timedelta(days=10))
    code, message = verify()
    assert code == 1 and str(organization) in message and " 8 " in message  # 9 - grace
    anchor_yesterday.call()  # the next night catches up every day since
    assert verify()[0] == 0


@pytest.mark.django_db
def test_each_anchor_is_mailed_and_the_copies_check_the_database(case, smtp, tmp_path):  # noqa: F811
    import datetime as dt
    import json

    from django.utils import timezone

    from siaran.audit.tasks import anchor_yesterday
    from siaran.orgs import actions as org_actions

    admin = case.organization.people.get(is_admin=True)
    org_actions.audit_email_set(admin=admin, email="spi@rspon.go.id")
    AuditAnchor.objects.filter(organization=case.organization).delete()
    audit.anchor(case.organization, timezone.localdate() - dt.timedelta(days=3))
    anchor_yesterday.call()
    mails = [m for m in smtp.mails if m.to == ["spi@rspon.go.id"]]
    assert len(mails) == 2  # the two nights since the last seal
    copies = []
    for sent in mails:
        (attached,) = list(sent.message.iter_attachments())
        copies.append(json.loads(attached.get_content()))
        (tmp_path / attached.get_filename()).write_bytes(attached.get_content())
    assert {c["organization"] for c in copies} == {"rspon"}
    files = [str(path) for path in tmp_path.glob("siaran-anchor-*.json")]
    out = io.StringIO()
    call_command("audit", "verify", "--anchors", *files, stdout=out)
    # An insider deletes the case and every anchor, and seals every day again: the
    # database alone then holds together.
    Case.objects.filter(pk=case.pk).delete()
    AuditAnchor.objects.filter(organization=case.organization).delete()
    audit.anchor(case.organization, timezone.localdate() - dt.timedelta(days=3))
    anchor_yesterday.call()
    assert verify()[0] == 0
    # The copies kept outside do not.
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--anchors", *files, stdout=io.StringIO(), stderr=err)
    assert copies[0]["day"] in err.getvalue() or copies[1]["day"] in err.getvalue()


@pytest.mark.django_db
def test_the_audit_page_sets_the_address_and_downloads_the_seals(client, demo):
    client.force_login(demo["rspon-tim-humas"].user)
    assert client.get("/institution/audit/").status_code == 403
    admin = demo["rspon-admin"]
    client.force_login(admin.user)
    assert "id_audit_email" in client.get("/institution/audit/").content.decode()
    client.post("/institution/audit/", {"email": "bukan alamat"})
    admin.organization.refresh_from_db()
    assert admin.organization.audit_email == ""
    client.post("/institution/audit/", {"email": "spi@rspon.go.id"})
    admin.organization.refresh_from_db()
    assert admin.organization.audit_email == "spi@rspon.go.id"
    download = client.get("/institution/audit/anchors.json")
    rows = download.json()
    assert rows and {row["organization"] for row in rows} == {"rspon"}


def test_a_file_that_is_no_anchor_is_refused_with_a_sentence(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "surat.json"
    bad.write_text("bukan json")
    with pytest.raises(CommandError, match="surat.json"):
        call_command("audit", "verify", "--anchors", str(bad))
