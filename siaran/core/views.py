from django.http import Http404
from django.shortcuts import render

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
