"""The institution's audit seals, for its administrator: each night's anchor, where it is
mailed, and all of them as the file `siaran audit verify --anchors` reads."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from siaran.orgs import actions as org_actions
from siaran.orgs.actions import OrgError
from siaran.orgs.models import Person

from .actions import anchor_document
from .models import AuditAnchor

RECENT = 30  # days listed on the page; the download holds them all


def _admin(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None or not person.is_admin:
        raise PermissionDenied(_("Only an administrator of your institution can do this."))
    return person


@login_required
def anchors(request: HttpRequest):
    admin = _admin(request)
    if request.method == "POST":
        try:
            org_actions.audit_email_set(admin=admin, email=request.POST.get("email", ""))
        except OrgError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("audit:anchors")
    rows = AuditAnchor.objects.filter(organization_id=admin.organization_id).order_by("-day")
    context = {"anchors": rows[:RECENT], "count": rows.count()}
    return render(request, "audit/anchors.html", context)


@login_required
def anchors_download(request: HttpRequest):
    admin = _admin(request)
    rows = AuditAnchor.objects.filter(organization_id=admin.organization_id).order_by("day")
    document = [anchor_document(row) for row in rows.select_related("organization")]
    response = HttpResponse(
        json.dumps(document, indent=1, ensure_ascii=False), content_type="application/json"
    )
    name = f"siaran-anchors-{admin.organization.slug}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
