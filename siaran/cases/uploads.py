"""An upload is refused while it arrives, as soon as it passes the limit of its kind.

Without this Django would receive a 500 MB file whole (on disk) before the action refused
it. The kind is told from the first bytes, as `actions.checked_upload` tells it; what is
no allowed kind is held to the smallest limit, to be refused by the action with its
reason. Refusing raises RequestDataTooBig: Django answers 400, and the page (or the API's
JSON) says why from `request.upload_refused`.
"""

from __future__ import annotations

import filetype
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _


class UploadLimitHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.limit: int | None = None
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        from .actions import UPLOAD_LIMITS, UPLOAD_TYPES

        if self.limit is None:
            found = filetype.guess(raw_data[:8192])
            kind = UPLOAD_TYPES.get(found.mime if found else "", ("document", ""))[0]
            self.limit = UPLOAD_LIMITS[kind]
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_refused = _(
                "The file is too large: at most %(mb)d MB for this kind of file."
            ) % {"mb": self.limit // 2**20}
            raise RequestDataTooBig(self.request.upload_refused)
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the next handlers keep the file
