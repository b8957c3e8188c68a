"""What Instagram and Facebook share: Meta's Graph API, its tokens and its errors."""

from __future__ import annotations

import json
import time
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from .base import Connector, CredentialField, PublishError, detail_of, json_of, retry_after

GRAPH = "https://graph.facebook.com/v21.0"

# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
TOKEN_CODES = {190, 102}  # invalid or expired access token; session expired
RATE_CODES = {4, 17, 32, 613}  # app, user, page and custom rate limits
PERMISSION_CODES = {10, *range(200, 300)}
MEDIA_CODES = {9004, 36000, 36001, 36003, 352, 2207026, 2207052}


class GraphConnector(Connector):
    base_url = GRAPH
    credential_fields = (CredentialField("access_token", _("access token")),)
    needs_account_id = True
    POLL_SECONDS: ClassVar[float] = 3.0  # between checks of a media container's processing

    def __init__(self, account, **kwargs) -> None:
        super().__init__(account, **kwargs)
        self.client.headers["Authorization"] = f"Bearer {self.credentials.get('access_token', '')}"

    def error_from(self, response) -> PublishError:
        body = json_of(response)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return super().error_from(response)
        code = error.get("code")
        subcode = error.get("error_subcode")
        detail = error.get("error_user_msg") or detail_of(response)
        if code in TOKEN_CODES:
            return PublishError("token_rejected", detail, permanent=True, response=body)
        if code in RATE_CODES or code == 80001 or (code == 9 and subcode == 2207042):
            wait = retry_after(response) or _regain_seconds(response) or 300.0
            return PublishError(
                "rate_limited", detail, permanent=False, retry_after=wait, response=body
            )
        if code in PERMISSION_CODES:
            return PublishError("permission", detail, permanent=True, response=body)
        if code in MEDIA_CODES or subcode in MEDIA_CODES:
            return PublishError("bad_media", detail, permanent=True, response=body)
        if error.get("is_transient") or code in (1, 2) or response.status_code >= 500:
            return PublishError(
                "server", detail, permanent=False, retry_after=retry_after(response), response=body
            )
        return PublishError("rejected", detail, permanent=True, response=body)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


def _regain_seconds(response) -> float | None:
    """Minutes until access returns, from Graph's business-use-case usage header."""
    header = response.headers.get("x-business-use-case-usage")
    if not header:
        return None
    try:
        usage = json.loads(header)
        minutes = max(
            item.get("estimated_time_to_regain_access", 0)
            for items in usage.values()
            for item in items
        )
    except (ValueError, AttributeError, TypeError):
        return None
    return minutes * 60.0 or None
