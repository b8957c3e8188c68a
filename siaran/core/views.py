import logging

from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from siaran.documents.sop_document import flowchart_context, inferred_reasons
from siaran.orgs.models import OrgSop
from siaran.sop.model import Sop

from . import sops
from .templatetags.siaran import has_inferences

log = logging.getLogger(__name__)


def home(request):
    listed = {sop_id: sop for sop_id in _public_ids() if (sop := sops.find(sop_id))}
    person = getattr(request.user, "person", None)
    if person is not None:  # the reader's institution's SOPs, as it runs them now
        listed.update({sop.id: sop for sop in sops.run_by(person.organization)})
    shown = sorted(listed.values(), key=lambda sop: (sop.institution, sop.name))
    return render(request, "core/home.html", {"sops": shown})


def _public_ids() -> set[str]:
    """The SOP files an institution that runs them has made public (OrgSop.public)."""
    return set(
        OrgSop.objects.filter(public=True, active=True, version=None).values_list(
            "sop_id", flat=True
        )
    )


def readable(request, sop_id: str) -> Sop | None:
    """The SOP of this id as the reader's institution runs it now (its own uploaded
    version, which only its people see); else the SOP file, where an institution that
    runs it has made it public; else nothing."""
    person = getattr(request.user, "person", None)
    if person is not None and person.organization.sops.filter(sop_id=sop_id).exists():
        return sops.running(person.organization, sop_id)
    return sops.find(sop_id) if sop_id in _public_ids() else None


def sop_detail(request, sop_id: str):
    sop = readable(request, sop_id)
    if sop is None:
        raise Http404
    return sop_page(
        request,
        sop,
        back_url=reverse("core:home"),
        back_label=_("All SOPs"),
        pdf_url=reverse("documents:sop-pdf", args=[sop.id]),
        html_url=reverse("documents:sop-html", args=[sop.id]),
    )


def sop_page(request, sop: Sop, *, back_url, back_label, pdf_url, html_url, version_note=""):
    """The SOP form as a page: a shipped SOP's, or one version an institution installed."""
    context = {
        "sop": sop,
        "flow": flowchart_context(sop),
        "has_inferences": has_inferences(sop),
        "back_url": back_url,
        "back_label": back_label,
        "pdf_url": pdf_url,
        "html_url": html_url,
        "version_note": version_note,
        "inferred_reasons": inferred_reasons(sop),
    }
    return render(request, "core/sop_detail.html", context)


def bad_request(request, exception=None):
    """Django's 400, in Siaran's look and words: mostly a file over its limit, refused
    while it arrived (siaran.cases.uploads)."""
    refused = getattr(request, "upload_refused", None)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = "/"
    context = {
        "reason": refused or _("The request could not be read. Go back and try again."),
        "back": back,
    }
    return render(request, "core/400.html", context, status=413 if refused else 400)


def permission_denied(request, exception=None):
    """Django's 403, in Siaran's look and words, with the reason the view gave (Siaran's
    views raise PermissionDenied with a translated sentence)."""
    reason = str(exception) if exception is not None else ""
    return render(request, "core/403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    """Django's 404, in Siaran's look and words."""
    return render(request, "core/404.html", status=404)


def server_error(request):
    """Django's 500, in Siaran's look and words. Rendered without the context processors
    (no session, no person, no query): the database may be what failed."""
    html = loader.get_template("core/500.html").render({"request": request})
    return HttpResponseServerError(html)


@csrf_exempt
@require_POST
def csp_report(request):
    """A browser reports what the Content-Security-Policy refused: logged for the operator
    (an injected script, or a page of Siaran that needs the policy changed)."""
    log.warning(
        "Content-Security-Policy violation: %s", request.body[:2000].decode(errors="replace")
    )
    return HttpResponse(status=204)
