from django.http import Http404, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from siaran.documents.sop_document import flowchart_context

from . import sops
from .templatetags.siaran import has_inferences


def home(request):
    return render(request, "core/home.html", {"sops": sops.available()})


def sop_detail(request, sop_id: str):
    sop = sops.find(sop_id)
    if sop is None:
        raise Http404
    context = {"sop": sop, "flow": flowchart_context(sop), "has_inferences": has_inferences(sop)}
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
