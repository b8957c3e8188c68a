"""Every archived file that leaves Siaran leaves through `download`: a case's files,
its approval sheets and its export.

One door, so that each download is recorded in one place (who, which case, what, when)
on the case's timeline, which is its audit chain. Callers check that the person may see
the case before they come here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from siaran.orgs.models import Person

from . import actions
from .models import Case

# What was downloaded, as the audit trail will name it.
ATTACHMENT = "attachment"
APPROVAL_SHEET = "approval_sheet"
EXPORT = "export"
PROOF = "proof"  # the screenshot of a post made by hand


def download(
    *,
    person: Person,
    case: Case,
    what: str,
    name: str,
    content_type: str,
    body: bytes | Iterable[bytes] | object,
    inline: bool = False,
    ref: str = "",
) -> HttpResponseBase:
    """The response that hands `body` (bytes, an iterator of chunks, or an open file) to
    `person` as the file `name`; `ref` identifies the item (a file's key, a sheet's code)."""
    data = {"what": what, "ref": ref}
    actions.timeline_add(person=person, case=case, kind="file_downloaded", note=name, data=data)
    if isinstance(body, bytes):
        response: HttpResponseBase = HttpResponse(body, content_type=content_type)
    elif hasattr(body, "read"):
        response = FileResponse(body, content_type=content_type)
    else:
        response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, name)
    return stored_file_headers(response)


def stored_file_headers(response: HttpResponseBase) -> HttpResponseBase:
    """What every stored file is served with: its type as stored (never sniffed), and, if
    a browser renders it anyway (a PDF, an SVG inside a polyglot), in a sandbox with no
    scripts and no access to Siaran's pages or cookies."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
