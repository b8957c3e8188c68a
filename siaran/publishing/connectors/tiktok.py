"""TikTok through the Content Posting API (Direct Post of a video file).

`POST /v2/post/publish/video/init/` returns a `publish_id` and an `upload_url`; the
video goes up in chunks (`PUT` with `Content-Range`, 206 until the last, then 201); the
last chunk hands the video to TikTok, which posts it after processing, and
`POST /v2/post/publish/status/fetch/` says how far it got. The creator's allowed
privacy levels and longest video are asked first, as TikTok requires. Chunks stream
from storage.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..rules import GB, MB, Rules
from .base import Connector, CredentialField, OutcomeUnknown, Post, PublishError, json_of

CHUNK = 10 * MB  # TikTok takes 5 to 64 MB a chunk; the last may hold the rest, up to 128 MB
MIN_CHUNK = 5 * MB
PROCESSING_DEADLINE = 120.0  # seconds of status checks before the job comes back later


class TikTok(Connector):
    name = "tiktok"
    channel = "tiktok"
    base_url = "https://open.tiktokapis.com"
    rules = Rules(
        caption_max=2200,
        media_min=1,
        media_max=1,
        kinds=("video",),
        video_types=("video/mp4", "video/quicktime", "video/webm"),
        video_max_bytes=4 * GB,
        video_seconds=(3, 600),
    )
    credential_fields = (CredentialField("access_token", _("access token")),)
    # The init endpoint takes 6 requests a minute for each user's token.
    quota = (6, dt.timedelta(minutes=1))
    POLL_SECONDS: ClassVar[float] = 3.0

    def __init__(self, account, **kwargs) -> None:
        super().__init__(account, **kwargs)
        self.client.headers["Authorization"] = f"Bearer {self.credentials.get('access_token', '')}"

    def publish(self, publication) -> Post:
        video = publication.media[0]
        upload_url = publication.stage.get("upload_url")
        if not upload_url or _expired(publication.stage.get("upload_at")):
            upload_url = self._init(publication, video)
        chunks = _chunks(video.size)
        offset = publication.stage.get("offset", 0)
        for start, end in chunks:
            if end <= offset:
                continue
            last = end == video.size
            if last:
                publication.remember(posting=timezone.now().isoformat())
            self._put(upload_url, video, start, end, last)
            publication.remember(offset=end)
        return self._until_posted(publication)

    def _init(self, publication, video) -> str:
        creator = self._api("/v2/post/publish/creator_info/query/", {})
        longest = creator.get("max_video_post_duration_sec")
        seconds = video.info.seconds
        if longest and seconds and seconds > longest:
            raise PublishError(
                "rules", f"the creator may post videos up to {longest} seconds", permanent=True
            )
        options = creator.get("privacy_level_options") or ["PUBLIC_TO_EVERYONE"]
        privacy = "PUBLIC_TO_EVERYONE" if "PUBLIC_TO_EVERYONE" in options else options[0]
        chunks = _chunks(video.size)
        data = self._api(
            "/v2/post/publish/video/init/",
            {
                "post_info": {
                    "title": publication.text,
                    "privacy_level": privacy,
                    "disable_comment": False,
                    "disable_duet": False,
                    "disable_stitch": False,
                },
                "source_info": {
                    "source": "FILE_UPLOAD",
                    "video_size": video.size,
                    "chunk_size": chunks[0][1],
                    "total_chunk_count": len(chunks),
                },
            },
        )
        publication.remember(
            publish_id=data["publish_id"],
            upload_url=data["upload_url"],
            upload_at=timezone.now().isoformat(),
            offset=0,
        )
        return data["upload_url"]

    def _put(self, upload_url: str, video, start: int, end: int, last: bool) -> None:
        tries = 0
        while True:
            try:
                self.request(
                    "PUT",
                    upload_url,
                    content=video.pieces(start, end),
                    headers={
                        "Content-Type": video.content_type,
                        "Content-Length": str(end - start),
                        "Content-Range": f"bytes {start}-{end - 1}/{video.size}",
                    },
                    expect=(201, 206),
                    creates=last,
                )
                return
            except PublishError as error:
                # A chunk that did not arrive is simply sent again, a few times.
                tries += 1
                if error.permanent or error.code != "network" or tries >= 3:
                    raise

    def _until_posted(self, publication) -> Post:
        waited = 0.0
        while True:
            data = self._status(publication.stage["publish_id"])
            status = data.get("status")
            if status == "PUBLISH_COMPLETE":
                return self._post(data, publication)
            if status == "FAILED":
                publication.forget("publish_id", "upload_url", "upload_at", "offset", "posting")
                raise PublishError("bad_media", data.get("fail_reason", ""), permanent=True)
            if waited >= PROCESSING_DEADLINE:
                # Handed over and still processing: whether it posts is not known yet.
                raise OutcomeUnknown(f"TikTok is still processing ({status})")
            time.sleep(self.POLL_SECONDS)
            waited += self.POLL_SECONDS

    def _status(self, publish_id: str) -> dict:
        return self._api("/v2/post/publish/status/fetch/", {"publish_id": publish_id})

    def _post(self, data: dict, publication) -> Post:
        posted = data.get("publicaly_available_post_id") or []  # sic, as TikTok spells it
        post_id = str(posted[0]) if posted else publication.stage["publish_id"]
        publication.posted(post_id, data)
        return Post(post_id, self.permalink(post_id) if posted else "", data)

    def permalink(self, post_id: str) -> str:
        web = (self.account.base_url or "https://www.tiktok.com").rstrip("/")
        handle = (self.account.handle or "").lstrip("@")
        return f"{web}/@{handle}/video/{post_id}"

    def reconcile(self, publication) -> Post | None:
        if "posting" not in publication.stage or "publish_id" not in publication.stage:
            return None  # the last chunk never went: TikTok posts nothing
        data = self._status(publication.stage["publish_id"])
        status = data.get("status")
        if status == "PUBLISH_COMPLETE":
            return self._post(data, publication)
        if status == "FAILED":
            publication.forget("publish_id", "upload_url", "upload_at", "offset", "posting")
            return None
        raise PublishError("processing", status or "", permanent=False, retry_after=30)

    def _api(self, path: str, body: dict) -> dict:
        response = self.request("POST", path, json=body)
        return response.json().get("data") or {}

    def error_from(self, response) -> PublishError:
        error = super().error_from(response)
        body = json_of(response)
        inner = body.get("error") if isinstance(body, dict) else None
        code = inner.get("code", "") if isinstance(inner, dict) else ""
        if code == "access_token_invalid":
            error.code, error.permanent = "token_rejected", True
        elif code in (
            "scope_not_authorized",
            "scope_permission_missed",
            "unaudited_client_can_only_post_to_private_accounts",
        ):
            error.code, error.permanent = "permission", True
        elif code == "rate_limit_exceeded":
            error.code, error.permanent = "rate_limited", False
            error.retry_after = error.retry_after or 60.0
        elif code in ("spam_risk_too_many_posts", "spam_risk_too_many_pending_share"):
            error.code, error.permanent, error.retry_after = "quota", False, 6 * 3600.0
        elif code in (
            "file_format_check_failed",
            "duration_check_failed",
            "frame_rate_check_failed",
            "picture_size_check_failed",
        ):
            error.code, error.permanent = "bad_media", True
        return error

    def verify(self) -> str:
        return self._api("/v2/post/publish/creator_info/query/", {}).get("creator_username", "")


def _chunks(size: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk: whole CHUNKs, the last one taking the rest."""
    if size < MIN_CHUNK:
        return [(0, size)]
    count = max(1, size // CHUNK)
    bounds = [(i * CHUNK, (i + 1) * CHUNK) for i in range(count)]
    bounds[-1] = (bounds[-1][0], size)
    return bounds


def _expired(when: str | None) -> bool:
    """An upload URL is good for an hour."""
    if not when:
        return True
    return timezone.now() - dt.datetime.fromisoformat(when) > dt.timedelta(minutes=55)
