"""The archive's parts of the case page: downloads, approval sheets, consent, retention."""

from django import template

from siaran.cases.definitions import definition
from siaran.documents.approval_sheet import review_steps
from siaran.documents.models import ApprovalSheet
from siaran.documents.verification import SUPERSEDED, verify
from siaran.orgs.selectors import lanes_of
from siaran.sop import engine

from ..actions import consent_missing
from ..models import ConsentRecord
from ..selectors import retention_of

register = template.Library()


@register.inclusion_tag("archive/_case_buttons.html", takes_context=True)
def case_archive_buttons(context, case, sop):
    """The approval sheet (once a review is done) and the ZIP export, near the top."""
    reviews = [step.id for step in review_steps(sop)]
    reviewed = (
        case.events.filter(kind=engine.STEP_DONE, step_id__in=reviews).exists()
        and case.versions.exists()  # a case disposed of has no content left to approve
    )
    return {
        "case": case,
        "reviewed": reviewed,
        "consent_missing": case.status == "active" and consent_missing(case.pk),
    }


@register.inclusion_tag("archive/_case_panel.html", takes_context=True)
def case_archive_panel(context, case):
    person = context["request"].user.person
    retention = retention_of(case)
    sheets = list(ApprovalSheet.objects.filter(case=case).order_by("-pk"))
    # Every sheet but the newest is superseded by it; only the newest needs checking.
    states = [verify(sheet.code).state if i == 0 else SUPERSEDED for i, sheet in enumerate(sheets)]
    lanes = lanes_of(person, case.sop_id)
    can_work = case.status == "active" and (case.created_by_id == person.pk or bool(lanes))
    sop = context.get("sop") or definition(case.sop_version)  # the case page has it
    signs = bool(set(lanes) & sop.signing_lanes())
    return {
        "case": case,
        "person": person,
        "retention": retention,
        "needs_consent": bool(retention.record and retention.record.needs_consent),
        "consents": ConsentRecord.objects.filter(case=case).select_related(
            "attachment", "recorded_by"
        ),
        "sheets": list(zip(sheets, states, strict=True)),
        "can_work": can_work,
        "can_clear": can_work and signs,  # who may take the consent mark off (the action's rule)
        "classes": person.organization.retention_classes.all() if person.is_admin else [],
        "csrf_token": context.get("csrf_token"),
    }
