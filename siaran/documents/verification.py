"""Does an approval sheet match the archive? The public verification page's one question.

What the page shows, to anyone holding the code, without a login: the verdict and its
reason, the institution, the SOP's name and number, the case's title, the content
version, the content SHA-256, the sheet's PDF SHA-256, and when it was issued. It never
shows the reviewers' names, NIPs or notes (personal data, UU 27/2022), nor the content:
the holder of the sheet reads those on the sheet itself, and the page confirms them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from siaran.cases.definitions import definition
from siaran.cases.digest import content_sha256
from siaran.sop import engine

from .approval_sheet import review_steps
from .models import ApprovalSheet

VALID = "valid"
SUPERSEDED = "superseded"
UNKNOWN = "unknown"
REMOVED = "removed"  # issued, but the archive no longer holds it (disposed of)


@dataclass(frozen=True)
class Verdict:
    state: str
    reason: str = ""
    sheet: ApprovalSheet | None = None
    sop_name: str = ""
    sop_number: str = ""


def verify(code: str) -> Verdict:
    sheet = (
        ApprovalSheet.objects.select_related("case__organization", "case__sop_version")
        .filter(code=code)
        .first()
        if code
        else None
    )
    if sheet is None:
        return Verdict(UNKNOWN, _("No approval sheet with this code was issued by Siaran."))
    case = sheet.case
    sop = definition(case.sop_version)
    found = {"sheet": sheet, "sop_name": sop.name, "sop_number": sop.number}
    if sheet.document_id is None:
        return Verdict(
            REMOVED,
            _(
                "This sheet was issued, but its case has been disposed of under the retention "
                "schedule; the archive no longer holds it."
            ),
            **found,
        )
    newer = case.approval_sheets.filter(pk__gt=sheet.pk).order_by("-pk").first()
    if newer is not None:
        reason = _("A newer approval sheet (%(code)s) was issued for this case on %(date)s.") % {
            "code": newer.display_code,
            "date": newer.issued_at.date().isoformat(),
        }
        return Verdict(SUPERSEDED, reason, **found)
    latest = case.versions.order_by("-number").prefetch_related("media").first()
    if latest is not None and latest.number > sheet.version_number:
        reason = _("The content was reworked after this sheet: version %(number)d is newer.") % {
            "number": latest.number
        }
        return Verdict(SUPERSEDED, reason, **found)
    version = case.versions.prefetch_related("media").filter(number=sheet.version_number).first()
    if version is None or content_sha256(version) != sheet.content_sha256:
        return Verdict(
            SUPERSEDED, _("The content was changed after this sheet was issued."), **found
        )
    reviews = [step.id for step in review_steps(sop)]
    later = case.events.filter(
        kind=engine.STEP_DONE, step_id__in=reviews, seq__gt=sheet.reviews_through
    )
    if later.exists():
        return Verdict(
            SUPERSEDED,
            _("Review decisions were recorded after this sheet was issued."),
            **found,
        )
    if sheet.final:
        return Verdict(
            VALID,
            _("This sheet matches the archive: it is the final approval of this content version."),
            **found,
        )
    return Verdict(
        VALID,
        _(
            "This sheet matches the archive, but it is provisional: not every review step of "
            "the SOP has passed yet."
        ),
        **found,
    )
