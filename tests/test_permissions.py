"""The permission matrix: every person x every step x every outcome.

The only attempts that succeed are those the SOP allows: the person sits in the step's
lane and the outcome is one of the step's. Outsiders of the institution and people of the
other institution never succeed; administrators act only in lanes they hold.
"""

import pytest
from django.db import transaction

from siaran.cases import actions
from siaran.cases.actions import ActionError
from siaran.core import sops
from siaran.orgs import actions as org_actions
from tests.publishing import TEXT_ONLY

PREFIX = {"rspon-medsos": "rspon", "poltekkes-jkt2-publikasi": "poltekkes-jkt2"}


def walk_to(sop, people, prefix, target):
    case = actions.case_start(
        person=people[f"{prefix}-{sop.first_step.lane}"],
        sop_id=sop.id,
        title=f"Matriks {target}",
        channels=TEXT_ONLY[sop.id],
    )
    while case.current_step != target:
        step = sop.step(case.current_step)
        forward = next(o for o in step.exits() if not sop.is_rework(step.id, o))
        case = actions.case_decide(
            person=people[f"{prefix}-{step.lane}"], case_id=case.pk, outcome=forward.id
        )
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("sop_id", sorted(PREFIX))
def test_only_what_the_sop_allows_succeeds(demo, sop_id):
    sop = sops.find(sop_id)
    prefix = PREFIX[sop_id]
    organization = demo[f"{prefix}-admin"].organization
    outsider = org_actions.person_ensure(
        organization=organization, username=f"{prefix}-luar", name="Pegawai Lain", password="x"
    )
    other_sop = sops.find(next(s for s in PREFIX if s != sop_id))
    other = demo[f"{PREFIX[other_sop.id]}-{other_sop.lanes[0].id}"]
    people = {
        **{f"{prefix}-{lane.id}": demo[f"{prefix}-{lane.id}"] for lane in sop.lanes},
        "outsider": outsider,
        "admin": demo[f"{prefix}-admin"],
        "other institution": other,
    }
    outcomes = sorted({o.id for step in sop.steps for o in step.exits()} | {"done", "publish"})
    attempts = successes = 0
    for step in sop.steps:
        case = walk_to(sop, demo, prefix, step.id)
        for label, person in people.items():
            for outcome in outcomes:
                allowed = (label == f"{prefix}-{step.lane}") and step.outcome(outcome) is not None
                attempts += 1
                with transaction.atomic():
                    try:
                        actions.case_decide(
                            person=person, case_id=case.pk, outcome=outcome, note="alasan"
                        )
                        succeeded = True
                    except ActionError as error:
                        succeeded = False
                        assert error.status in (403, 404, 409, 422)
                    transaction.set_rollback(True)  # every attempt starts from the same state
                case.refresh_from_db()
                assert succeeded == allowed, (step.id, label, outcome)
                successes += succeeded
    assert successes == sum(len(step.exits()) for step in sop.steps)
    assert attempts == len(sop.steps) * len(people) * len(outcomes)
