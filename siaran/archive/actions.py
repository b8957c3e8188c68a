"""The only code that changes the archive's records: retention classes, a case's class
and review, disposal, and consent. Every change to a case's record leaves a RecordEvent.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.audit import actions as audit
from siaran.cases import actions as case_actions
from siaran.cases.actions import UPLOAD_TYPES, ActionError
from siaran.cases.definitions import definition
from siaran.cases.digest import content_sha256
from siaran.cases.models import Attachment, Case, Comment, ContentVersion, SeenVersion
from siaran.cases.selectors import visible_cases
from siaran.orgs.models import Person
from siaran.orgs.selectors import lanes_of

from .models import (
    DESTROY,
    DISPOSITIONS,
    PERMANENT,
    REASSESS,
    CaseRecord,
    ConsentRecord,
    RecordEvent,
    RetentionClass,
)
from .selectors import effective_class, review_date

# A consent is a signed form: a PDF or a photo or scan of it.
CONSENT_TYPES = ("application/pdf", "image/jpeg", "image/png")


def _refuse(status: int, code: str, message: str) -> ActionError:
    return ActionError(status, code, message)


def _require_admin(person: Person) -> None:
    if not person.is_admin:
        raise _refuse(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can do this."),
        )


def _record(case: Case) -> CaseRecord:
    """The case's record, locked for this transaction; made when it is first needed."""
    CaseRecord.objects.get_or_create(case=case)
    return CaseRecord.objects.select_for_update().get(case=case)


def _log(
    case: Case, kind: str, person: Person, reason: str = "", data: dict | None = None
) -> RecordEvent:
    """The record's own log, and the same on the case's timeline (its audit chain)."""
    case_actions.timeline_add(
        person=person, case=case, kind=f"record_{kind}", note=reason, data=data or {}
    )
    return RecordEvent.objects.create(
        case=case, kind=kind, person=person, at=timezone.now(), reason=reason, data=data or {}
    )


# -- retention schedule ---------------------------------------------------------------


def retention_class_save(
    *,
    admin: Person,
    code: str,
    name: str,
    active_years: int | str,
    inactive_years: int | str,
    disposition: str,
    basis: str = "",
    is_default: bool = False,
    class_id: int | None = None,
) -> RetentionClass:
    """Add a line to the institution's retention schedule, or change one."""
    _require_admin(admin)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise _refuse(
            ActionError.INVALID, "required", _("Give the retention class a code and a name.")
        )
    try:
        active, inactive = int(active_years), int(inactive_years)
    except (TypeError, ValueError):
        active = inactive = -1
    if not (0 <= active <= 100 and 0 <= inactive <= 100):
        raise _refuse(
            ActionError.INVALID,
            "years",
            _("Active and inactive years are whole numbers from 0 to 100."),
        )
    if disposition not in dict(DISPOSITIONS):
        raise _refuse(ActionError.INVALID, "disposition", _("Choose a final disposition."))
    organization = admin.organization
    taken = organization.retention_classes.filter(code=code).exclude(pk=class_id)
    if taken.exists():
        raise _refuse(
            ActionError.INVALID, "code_taken", _("Another retention class has this code.")
        )
    with transaction.atomic():
        if class_id is None:
            retention = RetentionClass(organization=organization)
        else:
            retention = organization.retention_classes.select_for_update().filter(pk=class_id)
            retention = retention.first()
            if retention is None:
                raise _refuse(ActionError.NOT_FOUND, "not_found", _("No such retention class."))
        if is_default:  # one default per institution
            organization.retention_classes.exclude(pk=class_id).update(is_default=False)
        retention.code, retention.name = code, name
        retention.active_years, retention.inactive_years = active, inactive
        retention.disposition, retention.basis = disposition, (basis or "").strip()[:300]
        retention.is_default = bool(is_default)
        retention.save()
        data = {"code": code, "name": name, "active_years": active, "inactive_years": inactive}
        data.update(disposition=disposition, is_default=bool(is_default))
        audit.record("retention_class_saved", actor=admin, data=data)
    return retention


def _admin_case(admin: Person, case_id: int) -> Case:
    _require_admin(admin)
    case = Case.objects.filter(pk=case_id, organization_id=admin.organization_id).first()
    if case is None:
        raise _refuse(ActionError.NOT_FOUND, "not_found", _("No such case."))
    return case


def retention_assign(*, admin: Person, case_id: int, class_id: int, reason: str = "") -> CaseRecord:
    """Put a case under one class of the institution's retention schedule."""
    case = _admin_case(admin, case_id)
    retention = admin.organization.retention_classes.filter(pk=class_id).first()
    if retention is None:
        raise _refuse(ActionError.INVALID, "unknown_class", _("Choose a retention class."))
    with transaction.atomic():
        record = _record(case)
        if record.disposed_at:
            raise _disposed()
        record.retention_class = retention
        record.save(update_fields=["retention_class"])
        _log(case, RecordEvent.CLASSIFIED, admin, reason.strip(), {"code": retention.code})
    return record


def _disposed() -> ActionError:
    return _refuse(
        ActionError.CONFLICT, "disposed", _("This case has been disposed of; its record is final.")
    )


EXTEND = "extend"
KEEP = "keep"
DISPOSE = "dispose"
DECISIONS = (EXTEND, KEEP, DISPOSE)


def retention_decide(
    *,
    admin: Person,
    case_id: int,
    decision: str,
    reason: str,
    until: dt.date | None = None,
    today: dt.date | None = None,
) -> RecordEvent:
    """An administrator's decision on a closed case at its review: keep it until a later
    review, keep it permanently, or dispose of it. Each needs a reason and is recorded.

    Disposal destroys the content versions, every file (media, attachments, approval
    sheets, consents) and the comments. The case's row, its timeline and its record stay,
    with the list of what was destroyed: the institution's list of disposed archives.
    """
    case = _admin_case(admin, case_id)
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(
            ActionError.INVALID, "reason_required", _("Say why: a decision needs a reason.")
        )
    if decision not in DECISIONS:
        raise _refuse(ActionError.INVALID, "unknown_decision", _("Choose a decision."))
    if case.closed_at is None:
        raise _refuse(
            ActionError.CONFLICT,
            "case_open",
            _("The case is still running; retention starts when it is closed."),
        )
    with transaction.atomic():
        record = _record(case)
        if record.disposed_at:
            raise _disposed()
        if decision == EXTEND:
            if until is None or until <= today:
                raise _refuse(ActionError.INVALID, "until", _("Give a review date after today."))
            record.review_on = until
            record.save(update_fields=["review_on"])
            return _log(case, RecordEvent.EXTENDED, admin, reason, {"until": until.isoformat()})
        if decision == KEEP:
            record.kept_permanently = True
            record.save(update_fields=["kept_permanently"])
            return _log(case, RecordEvent.KEPT, admin, reason)
        retention = effective_class(case.organization, record)
        if record.kept_permanently or retention is None or retention.disposition == PERMANENT:
            raise _refuse(
                ActionError.INVALID,
                "permanent",
                _("This case is kept permanently; it cannot be destroyed."),
            )
        due = review_date(case, record, retention)
        if due is None or due > today:
            raise _refuse(
                ActionError.INVALID,
                "not_due",
                _("This case is not due for review yet (review date %(date)s).")
                % {"date": due.isoformat() if due else "-"},
            )
        assert retention.disposition in (DESTROY, REASSESS)
        event = _dispose(case, record, admin, reason, retention)
    return event


def _dispose(case, record, admin, reason, retention) -> RecordEvent:
    every = list(Attachment.objects.filter(case=case).order_by("pk"))
    files = [f for f in every if f.original_id is None]  # renditions are copies of these
    versions = list(ContentVersion.objects.filter(case=case).order_by("number"))
    manifest = {
        "case": {
            "id": case.pk,
            "title": case.title,
            "sop": case.sop_id,
            "created_at": case.created_at.isoformat(),
            "closed_at": case.closed_at.isoformat(),
            "status": case.status,
        },
        "retention_class": retention.code,
        "versions": [{"number": v.number, "sha256": content_sha256(v)} for v in versions],
        "files": [
            {"name": f.name, "kind": f.kind, "size": f.size, "sha256": f.sha256} for f in files
        ],
        "comments": Comment.objects.filter(case=case).count(),
        "consents": ConsentRecord.objects.filter(case=case).count(),
    }
    stored = [f.file.name for f in every] + [f.preview.name for f in every if f.preview]
    ConsentRecord.objects.filter(case=case).delete()
    SeenVersion.objects.filter(case=case).delete()
    Comment.objects.filter(case=case).delete()
    for version in versions:
        version.media.clear()
    ContentVersion.objects.filter(case=case).delete()
    Attachment.objects.filter(case=case).delete()  # approval sheets keep their record
    record.disposed_at = timezone.now()
    record.save(update_fields=["disposed_at"])
    event = _log(case, RecordEvent.DISPOSED, admin, reason, manifest)

    storage = Attachment._meta.get_field("file").storage

    def remove_files():
        for name in stored:
            storage.delete(name)

    # The files go once the rows are gone for good; a rollback keeps both.
    transaction.on_commit(remove_files)
    return event


# -- consent ---------------------------------------------------------------------------


def _case_at_work(person: Person, case_id: int) -> Case:
    """A running case that `person` works on: a lane of its SOP, or they started it."""
    case = visible_cases(person).filter(pk=case_id).first()
    if case is None:
        raise _refuse(ActionError.NOT_FOUND, "not_found", _("No such case."))
    if case.status != "active":
        raise _refuse(ActionError.CONFLICT, "case_closed", _("This case is closed."))
    if case.created_by_id != person.pk and not lanes_of(person, case.sop_id):
        raise _refuse(
            ActionError.FORBIDDEN,
            "not_working_on_it",
            _("Only the people working on this case can do this."),
        )
    return case


def consent_flag_set(
    *, person: Person, case_id: int, needs_consent: bool, reason: str = ""
) -> CaseRecord:
    """Mark that the content shows a patient or a child, or take the mark off with a
    reason; its final review then needs a consent record."""
    case = _case_at_work(person, case_id)
    reason = (reason or "").strip()
    if not needs_consent:
        # Taking the mark off removes the consent check before the last review: only
        # those who sign the approval sheet may, and they say why.
        signing = definition(case.sop_version).signing_lanes()
        if not set(lanes_of(person, case.sop_id)) & signing:
            raise _refuse(
                ActionError.FORBIDDEN,
                "not_a_signer",
                _("Only the reviewers who sign the approval sheet can take this mark off."),
            )
        if not reason:
            raise _refuse(
                ActionError.INVALID,
                "reason_required",
                _("Say why the content no longer needs consent."),
            )
    with transaction.atomic():
        record = _record(case)
        if record.needs_consent != needs_consent:
            record.needs_consent = needs_consent
            record.save(update_fields=["needs_consent"])
            kind = RecordEvent.CONSENT_FLAGGED if needs_consent else RecordEvent.CONSENT_CLEARED
            _log(case, kind, person, reason)
    return record


def consent_record_add(*, person: Person, case_id: int, upload, subject: str) -> ConsentRecord:
    """Keep a signed consent with the case: a PDF, JPEG or PNG, never added to the media."""
    case = _case_at_work(person, case_id)
    subject = (subject or "").strip()
    if not subject:
        raise _refuse(
            ActionError.INVALID,
            "subject_required",
            _("Say whose consent this is (the patient, or the child's parent or guardian)."),
        )
    attachment = case_actions.checked_upload(
        upload,
        case=case,
        person=person,
        step_id=case.current_step,
        refusal=_("A consent record is a PDF or a photo (JPEG, PNG) of the signed form."),
        types={mime: UPLOAD_TYPES[mime] for mime in CONSENT_TYPES},
        default_name="consent",
    )
    attachment.file.save("consent", upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            consent = ConsentRecord.objects.create(
                case=case,
                attachment=attachment,
                subject=subject[:200],
                recorded_by=person,
                recorded_at=timezone.now(),
            )
            details = {"subject": consent.subject, "file": attachment.name}
            _log(case, RecordEvent.CONSENT_RECORDED, person, "", details)
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the rows cannot be written
        raise
    return consent


def consent_missing(case_id: int) -> bool:
    """Is the case flagged as showing a patient or a child, without a consent record?"""
    flagged = CaseRecord.objects.filter(case_id=case_id, needs_consent=True).exists()
    return flagged and not ConsentRecord.objects.filter(case_id=case_id).exists()


def consent_refusal() -> ActionError:
    return _refuse(
        ActionError.INVALID,
        "consent_required",
        _(
            "This content shows a patient or a child: attach a consent record before the "
            "final review can pass (UU 27/2022 on personal data protection)."
        ),
    )
