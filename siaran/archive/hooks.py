"""What issue 5 adds to a case's decision, in one place: `cases.actions.case_decide`
calls `before_decision` inside the transition's transaction, before it is written, when
the decision `concerns` issue 5."""

from __future__ import annotations

import logging

from siaran.core.queue import enqueue_with_change
from siaran.documents.approval_sheet import passes_final_review

log = logging.getLogger(__name__)


def concerns(sop, transition) -> bool:
    """Does this decision pass the SOP's last review, where `before_decision` has work?"""
    return passes_final_review(sop, transition.events)


def before_decision(*, case, person) -> None:
    """For a decision that passes the SOP's last review (`concerns`): refuse it while the
    content shows a patient or a child without a consent record; else issue the approval
    sheet once the decision is committed."""
    from .actions import consent_missing, consent_refusal  # actions imports cases.actions

    if consent_missing(case.pk):
        raise consent_refusal()
    from siaran.documents.tasks import approval_sheet_attach

    enqueue_with_change(approval_sheet_attach, case.pk, person.pk)
