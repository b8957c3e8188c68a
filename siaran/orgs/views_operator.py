"""The operator's pages (/operator/): the install's institutions and the SOPs they run.

For the superuser made with `siaran createsuperuser`, who needs no institution of their
own; everyone else gets 403. The same actions as `siaran org` and `siaran sop install`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from siaran.cases.definitions import definition
from siaran.cases.models import Case
from siaran.core import sops
from siaran.core.views import sop_page
from siaran.documents.views import sop_file
from siaran.sop.compare import compare
from siaran.sop.load import MAX_FILE_BYTES, decode
from siaran.sop.model import Sop

from . import actions
from .actions import OrgError, SopFileInvalid
from .models import Organization, OrgSop, SopInstall, SopVersion

RUNNING = ("active", "publishing")


def _operator(request):
    if not request.user.is_superuser:
        raise PermissionDenied(_("These pages are for the operator of this Siaran."))
    return request.user


@login_required
def institutions(request):
    _operator(request)
    rows = Organization.objects.order_by("name").annotate(
        people_count=Count("people", distinct=True),
        sops_count=Count("sops", filter=Q(sops__active=True), distinct=True),
    )
    return render(request, "orgs/operator/institutions.html", {"institutions": rows})


def _time_zones() -> list[str]:
    # Indonesia's three first: nearly every institution is in one of them.
    indonesia = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    return indonesia + sorted(zoneinfo.available_timezones() - set(indonesia))


def _form_values(post) -> dict:
    return {
        "name": post.get("name", ""),
        "short_name": post.get("short_name", ""),
        "parent": post.get("parent", ""),
        "time_zone": post.get("time_zone", ""),
        "units": post.get("units", "").splitlines(),
    }


@login_required
def institution_new(request):
    operator = _operator(request)
    form = {"time_zone": "Asia/Jakarta"}
    status = 200
    if request.method == "POST":
        form = request.POST
        try:
            organization = actions.organization_create(
                operator=operator, slug=request.POST.get("slug", ""), **_form_values(request.POST)
            )
        except OrgError as error:
            messages.error(request, str(error))
            status = 422
        else:
            messages.success(request, _("Institution created."))
            return redirect("orgs:operator-institution", organization.slug)
    context = {"form": form, "time_zones": _time_zones(), "new": True}
    return render(request, "orgs/operator/institution_form.html", context, status=status)


@login_required
def institution_edit(request, slug: str):
    operator = _operator(request)
    organization = get_object_or_404(Organization, slug=slug)
    form = {
        "name": organization.name,
        "short_name": organization.short_name,
        "parent": organization.parent,
        "time_zone": organization.time_zone,
        "units": "\n".join(organization.units.order_by("name").values_list("name", flat=True)),
    }
    status = 200
    if request.method == "POST":
        form = request.POST
        try:
            actions.organization_update(
                operator=operator, organization=organization, **_form_values(request.POST)
            )
        except OrgError as error:
            messages.error(request, str(error))
            status = 422
        else:
            messages.success(request, _("Institution saved."))
            return redirect("orgs:operator-institution", organization.slug)
    context = {
        "form": form,
        "time_zones": _time_zones(),
        "organization": organization,
        "new": False,
    }
    return render(request, "orgs/operator/institution_form.html", context, status=status)


@login_required
def institution(request, slug: str):
    """An institution: its particulars, the SOPs it runs, installing one (shipped or an
    uploaded file, every problem listed and nothing saved until it is valid)."""
    operator = _operator(request)
    organization = get_object_or_404(Organization, slug=slug)
    problems = []
    status = 200
    if request.method == "POST" and "invite" in request.POST:
        return _invite_administrator(request, organization)
    if request.method == "POST":
        upload = request.FILES.get("sop_file")
        try:
            if "shipped" in request.POST:
                install = actions.sop_install(
                    operator=operator, organization=organization, shipped=request.POST["shipped"]
                )
            elif upload is None:
                raise OrgError(_("Choose an SOP file to upload."))
            else:
                text, problems = decode(upload.read(MAX_FILE_BYTES + 1), upload.name)
                if text is None:
                    raise SopFileInvalid(problems)
                install = actions.sop_install(
                    operator=operator, organization=organization, text=text, file_name=upload.name
                )
        except SopFileInvalid as error:
            problems = error.problems
            messages.error(request, str(error))
            status = 422
        except OrgError as error:
            messages.error(request, str(error))
            status = 422
        else:
            messages.success(
                request,
                _(
                    "%(id)s installed: new cases start on this version; running cases "
                    "finish on theirs."
                )
                % {"id": install.org_sop.sop_id},
            )
            return redirect("orgs:operator-institution", organization.slug)
    run = list(organization.sops.select_related("version").order_by("sop_id"))
    running = {o.sop_id: sops.running(organization, o.sop_id) for o in run}
    context = {
        "organization": organization,
        "units": organization.units.order_by("name"),
        "runs": [(o, running[o.sop_id]) for o in run],
        "shipped": sops.available(),
        "problems": [
            {"file": p.file, "line": p.line, "field": p.path, "message": sops.translate(p.message)}
            for p in problems
        ],
        "people_count": organization.people.count(),
        "administrators": organization.people.filter(is_admin=True).select_related("user"),
        "invitations": organization.invitations.filter(
            is_admin=True, accepted_at=None, revoked_at=None
        ).order_by("-pk"),
    }
    return render(request, "orgs/operator/institution.html", context, status=status)


def _invite_administrator(request, organization: Organization):
    """The institution's first administrator (or another), invited by a single-use link
    that expires: mailed, and shown here once for an operator without mail."""
    try:
        invitation = actions.invitation_send(
            organization=organization,
            email=request.POST.get("email", ""),
            name=request.POST.get("name", ""),
            is_admin=True,
            base_url=request.build_absolute_uri("/"),
        )
    except OrgError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Invitation mailed to %(email)s. If the mail does not arrive, pass on this "
                "link, valid once: %(link)s"
            )
            % {"email": invitation.email, "link": invitation.link},
        )
    return redirect("orgs:operator-institution", organization.slug)


@dataclass
class VersionRow:
    version: SopVersion
    sop: Sop
    number: int  # 1 for the oldest the institution had
    installs: list[SopInstall] = field(default_factory=list)
    cases: int = 0
    running: int = 0
    current: bool = False


def _versions(organization: Organization, org_sop: OrgSop) -> list[VersionRow]:
    """Every version of the SOP the institution installed or a case of it ran on, oldest
    first, with who installed it when, and how many cases run on it."""
    installs = list(org_sop.installs.select_related("installed_by").order_by("installed_at", "pk"))
    counts = {
        row["sop_version_id"]: row
        for row in Case.objects.filter(organization=organization, sop_id=org_sop.sop_id)
        .values("sop_version_id")
        .annotate(cases=Count("pk"), running=Count("pk", filter=Q(status__in=RUNNING)))
    }
    ids = {i.version_id for i in installs} | set(counts)
    current = org_sop.version_id
    if current is None:  # following the shipped file: its text as it is now
        text = sops.catalog().texts.get(org_sop.sop_id)
        found = SopVersion.objects.filter(sha256=SopVersion.digest(text or "")).first()
        current = found.pk if found else None
    versions = SopVersion.objects.filter(pk__in=ids).defer("text").order_by("created_at", "pk")
    rows = []
    for number, version in enumerate(versions, 1):
        row = VersionRow(version=version, sop=definition(version), number=number)
        row.installs = [i for i in installs if i.version_id == version.pk]
        row.cases = counts.get(version.pk, {}).get("cases", 0)
        row.running = counts.get(version.pk, {}).get("running", 0)
        row.current = version.pk == current
        rows.append(row)
    return rows


def _org_sop(slug: str, sop_id: str) -> tuple[Organization, OrgSop]:
    organization = get_object_or_404(Organization, slug=slug)
    org_sop = get_object_or_404(OrgSop, organization=organization, sop_id=sop_id)
    return organization, org_sop


def _chosen(rows: list[VersionRow], value: str | None) -> VersionRow | None:
    return next((r for r in rows if str(r.version.pk) == value), None)


@login_required
def sop_versions(request, slug: str, sop_id: str):
    """An SOP's versions at the institution and what changed between two of them."""
    _operator(request)
    organization, org_sop = _org_sop(slug, sop_id)
    rows = _versions(organization, org_sop)
    old, new = _chosen(rows, request.GET.get("old")), _chosen(rows, request.GET.get("new"))
    if old is None and new is None and len(rows) >= 2:
        old, new = rows[-2], rows[-1]  # the newest change, until the reader picks two
    changes = compare(old.sop, new.sop) if old and new else None
    context = {
        "organization": organization,
        "org_sop": org_sop,
        "rows": list(reversed(rows)),
        "old": old,
        "new": new,
        "changes": changes,
        "field_labels": field_labels(),
    }
    return render(request, "orgs/operator/sop_versions.html", context)


def field_labels() -> dict[str, str]:
    """The names of the compared fields (siaran.sop.compare) as the page shows them."""
    return {
        "name": _("name"),
        "number": _("SOP number"),
        "institution": _("Institution"),
        "parent_organisation": _("ministry or directorate"),
        "revision": _("Revision"),
        "made": _("Date made"),
        "revised": _("Date revised"),
        "effective": _("Effective"),
        "ratified_by": _("Ratified by"),
        "legal_basis": _("Legal basis"),
        "qualifications": _("Implementer qualifications"),
        "related": _("Related SOPs"),
        "equipment": _("Equipment"),
        "warnings": _("Warnings"),
        "records": _("Records"),
        "separate_duties": _("Separate duties"),
        "holder": _("held by"),
        "name_en": _("name in English"),
        "no": _("No."),
        "activity": _("Activity"),
        "lane": _("Implementer"),
        "kind": _("kind of step"),
        "inputs": _("Inputs"),
        "output": _("Output"),
        "remarks": _("Remarks"),
        "next": _("next step"),
        "channels": _("channels"),
        "edits_content": _("content written here"),
        "signs_approval_sheet": _("signs the approval sheet"),
        "activity_en": _("activity in English"),
        "position": _("place in the form"),
        "label": _("label"),
        "note_required": _("a note is required"),
        "label_en": _("label in English"),
    }


def _version(slug: str, sop_id: str, version_id: int) -> tuple[Organization, VersionRow]:
    organization, org_sop = _org_sop(slug, sop_id)
    row = next((r for r in _versions(organization, org_sop) if r.version.pk == version_id), None)
    if row is None:
        raise Http404
    return organization, row


@login_required
def sop_version(request, slug: str, sop_id: str, version_id: int):
    """The SOP form of one version, as the SOP page shows a shipped SOP."""
    _operator(request)
    organization, row = _version(slug, sop_id, version_id)
    args = [slug, sop_id, version_id]
    return sop_page(
        request,
        row.sop,
        back_url=reverse("orgs:operator-sop", args=[slug, sop_id]),
        back_label=_("Versions of %(id)s at %(org)s") % {"id": sop_id, "org": organization},
        pdf_url=reverse("orgs:operator-version-pdf", args=args),
        html_url=reverse("orgs:operator-version-html", args=args),
        version_note=_("Version %(number)s (SHA-256 %(sha)s)")
        % {"number": row.number, "sha": row.version.sha256[:12]},
    )


@login_required
def sop_version_file(request, slug: str, sop_id: str, version_id: int, extension: str):
    _operator(request)
    _organization, row = _version(slug, sop_id, version_id)
    return sop_file(row.sop, extension, suffix=f"-v{row.number}")
