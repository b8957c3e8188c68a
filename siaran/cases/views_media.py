"""An image's or a video's preview (siaran.cases.media): the small JPEG a phone page
shows instead of the file. Like files, previews are never public."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from .selectors import visible_cases
from .views import _person


@login_required
@require_GET
def attachment_preview(request: HttpRequest, case_id: int, key: str):
    """The preview of a case's file, for whoever may see the case. Not a download: it is
    not recorded on the timeline (the file's own link is)."""
    case = visible_cases(_person(request)).filter(pk=case_id).first()
    attachment = case.attachments.filter(key=key).first() if case else None
    if attachment is None or not attachment.preview:
        raise Http404
    response = FileResponse(attachment.preview.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"  # a file's preview never changes
    response["X-Content-Type-Options"] = "nosniff"
    return response
