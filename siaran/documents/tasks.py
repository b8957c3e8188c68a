"""Background work of the documents app, through Django's task API (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from siaran.cases.models import Case
from siaran.orgs.models import Person


@task()
def approval_sheet_attach(case_id: int, person_id: int) -> str | None:
    """Issue the approval sheet once the SOP's last review has passed, and keep it with the
    case's files. Queued on commit of that decision; returns the sheet's code."""
    from .actions import approval_sheet_issue

    case = Case.objects.select_related("organization", "sop_version").get(pk=case_id)
    sheet = approval_sheet_issue(case=case, person=Person.objects.get(pk=person_id))
    return sheet.code if sheet else None
