"""A Facebook Page through the Graph API: text posts, photos and videos.

Text goes to `/{page-id}/feed`; one photo to `/{page-id}/photos`; several photos are
uploaded unpublished and attached to one `/feed` post; a video goes through the
resumable upload (`/{page-id}/videos`, phases start, transfer, finish) on
graph-video.facebook.com, its chunks streamed from storage. The post is made by the
`/feed` or `/photos` call, or by the video's `finish` phase, and only there.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..rules import GB, MB, Rules
from .base import Post, PublishError
from .graph import GraphConnector

GRAPH_VIDEO = "https://graph-video.facebook.com/v21.0"


class Facebook(GraphConnector):
    name = "facebook"
    channel = "facebook"
    rules = Rules(
        caption_max=63_206,
        media_max=10,
        mixed=False,
        videos_max=1,
        image_types=("image/jpeg", "image/png", "image/webp"),
        image_max_bytes=10 * MB,
        video_types=("video/mp4", "video/quicktime"),
        video_max_bytes=10 * GB,
        video_seconds=(1, 240 * 60),
    )

    @property
    def page(self) -> str:
        return self.account.account_id

    def publish(self, publication) -> Post:
        media = publication.media
        if media and media[0].kind == "video":
            return self._video(publication, media[0])
        if len(media) == 1:
            with media[0].open() as file:
                publication.remember(posting=timezone.now().isoformat())
                body = self.request(
                    "POST",
                    f"/{self.page}/photos",
                    data={"message": publication.text},
                    files={"source": (media[0].name, file, media[0].content_type)},
                    creates=True,
                ).json()
            post_id = body.get("post_id") or body["id"]
            publication.posted(post_id, body)
            return Post(post_id, self._permalink(post_id), body)
        fields = {"message": publication.text}
        for index, photo in enumerate(self._photos(publication)):
            fields[f"attached_media[{index}]"] = f'{{"media_fbid":"{photo}"}}'
        publication.remember(posting=timezone.now().isoformat())
        body = self.request("POST", f"/{self.page}/feed", data=fields, creates=True).json()
        publication.posted(body["id"], body)
        return Post(body["id"], self._permalink(body["id"]), body)

    def _photos(self, publication) -> list[str]:
        """Each photo uploaded unpublished, once, to be attached to the one post."""
        photos = publication.stage.get("photos") or []
        for item in publication.media[len(photos) :]:
            with item.open() as file:
                body = self.request(
                    "POST",
                    f"/{self.page}/photos",
                    data={"published": "false"},
                    files={"source": (item.name, file, item.content_type)},
                ).json()
            photos.append(body["id"])
            publication.remember(photos=photos)
        return photos

    def _video(self, publication, video) -> Post:
        videos = (self.account.base_url or GRAPH_VIDEO).rstrip("/")
        path = f"{videos}/{self.page}/videos"
        stage = publication.stage
        if not stage.get("upload_session_id"):
            body = self.request(
                "POST", path, data={"upload_phase": "start", "file_size": str(video.size)}
            ).json()
            publication.remember(
                video_id=body["video_id"],
                upload_session_id=body["upload_session_id"],
                start_offset=int(body["start_offset"]),
                end_offset=int(body["end_offset"]),
            )
        start, end = stage["start_offset"], stage["end_offset"]
        while start < end:
            with video.part(start, end) as part:
                body = self.request(
                    "POST",
                    path,
                    data={
                        "upload_phase": "transfer",
                        "upload_session_id": stage["upload_session_id"],
                        "start_offset": str(start),
                    },
                    files={"video_file_chunk": ("chunk", part, "application/octet-stream")},
                ).json()
            start, end = int(body["start_offset"]), int(body["end_offset"])
            publication.remember(start_offset=start, end_offset=end)
        publication.remember(posting=timezone.now().isoformat())
        body = self.request(
            "POST",
            path,
            data={
                "upload_phase": "finish",
                "upload_session_id": stage["upload_session_id"],
                "title": publication.title,
                "description": publication.text,
            },
            creates=True,
        ).json()
        if not body.get("success"):
            raise PublishError("rejected", str(body), permanent=True, response=body)
        publication.posted(stage["video_id"], body)
        return Post(stage["video_id"], self._permalink(stage["video_id"]), body)

    def _permalink(self, node: str) -> str:
        try:
            response = self.request("GET", f"/{node}", params={"fields": "permalink_url"})
        except PublishError:
            return ""
        link = response.json().get("permalink_url", "")
        if link.startswith("/"):  # a video's permalink is relative to facebook.com
            link = f"{(self.account.base_url or 'https://www.facebook.com').rstrip('/')}{link}"
        return link

    def reconcile(self, publication) -> Post | None:
        stage = publication.stage
        if "posting" not in stage:
            return None
        if stage.get("video_id"):
            body = self.request(
                "GET", f"/{stage['video_id']}", params={"fields": "status,published"}
            ).json()
            if body.get("published"):
                return Post(stage["video_id"], self._permalink(stage["video_id"]), body)
            return None
        since = publication.since - dt.timedelta(minutes=5)
        # The newest 100, not the default 25: on a busy Page the post may be further down
        # by the time the outcome is asked for (as Instagram's reconcile, found by the
        # long fault run).
        response = self.request(
            "GET",
            f"/{self.page}/feed",
            params={"fields": "id,message,created_time,permalink_url", "limit": 100},
        )
        for post in response.json().get("data", []):
            when = parse_datetime((post.get("created_time") or "").replace("+0000", "+00:00"))
            if post.get("message") == publication.text and when and when >= since:
                return Post(post["id"], post.get("permalink_url", ""), post)
        return None

    def verify(self) -> str:
        return self.request("GET", f"/{self.page}", params={"fields": "name"}).json()["name"]
