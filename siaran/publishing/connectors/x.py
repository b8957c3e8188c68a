"""X (Twitter) through API v2: chunked media upload, then `POST /2/tweets`.

Media go up in pieces (`/2/media/upload`: INIT, APPEND, FINALIZE, then STATUS while a
video is processed); an uploaded media id lives 24 hours and is reused within that time.
Only `POST /2/tweets` makes the post. The per-window limits X announces in its
`x-rate-limit-*` headers are kept on the account and respected before the next post.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import ClassVar

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from ..rules import MB, Rules
from .base import Connector, CredentialField, Post, PublishError, detail_of, json_of, retry_after

CHUNK = 4 * MB  # APPEND takes at most 5 MB a segment
MEDIA_LIFETIME = dt.timedelta(hours=23)  # X keeps an upload 24 hours; a margin
TCO = re.compile(r"\s*https://t\.co/\w+$")  # X appends a link to the media it shows


class X(Connector):
    name = "x"
    channel = "x"
    base_url = "https://api.x.com"
    rules = Rules(
        caption_max=280,
        media_max=4,
        mixed=False,
        videos_max=1,
        image_types=("image/jpeg", "image/png", "image/webp"),
        image_max_bytes=5 * MB,
        video_types=("video/mp4", "video/quicktime"),
        video_max_bytes=512 * MB,
        video_seconds=(0.5, 140),
    )
    credential_fields = (CredentialField("access_token", _("access token (OAuth 2.0)")),)
    needs_account_id = True
    POLL_SECONDS: ClassVar[float] = 2.0
    LIMIT = "x:tweets"  # the key of the post limit in the account's `limits`

    def __init__(self, account, **kwargs) -> None:
        super().__init__(account, **kwargs)
        self.client.headers["Authorization"] = f"Bearer {self.credentials.get('access_token', '')}"

    def publish(self, publication) -> Post:
        media_ids = [self._upload(item, publication) for item in publication.media]
        body = {"text": publication.text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        publication.remember(posting=timezone.now().isoformat())
        response = self.request("POST", "/2/tweets", json=body, creates=True)
        tweet = response.json()["data"]
        publication.posted(tweet["id"], response.json())
        return Post(tweet["id"], self.permalink(tweet["id"]), response.json())

    def _upload(self, item, publication) -> str:
        uploads = publication.stage.get("media", {})
        known = uploads.get(str(item.id))
        if known and timezone.now() - parse_datetime(known["at"]) < MEDIA_LIFETIME:
            return known["id"]
        category = "tweet_video" if item.kind == "video" else "tweet_image"
        init = self.request(
            "POST",
            "/2/media/upload",
            data={
                "command": "INIT",
                "total_bytes": str(item.size),
                "media_type": item.content_type,
                "media_category": category,
            },
        )
        media_id = init.json()["data"]["id"]
        with item.open() as file:
            for index, start in enumerate(range(0, item.size, CHUNK)):
                file.seek(start)
                self.request(
                    "POST",
                    "/2/media/upload",
                    data={"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
                    files={"media": ("blob", file.read(CHUNK), "application/octet-stream")},
                    expect=(200, 201, 204),
                )
        info = self.request(
            "POST", "/2/media/upload", data={"command": "FINALIZE", "media_id": media_id}
        ).json()["data"]
        while (info.get("processing_info") or {}).get("state") in ("pending", "in_progress"):
            time.sleep(min(info["processing_info"].get("check_after_secs", 1), self.POLL_SECONDS))
            info = self.request(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            ).json()["data"]
        if (info.get("processing_info") or {}).get("state") == "failed":
            error = info["processing_info"].get("error", {})
            raise PublishError("bad_media", error.get("message", ""), permanent=True)
        uploads[str(item.id)] = {"id": media_id, "at": timezone.now().isoformat()}
        publication.remember(media=uploads)
        return media_id

    def permalink(self, tweet_id: str) -> str:
        handle = (self.account.handle or "").lstrip("@")
        web = (self.account.base_url or "https://x.com").rstrip("/")
        return f"{web}/{handle}/status/{tweet_id}" if handle else f"{web}/i/web/status/{tweet_id}"

    def reconcile(self, publication) -> Post | None:
        if "posting" not in publication.stage:
            return None
        since = publication.since - dt.timedelta(minutes=1)
        response = self.request(
            "GET",
            f"/2/users/{self.account.account_id}/tweets",
            params={
                "max_results": 10,
                "start_time": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tweet.fields": "created_at,text",
            },
        )
        for tweet in response.json().get("data", []):
            if _same_text(tweet.get("text", ""), publication.text):
                return Post(tweet["id"], self.permalink(tweet["id"]), tweet)
        return None

    def note_limits(self, response) -> None:
        if (
            response.request.url.path == "/2/tweets"
            and "x-rate-limit-remaining" in response.headers
        ):
            self.limits[self.LIMIT] = {
                "remaining": int(response.headers["x-rate-limit-remaining"]),
                "reset": int(response.headers.get("x-rate-limit-reset", 0)),
            }

    def wait_before_publish(self, now: dt.datetime) -> dt.datetime | None:
        limit = (self.account.limits or {}).get(self.LIMIT)
        if limit and limit.get("remaining", 1) <= 0:
            reset = dt.datetime.fromtimestamp(limit.get("reset", 0), tz=dt.UTC)
            if reset > now:
                return reset + dt.timedelta(seconds=1)
        return None

    def error_from(self, response) -> PublishError:
        body = json_of(response)
        detail = detail_of(response)
        if isinstance(body, dict) and body.get("errors"):
            detail = "; ".join(e.get("message", "") for e in body["errors"] if e.get("message"))
        if response.status_code == 429:
            reset = response.headers.get("x-rate-limit-reset")
            wait = retry_after(response)
            if wait is None and reset and reset.isdigit():
                wait = max(1.0, int(reset) - timezone.now().timestamp())
            return PublishError(
                "rate_limited", detail, permanent=False, retry_after=wait, response=body
            )
        error = super().error_from(response)
        error.detail = detail
        return error

    def verify(self) -> str:
        return self.request("GET", "/2/users/me").json()["data"].get("username", "")


def _same_text(posted: str, ours: str) -> bool:
    return " ".join(TCO.sub("", posted).split()) == " ".join(ours.split())
