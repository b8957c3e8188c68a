"""YouTube through the Data API v3: one resumable upload per video.

`POST /upload/youtube/v3/videos?uploadType=resumable` opens an upload session (it
posts nothing); the video then goes up in chunks (`PUT` with `Content-Range`), each
answered `308 Resume Incomplete` with the `Range` YouTube holds, until the last chunk
makes the video. An upload interrupted half-way asks the session what it holds
(`Content-Range: bytes */total`) and resumes from the `Range` it answers, within the
same attempt or in a later one. The chunks stream from storage: a 1 GiB video costs the
worker a few megabytes.

Uploads spend the account's daily quota (10 000 units, 1 600 per upload, the day
ending at midnight Pacific Time), counted by Siaran before each upload and honoured
when YouTube answers `quotaExceeded`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import httpx
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..rules import GB, MB, Rules
from .base import Connector, CredentialField, OutcomeUnknown, Post, PublishError, json_of

CHUNK = 8 * MB  # a multiple of 256 KiB, as resumable uploads require
RESUMES = 5  # interruptions survived within one attempt before it backs off
PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")  # where YouTube's quota day ends


class YouTube(Connector):
    name = "youtube"
    channel = "youtube"
    base_url = "https://www.googleapis.com"
    rules = Rules(
        caption_max=5000,  # the description
        title_max=100,
        media_min=1,
        media_max=1,
        kinds=("video",),
        video_types=("video/mp4", "video/quicktime", "video/webm"),
        video_max_bytes=256 * GB,
        video_seconds=(1, 12 * 3600),
    )
    credential_fields = (CredentialField("access_token", _("access token")),)
    quota = (10_000, dt.timedelta(days=1))
    quota_units = 1600  # videos.insert

    def __init__(self, account, **kwargs) -> None:
        super().__init__(account, **kwargs)
        self.client.headers["Authorization"] = f"Bearer {self.credentials.get('access_token', '')}"

    def publish(self, publication) -> Post:
        video = publication.media[0]
        session = publication.stage.get("session")
        offset = 0
        if session:
            done, offset = self._ask(session, video.size)
            if done is not None:
                return self._post(done, publication)
            if offset is None:  # the session expired: nothing was made, begin again
                publication.forget("session", "offset")
                session = None
        if not session:
            session = self._open(publication, video)
            offset = 0
        resumes = 0
        while True:
            end = min(offset + CHUNK, video.size)
            last = end == video.size
            if last:
                publication.remember(posting=timezone.now().isoformat())
            try:
                response = self.request(
                    "PUT",
                    session,
                    content=video.pieces(offset, end),
                    headers={
                        "Content-Length": str(end - offset),
                        "Content-Range": f"bytes {offset}-{end - 1}/{video.size}",
                        "Content-Type": video.content_type,
                    },
                    expect=(200, 201, 308),
                    creates=last,
                )
            except (OutcomeUnknown, PublishError) as error:
                if isinstance(error, PublishError) and error.permanent:
                    raise
                # Interrupted: ask the session what it holds and go on from there.
                resumes += 1
                try:
                    done, offset = self._ask(session, video.size)
                except PublishError:
                    if last:
                        raise OutcomeUnknown(str(error)) from error
                    raise
                if done is not None:
                    return self._post(done, publication)
                if offset is None or resumes > RESUMES:
                    if offset is None:
                        publication.forget("session", "offset")
                    raise PublishError(
                        "network", f"upload interrupted: {error}", permanent=False
                    ) from error
                publication.remember(offset=offset)
                continue
            if response.status_code in (200, 201):
                return self._post(response.json(), publication)
            offset = _held(response)
            publication.remember(offset=offset)

    def _open(self, publication, video) -> str:
        response = self.request(
            "POST",
            "/upload/youtube/v3/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json={
                "snippet": {"title": publication.title, "description": publication.text},
                "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
            },
            headers={
                "X-Upload-Content-Length": str(video.size),
                "X-Upload-Content-Type": video.content_type,
            },
        )
        session = response.headers["Location"]
        publication.remember(session=session, offset=0)
        return session

    def _ask(self, session: str, size: int) -> tuple[dict | None, int | None]:
        """(the video if the upload is complete, else None; the bytes YouTube holds).

        The held size is None when the session is gone (expired after a week).
        """
        try:
            response = self.request(
                "PUT",
                session,
                headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"},
                expect=(200, 201, 308),
            )
        except PublishError as error:
            if error.status in (404, 410):
                return None, None
            raise
        if response.status_code in (200, 201):
            return response.json(), size
        return None, _held(response)

    def _post(self, video: dict, publication) -> Post:
        publication.posted(video["id"], video)
        return Post(video["id"], self.permalink(video["id"]), video)

    def permalink(self, video_id: str) -> str:
        web = (self.account.base_url or "https://www.youtube.com").rstrip("/")
        return f"{web}/watch?v={video_id}"

    def reconcile(self, publication) -> Post | None:
        session = publication.stage.get("session")
        if not session or "posting" not in publication.stage:
            return None  # the last chunk never went: no video can exist
        done, _held_bytes = self._ask(session, publication.media[0].size)
        return self._post(done, publication) if done is not None else None

    def quota_window_start(self, now: dt.datetime) -> dt.datetime:
        local = now.astimezone(PACIFIC)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)

    def error_from(self, response: httpx.Response) -> PublishError:
        error = super().error_from(response)
        body = json_of(response)
        inner = body.get("error") if isinstance(body, dict) else None
        errors = inner.get("errors") if isinstance(inner, dict) else None
        reasons = {e.get("reason") for e in errors or [] if isinstance(e, dict)}
        if reasons & {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"}:
            midnight = self.quota_window_start(timezone.now()) + dt.timedelta(days=1)
            wait = (midnight - timezone.now()).total_seconds() + 60
            return PublishError("quota", error.detail, permanent=False, retry_after=wait)
        if reasons & {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}:
            error.code, error.permanent = "rate_limited", False
        elif reasons & {"invalidTitle", "invalidDescription", "invalidVideoMetadata"}:
            error.code = "rejected"
        elif reasons & {"failedPrecondition", "mediaBodyRequired", "invalidFilename"}:
            error.code = "bad_media"
        return error

    def verify(self) -> str:
        response = self.request(
            "GET", "/youtube/v3/channels", params={"part": "snippet", "mine": "true"}
        )
        items = response.json().get("items") or [{}]
        return items[0].get("snippet", {}).get("title", "")


def _held(response: httpx.Response) -> int:
    """Bytes the session holds, from a 308's `Range: bytes=0-N` (none held: no header)."""
    value = response.headers.get("range", "")
    if not value.startswith("bytes=0-"):
        return 0
    return int(value.removeprefix("bytes=0-")) + 1
