from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from siaran.cases.actions import ActionError
from siaran.cases.downloads import APPROVAL_SHEET, download
from siaran.core.views import readable

from .actions import approval_sheet_for, normalize_code
from .sop_document import render_html, render_pdf
from .verification import verify


def sop_document(request, sop_id: str, extension: str):
    """The SOP form as a file to keep or print, in the reader's language."""
    sop = readable(request, sop_id)
    if sop is None:
        raise Http404
    return sop_file(sop, extension)


def sop_file(sop, extension: str, suffix: str = "") -> HttpResponse:
    """The SOP form (a shipped one, or a version an institution installed) as a PDF or an
    HTML file; `suffix` tells versions apart in the file's name."""
    language = get_language() or "id"
    if extension == "pdf":
        response = HttpResponse(render_pdf(sop, language), content_type="application/pdf")
    else:
        response = HttpResponse(render_html(sop, language), content_type="text/html; charset=utf-8")
    name = document_filename(sop.id + suffix, language, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def document_filename(sop_id: str, language: str, extension: str) -> str:
    """ "sop-rspon-medsos.pdf"; the English version says so: "sop-rspon-medsos-en.pdf"."""
    suffix = "" if language.startswith("id") else f"-{language[:2]}"
    return f"sop-{sop_id}{suffix}.{extension}"


@login_required
def approval_sheet_download(request, case_id: int):
    """The case's current approval sheet, for anyone who may see the case."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied
    try:
        sheet = approval_sheet_for(
            person=person, case_id=case_id, base_url=request.build_absolute_uri("/")
        )
    except ActionError as error:
        raise Http404(error.message) from error
    return sheet_response(person, sheet)


def sheet_response(person, sheet):
    """A sheet's PDF as it was issued, through the one door of archived downloads."""
    return download(
        person=person,
        case=sheet.case,
        what=APPROVAL_SHEET,
        name=sheet.document.name,
        content_type="application/pdf",
        body=sheet.document.file.open("rb"),
        ref=sheet.code,
    )


def verify_form(request):
    """Type the short code printed under a sheet's QR code."""
    code = normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("documents:verify", code)
    return render(request, "documents/verify.html", {"verdict": None})


def verify_page(request, code: str):
    """Public: whether the sheet with this code matches the archive."""
    normal = normalize_code(code)
    if normal != code:
        return redirect("documents:verify", normal or "-")
    verdict = verify(code)
    response = render(request, "documents/verify.html", {"verdict": verdict, "code": code})
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"  # the verdict changes when the archive does
    return response
