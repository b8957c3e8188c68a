"""Two people finishing the same step at the same moment give exactly one transition.

Each person acts from their own thread with their own database connection, released
together by a barrier. In CI this runs on SQLite and again on PostgreSQL.
"""

import threading

import pytest
from django.db import connections

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.cases.models import Case, CaseEvent
from tests.conftest import second_verifier


def race(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
            results[index] = "ok"
        except ActionError as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def two_verifiers(transactional_db):
    from django.core.management import call_command

    call_command("demo", "--no-history", stdout=open("/dev/null", "w"))  # noqa: SIM115
    case = Case.objects.get(title="Penerimaan Mahasiswa Baru 2027")
    verifier = case.created_by.organization.people.get(user__username="poltekkes-jkt2-verifikator")
    second = second_verifier(verifier.organization)
    return case, verifier, second


@pytest.mark.parametrize("with_seen", [True, False], ids=["page", "api-without-run"])
def test_two_approvals_at_once_make_one_transition(two_verifiers, with_seen):
    case, verifier, second = two_verifiers
    seen = case.lock_version

    def approve(person):
        return lambda: actions.case_decide(
            person=person, case_id=case.pk, outcome="ya", seen=seen if with_seen else None
        )

    results = race([approve(verifier), approve(second)])
    assert results.count("ok") == 1, results
    loser = next(r for r in results if r != "ok")
    # With or without the visit it saw, the loser is told the case moved on (issue 17,
    # finding 10): never "not your lane" for the step that was theirs a moment ago.
    assert isinstance(loser, ActionError) and loser.code == "moved_on", loser
    assert loser.status == 409
    case.refresh_from_db()
    assert case.current_step == "control"
    done = CaseEvent.objects.filter(case=case, kind="step_done", step_id="verify")
    assert done.count() == 1
    assert case.lock_version == seen + 1
    assert case.events.filter(kind="step_entered", step_id="control").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_publish_makes_one_set_of_jobs():
    from django.core.management import call_command

    from siaran.publishing.models import PublishJob

    call_command("demo", "--no-history", stdout=open("/dev/null", "w"))  # noqa: SIM115
    case = Case.objects.get(title="Dies Natalis Poltekkes Jakarta II")  # at its upload step
    member = case.organization.people.get(user__username="poltekkes-jkt2-anggota")

    seen = case.lock_version  # as the case page's form sends it

    def publish():
        return actions.case_decide(person=member, case_id=case.pk, outcome="publish", seen=seen)

    results = race([publish, publish])
    assert results.count("ok") == 1, results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, ActionError) and loser.code == "moved_on", loser
    jobs = PublishJob.objects.filter(case=case)
    assert sorted(jobs.values_list("channel", flat=True)) == sorted(case.channels)
    assert case.events.filter(kind="publish_started").count() == 1
    case.refresh_from_db()
    assert case.status == "publishing"


def test_the_second_of_two_colleagues_is_told_the_case_moved_on(two_verifiers):
    """The same race, one after the other: the page of the second was opened before."""
    case, verifier, second = two_verifiers
    actions.case_decide(person=verifier, case_id=case.pk, outcome="ya")
    with pytest.raises(ActionError) as late:
        actions.case_decide(person=second, case_id=case.pk, outcome="ya")
    assert late.value.status == 409 and late.value.code == "moved_on"
    # Someone whose lane never led here is still told it is not their lane.
    maker = case.organization.people.get(user__username="poltekkes-jkt2-anggota")
    with pytest.raises(ActionError) as stranger:
        actions.case_decide(person=maker, case_id=case.pk, outcome="ya")
    assert stranger.value.code == "not_your_lane"
