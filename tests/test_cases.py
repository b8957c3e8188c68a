"""Cases through the actions module, with the demo's personas."""

import pytest

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Case, CaseEvent
from siaran.cases.selectors import open_tasks, visible_cases
from siaran.orgs import actions as org_actions
from tests.conftest import second_verifier
from tests.publishing import finish_by_hand


def walk(case, people, prefix, decisions):
    """Finish steps in turn: `decisions` maps a step id to (outcome, note)."""
    for _ in range(40):
        case.refresh_from_db()
        if case.status == "publishing":  # its channels posted by hand (test_publishing.py)
            case = finish_by_hand(case, people[f"{prefix}-{case.current_lane}"])
        if case.status != "active":
            return case
        step = case.current_step
        if step in decisions and decisions[step]:
            outcome, note = decisions[step].pop(0)
        else:
            outcome, note = ("publish" if step == "upload" else None), ""
        person = people[f"{prefix}-{case.current_lane}"]
        if outcome is None:
            from siaran.cases.definitions import definition

            outcome = definition(case.sop_version).step(step).exits()[0].id
        actions.case_decide(person=person, case_id=case.pk, outcome=outcome, note=note)
    return case


@pytest.mark.django_db
def test_poltekkes_case_from_start_to_published_with_one_rejection(demo):
    director = demo["poltekkes-jkt2-pengarah"]
    case = actions.case_start(  # text alone: a channel that needs no poster or video
        person=director,
        sop_id="poltekkes-jkt2-publikasi",
        title="Seminar Nasional Keperawatan",
        channels=["facebook"],
    )
    assert case.current_step == "direction"
    case = walk(case, demo, "poltekkes-jkt2", {"control": [("tidak", "Narasi kurang jelas")]})
    assert case.status == "published"
    assert case.rework_count == 1
    assert case.versions.count() == 2
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds.count("sent_back") == 1 and kinds[-1] == "case_ended"
    assert list(case.events.values_list("seq", flat=True)) == list(range(1, len(kinds) + 1))
    assert (case.current_step, case.current_lane, case.current_due) == ("", "", None)
    design = case.events.filter(kind="step_done", step_id="design").order_by("seq")
    assert [e.round for e in design] == [1, 2]
    # Each finished visit keeps its lane, start and due time beside its end.
    for event in case.events.filter(kind="step_done"):
        assert event.lane_id and event.started_at <= event.at and event.due_at > event.started_at


@pytest.mark.django_db
def test_refusals_change_nothing(demo):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")  # at the directors' review
    before = (case.lock_version, CaseEvent.objects.count(), case.current_since)
    checks = [
        (demo["rspon-tim-humas"], "ya", "", 403),  # not their lane
        (demo["rspon-direksi"], "tidak", "", 422),  # a "no" needs a reason
        (demo["rspon-direksi"], "mungkin", "", 422),  # not an outcome
        (demo["poltekkes-jkt2-pengarah"], "ya", "", 404),  # another institution
    ]
    for person, outcome, note, status in checks:
        with pytest.raises(ActionError) as error:
            actions.case_decide(person=person, case_id=case.pk, outcome=outcome, note=note)
        assert error.value.status == status, (person, outcome)
    case.refresh_from_db()
    assert (case.lock_version, CaseEvent.objects.count(), case.current_since) == before


@pytest.mark.django_db
def test_a_double_click_moves_the_case_once(demo):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    seen = case.lock_version
    director = demo["rspon-direksi"]
    actions.case_decide(person=director, case_id=case.pk, outcome="ya", seen=seen)
    with pytest.raises(ActionError) as error:
        actions.case_decide(person=director, case_id=case.pk, outcome="ya", seen=seen)
    assert error.value.status == 409 and error.value.code == "moved_on"
    assert case.events.filter(kind="step_done", step_id="director-review").count() == 1


@pytest.mark.django_db
def test_acting_official_is_recorded_as_plh(demo):
    import datetime as dt

    from django.utils import timezone

    director = demo["rspon-direksi"]
    stand_in = demo["rspon-koordinator-umum"]
    today = timezone.localdate()
    org_actions.acting_add(
        person=stand_in, for_person=director, starts=today, ends=today + dt.timedelta(days=3)
    )
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    actions.case_decide(person=stand_in, case_id=case.pk, outcome="ya")
    event = case.events.get(kind="step_done", step_id="director-review")
    assert event.actor == stand_in and event.on_behalf_of == director
    assert event.lane_id == "direksi"


@pytest.mark.django_db
def test_visibility(demo):
    unit = demo["rspon-unit-kerja"]
    humas = demo["rspon-tim-humas"]
    other = demo["poltekkes-jkt2-anggota"]
    rspon_cases = set(Case.objects.filter(organization=unit.organization))
    assert set(visible_cases(humas)) == rspon_cases
    assert not set(visible_cases(other)) & rspon_cases
    # The requesting unit sees the cases it requested, not every case of the hospital.
    outsider_unit = org_actions.unit_ensure(organization=unit.organization, name="Farmasi")
    pharmacist = org_actions.person_ensure(
        organization=unit.organization,
        username="farmasi",
        name="Apoteker",
        password="x",
        unit=outsider_unit,
    )
    org_actions.lane_assign(person=pharmacist, sop_id="rspon-medsos", lane_id="unit-kerja")
    assert list(visible_cases(pharmacist)) == []
    case = actions.case_start(person=pharmacist, sop_id="rspon-medsos", title="Obat")
    assert list(visible_cases(pharmacist)) == [case]


@pytest.mark.django_db
def test_inbox_tasks_and_claims(demo):
    verifier = demo["poltekkes-jkt2-verifikator"]
    tasks = list(open_tasks(verifier))
    assert [t.title for t in tasks] == ["Penerimaan Mahasiswa Baru 2027"]
    second = second_verifier(verifier.organization)
    actions.step_claim(person=verifier, case_id=tasks[0].pk)
    with pytest.raises(ActionError) as error:
        actions.step_claim(person=second, case_id=tasks[0].pk)
    assert error.value.status == 409
    actions.step_release(person=verifier, case_id=tasks[0].pk)
    assert actions.step_claim(person=second, case_id=tasks[0].pk).claimed_by == second
    # Someone outside the step's lane cannot take it; finishing the step frees it.
    with pytest.raises(ActionError) as error:
        actions.step_claim(person=demo["poltekkes-jkt2-pengarah"], case_id=tasks[0].pk)
    assert error.value.status == 403
    actions.case_decide(person=second, case_id=tasks[0].pk, outcome="ya")
    assert Case.objects.get(pk=tasks[0].pk).claimed_by is None


@pytest.mark.django_db
def test_a_running_case_keeps_its_pinned_sop(demo, tmp_path, settings):
    case = Case.objects.get(title="Penerimaan Mahasiswa Baru 2027")
    pinned = case.sop_version_id
    # A later version of the SOP would be a new row; the running case does not move.
    from siaran.orgs.models import SopVersion

    SopVersion.objects.create(sop_id=case.sop_id, sha256="0" * 64, text="changed")
    case.refresh_from_db()
    assert case.sop_version_id == pinned
    assert CaseEvent.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_withdraw_and_cancel(demo):
    case = Case.objects.get(title="Promosi Layanan Stroke Center 24 Jam")
    with pytest.raises(ActionError) as error:
        actions.case_withdraw(person=demo["rspon-ipkp"], case_id=case.pk)
    assert error.value.status == 403
    actions.case_withdraw(person=demo["rspon-unit-kerja"], case_id=case.pk, note="Acara ditunda")
    case.refresh_from_db()
    assert case.status == "withdrawn" and not case.current_lane
    assert case.pk not in {task.pk for task in open_tasks(demo["rspon-tim-humas"])}
    other = Case.objects.get(title="Poster Hari Stroke Sedunia")
    with pytest.raises(ActionError):
        actions.case_cancel(person=demo["rspon-direksi"], case_id=other.pk, note="x")
    actions.case_cancel(person=demo["rspon-admin"], case_id=other.pk, note="Kebijakan berubah")
    other.refresh_from_db()
    assert other.status == "cancelled"


@pytest.mark.django_db
def test_demo_is_idempotent(demo):
    from django.core.management import call_command

    count = Case.objects.count()
    call_command("demo", "--no-history", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Case.objects.count() == count == 8  # four per institution, one published


@pytest.mark.django_db
def test_a_transition_writes_what_the_orm_reads_back(demo):
    """The transition path writes with hand-built SQL: every value must read back equal."""
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    moved = actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
    stored = Case.objects.get(pk=case.pk)
    for field in Case._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(moved, field.attname), field.name
    assert stored.current_step == "upload" and stored.current_lane == "tim-humas"
    assert stored.current_due > stored.current_since == stored.updated_at
    done = stored.events.get(kind="step_done", step_id="director-review")
    assert (done.lane_id, done.started_at, done.due_at) == (
        "direksi",
        case.current_since,
        case.current_due,
    )
    assert done.at == stored.current_since and done.actor == demo["rspon-direksi"]
    assert done.seconds_taken == int((done.at - done.started_at).total_seconds())


@pytest.mark.django_db(transaction=True)  # outside the test's transaction, as in a request
def test_a_step_change_writes_the_case_and_its_timeline_in_one_transaction(demo):
    """On PostgreSQL one statement that commits itself; on SQLite one BEGIN ... COMMIT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    starter = demo["rspon-unit-kerja"]
    case = actions.case_start(person=starter, sop_id="rspon-medsos", title="Satu tulisan")
    with CaptureQueriesContext(connection) as captured:
        actions.case_decide(person=starter, case_id=case.pk, outcome="done")
    sent = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    # After it, once committed, one task row: the worker tells the next lane it is their
    # turn (siaran.notifications.actions.transition_notify_on_commit).
    if connection.vendor == "postgresql":
        assert sent == ["SELECT", "WITH", "INSERT"]
    else:
        assert sent == ["SELECT", "BEGIN", "UPDATE", "INSERT", "COMMIT", "INSERT"]
    case.refresh_from_db()
    assert (case.current_step, case.last_event) == ("produce", case.events.count())


@pytest.mark.django_db(transaction=True)
def test_the_case_and_its_timeline_rows_are_written_both_or_neither(demo):
    from django.db import IntegrityError
    from django.utils import timezone

    starter = demo["rspon-unit-kerja"]
    case = actions.case_start(person=starter, sop_id="rspon-medsos", title="Satu tulisan")
    case.refresh_from_db()
    before = (case.lock_version, case.events.count())

    def row(seq):
        row = actions._event_row(case, "comment_added", timezone.now(), actor=starter)
        return {**row, "seq": seq, "prev_hash": "", "hash": "x" * 64}

    bump = {"lock_version": actions.Increment}
    # The case moved on since it was read: no row is added.
    stale = {"id": case.pk, "lock_version": case.lock_version - 1}
    assert not actions._CASES.update_then_insert(bump, stale, actions._EVENTS, [row(99)])
    # A row that cannot be written (its place in the chain is taken): the case is not
    # changed either.
    where = {"id": case.pk, "lock_version": case.lock_version}
    with pytest.raises(IntegrityError):
        actions._CASES.update_then_insert(bump, where, actions._EVENTS, [row(1)])
    case.refresh_from_db()
    assert (case.lock_version, case.events.count()) == before
    assert actions._CASES.update_then_insert(bump, where, actions._EVENTS, [row(99), row(100)])
    case.refresh_from_db()
    assert (case.lock_version, case.events.count()) == (before[0] + 1, before[1] + 2)
