"""The only code that issues approval sheets.

A sheet is issued when the SOP's last review passes (a task queued on commit of that
decision, `tasks.approval_sheet_attach`) and whenever someone asks for the sheet and the
newest one no longer matches the case (a later decision, changed content). Asking again
while nothing changed gives the same sheet: the same code, the same file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.cases.actions import ActionError
from siaran.cases.definitions import definition
from siaran.cases.models import Attachment, Case
from siaran.cases.selectors import visible_cases
from siaran.core.site import site_url
from siaran.orgs.models import Person

from .approval_sheet import render_sheet, sheet_content, thumbnail_of
from .models import ApprovalSheet

# Short codes leave out 0, 1, I and O, which a reader confuses when typing one.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 50 random bits: not to be guessed


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a person typed ("k7q2m-x9d3p ") as it is stored ("K7Q2MX9D3P")."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())[:CODE_LENGTH]


def verification_url(code: str, base_url: str = "") -> str:
    """The absolute address of the sheet's verification page, for its QR code.

    SIARAN_BASE_URL when set (a worker has no request to read a host from), else the
    host of the request that asked for the sheet, else the development server's.
    """
    return site_url(base_url) + reverse("documents:verify", args=[code])


def approval_sheet_issue(
    *, case: Case, person: Person, base_url: str = "", now: dt.datetime | None = None
) -> ApprovalSheet | None:
    """The sheet that matches the case now, issued if the newest one does not; None while
    no review is done. `person` is recorded as who caused it to be issued."""
    now = now or timezone.now()
    sop = definition(case.sop_version)
    with transaction.atomic():
        # One issuer at a time per case, so a worker and a reader never make two sheets.
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
        content = sheet_content(case, sop)
        if content is None:
            return None
        newest = case.approval_sheets.order_by("-pk").first()
        if (
            newest is not None
            and newest.document_id is not None
            and newest.version_number == content.version.number
            and newest.content_sha256 == content.content_sha256
            and newest.reviews_through == content.reviews_through
        ):
            return newest
        code = new_code()
        pdf = render_sheet(
            content,
            code=code,
            url=verification_url(code, base_url),
            issued_at=now,
            thumbnail=thumbnail_of(content.version),
        )
        decided = [row for row in content.rows if row.decided]
        document = Attachment(
            case=case,
            key=secrets.token_hex(16),
            name=f"lembar-pengesahan-{code}.pdf",
            kind="document",
            content_type="application/pdf",
            extension=".pdf",
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            uploaded_by=person,
            step_id=decided[-1].step.id if decided else "",
        )
        document.file.save("sheet", ContentFile(pdf), save=False)
        try:
            document.save()
            sheet = ApprovalSheet.objects.create(
                code=code,
                case=case,
                version_number=content.version.number,
                content_sha256=content.content_sha256,
                reviews_through=content.reviews_through,
                final=content.final,
                issued_at=now,
                issued_by=person,
                document=document,
                pdf_sha256=document.sha256,
            )
        except Exception:
            document.file.delete(save=False)  # no orphan file when the rows cannot be written
            raise
    return sheet


def approval_sheet_for(*, person: Person, case_id: int, base_url: str = "") -> ApprovalSheet:
    """The case's current approval sheet for someone who may see the case."""
    case = visible_cases(person).select_related("organization", "sop_version").filter(pk=case_id)
    case = case.first()
    if case is None:
        raise ActionError(ActionError.NOT_FOUND, "not_found", _("No such case."))
    sheet = approval_sheet_issue(case=case, person=person, base_url=base_url)
    if sheet is None:
        raise ActionError(
            ActionError.NOT_FOUND,
            "no_review_yet",
            _("No review has been done on this case yet, so it has no approval sheet."),
        )
    return sheet
