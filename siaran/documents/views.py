from django.http import Http404, HttpResponse
from django.utils.translation import get_language

from siaran.core import sops

from .sop_document import render_html, render_pdf


def sop_document(request, sop_id: str, extension: str):
    """The SOP form as a file to keep or print, in the reader's language."""
    sop = sops.find(sop_id)
    if sop is None:
        raise Http404
    language = get_language() or "id"
    if extension == "pdf":
        response = HttpResponse(render_pdf(sop, language), content_type="application/pdf")
    else:
        response = HttpResponse(render_html(sop, language), content_type="text/html; charset=utf-8")
    name = document_filename(sop.id, language, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def document_filename(sop_id: str, language: str, extension: str) -> str:
    """ "sop-rspon-medsos.pdf"; the English version says so: "sop-rspon-medsos-en.pdf"."""
    suffix = "" if language.startswith("id") else f"-{language[:2]}"
    return f"sop-{sop_id}{suffix}.{extension}"
