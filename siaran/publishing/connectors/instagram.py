"""Instagram through the Graph API's content publishing (a professional account).

A post is made in two moves: a media container (`POST /{ig-user-id}/media`, which makes
Instagram fetch the image or video from a link Siaran signs), polled until its
`status_code` is FINISHED, then `POST /{ig-user-id}/media_publish`. Only the second
makes the post; a container left unpublished shows nowhere. A carousel is a container of
item containers. The account's 24-hour publishing allowance is asked of Instagram
(`content_publishing_limit`) before each post.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..rules import GB, MB, Rules
from .base import Post, PublishError
from .graph import GraphConnector

PROCESSING_DEADLINE = 300.0  # seconds to wait for a container before coming back later


class Instagram(GraphConnector):
    name = "instagram"
    channel = "instagram"
    rules = Rules(
        caption_max=2200,
        media_min=1,
        media_max=10,
        image_types=("image/jpeg",),  # the API takes JPEG only
        image_max_bytes=8 * MB,
        image_ratio=(4 / 5, 1.91),
        video_types=("video/mp4", "video/quicktime"),
        video_max_bytes=1 * GB,
        video_seconds=(3, 900),  # reels
    )

    @property
    def user(self) -> str:
        return self.account.account_id

    def publish(self, publication) -> Post:
        container = publication.stage.get("container")
        if container:
            state = self._status(container)
            if state in ("EXPIRED", "ERROR"):  # made too long ago, or broken: start anew
                publication.forget("container", "children")
                container = None
        if not container:
            container = self._container(publication)
        self._until_finished(container)
        publication.remember(posting=timezone.now().isoformat())
        response = self.request(
            "POST", f"/{self.user}/media_publish", data={"creation_id": container}, creates=True
        )
        media_id = response.json()["id"]
        publication.posted(media_id, response.json())
        return Post(media_id, self._permalink(media_id), response.json())

    def _container(self, publication) -> str:
        media = publication.media
        if len(media) == 1:
            fields = self._item(media[0], carousel=False)
        else:
            children = publication.stage.get("children") or []
            for item in media[len(children) :]:
                response = self.request(
                    "POST", f"/{self.user}/media", data=self._item(item, carousel=True)
                )
                children.append(response.json()["id"])
                publication.remember(children=children)
            for child in children:
                self._until_finished(child)
            fields = {"media_type": "CAROUSEL", "children": ",".join(children)}
        fields["caption"] = publication.text
        container = self.request("POST", f"/{self.user}/media", data=fields).json()["id"]
        publication.remember(container=container)
        return container

    @staticmethod
    def _item(item, *, carousel: bool) -> dict:
        link = item.link()
        if not link.startswith(("http://", "https://")):
            raise PublishError("no_public_url", permanent=True)
        if item.kind == "image":
            fields = {"image_url": link}
        else:
            fields = {"media_type": "VIDEO" if carousel else "REELS", "video_url": link}
            if not carousel:
                fields["share_to_feed"] = "true"
        if carousel:
            fields["is_carousel_item"] = "true"
        return fields

    def _status(self, container: str) -> str:
        response = self.request("GET", f"/{container}", params={"fields": "status_code,status"})
        body = response.json()
        self._last_status = body.get("status", "")
        return body.get("status_code", "")

    def _until_finished(self, container: str) -> None:
        waited = 0.0
        while True:
            state = self._status(container)
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state == "ERROR":
                raise PublishError("bad_media", self._last_status, permanent=True)
            if state == "EXPIRED":
                raise PublishError("server", "the media container expired", permanent=False)
            if waited >= PROCESSING_DEADLINE:
                raise PublishError("processing", permanent=False, retry_after=60)
            self.wait(self.POLL_SECONDS)
            waited += self.POLL_SECONDS

    def _permalink(self, media_id: str) -> str:
        try:
            response = self.request("GET", f"/{media_id}", params={"fields": "permalink"})
        except PublishError:
            return ""  # the post exists; its link is a nicety
        return response.json().get("permalink", "")

    def reconcile(self, publication) -> Post | None:
        container = publication.stage.get("container")
        if not container or "posting" not in publication.stage:
            return None  # media_publish was never sent: nothing can have been posted
        state = self._status(container)
        if state != "PUBLISHED":
            return None  # made but not published: publishing it now posts it once
        since = publication.since - dt.timedelta(minutes=5)
        response = self.request(
            "GET",
            f"/{self.user}/media",
            # The latest page the API gives: a busy account may have posted since.
            params={"fields": "id,caption,permalink,timestamp", "limit": 100},
        )
        for media in response.json().get("data", []):
            when = parse_datetime(media.get("timestamp", "").replace("+0000", "+00:00"))
            if (media.get("caption") or "") == publication.text and when and when >= since:
                return Post(media["id"], media.get("permalink", ""), media)
        raise PublishError(
            "unknown", "published, but not yet among the account's media", permanent=False
        )

    def wait_before_publish(self, now: dt.datetime) -> dt.datetime | None:
        """Instagram's rolling 24-hour allowance of API posts, as Instagram counts it."""
        response = self.request(
            "GET",
            f"/{self.user}/content_publishing_limit",
            params={"fields": "config,quota_usage"},
        )
        data = (response.json().get("data") or [{}])[0]
        total = data.get("config", {}).get("quota_total")
        if total is not None and data.get("quota_usage", 0) >= total:
            return now + dt.timedelta(hours=1)  # look again in an hour; the window rolls
        return None

    def verify(self) -> str:
        response = self.request("GET", f"/{self.user}", params={"fields": "username"})
        return response.json().get("username", "")
