"""A Facebook Page through the Graph API: feed posts, photos, resumable video uploads."""

from __future__ import annotations

import datetime as dt
import json
import secrets

from .base import Received, Request, post_page
from .instagram import GraphSandbox, V, graph_error

CHUNK = 4 * 1024 * 1024  # the transfer chunk the sandbox asks for


class FacebookSandbox(GraphSandbox):
    name = "facebook"
    routes = [
        ("POST", rf"{V}/(?P<page>\d+)/feed", "feed_create"),
        ("GET", rf"{V}/(?P<page>\d+)/feed", "feed_list"),
        ("POST", rf"{V}/(?P<page>\d+)/photos", "photo_create"),
        ("POST", rf"{V}/(?P<page>\d+)/videos", "video_phase"),
        ("GET", rf"{V}/(?P<node>[\d_]+)", "node"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.posts: list[dict] = []
        self.photos: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.pages = {"1000000000000001": "Sandbox Page", "1000000000000002": "Halaman Kedua"}
        self.chunk = CHUNK

    @staticmethod
    def demo_account_id(number: int) -> str:
        return str(1000000000000000 + number)

    def _post(self, page: str, message: str, **extra) -> dict:
        post_id = f"{page}_{self.next_id()}"
        post = {
            "id": post_id,
            "message": message,
            "created_time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"{self.url}/{page}/posts/{post_id.split('_')[1]}",
            **extra,
        }
        with self.lock:
            self.posts.insert(0, post)
        return post

    def feed_create(self, request: Request, page: str):
        refused = self.authorize(request)
        if refused:
            return refused
        fields = request.form()
        attached = []
        for key in sorted(k for k in fields if k.startswith("attached_media[")):
            photo = json.loads(fields[key]).get("media_fbid")
            if photo not in self.photos:
                return 400, graph_error("Invalid media_fbid", 100), {}
            attached.append(photo)
        if not fields.get("message") and not attached:
            return 400, graph_error("(#100) Missing message or attachment", 100), {}
        post = self._post(page, fields.get("message", ""), attached=attached)
        return 200, {"id": post["id"]}, {}

    def feed_list(self, request: Request, page: str):
        refused = self.authorize(request)
        if refused:
            return refused
        keys = ("id", "message", "created_time", "permalink_url")
        mine = [{k: p[k] for k in keys} for p in self.posts if p["id"].startswith(f"{page}_")]
        return 200, {"data": mine[: int(request.query.get("limit", 25))]}, {}

    def photo_create(self, request: Request, page: str):
        refused = self.authorize(request)
        if refused:
            return refused
        fields = request.form()
        source = fields.get("source")
        if not isinstance(source, bytes) or not source:
            return 400, graph_error("(#324) Requires upload file", 324), {}
        received = Received()
        received.add(source)
        photo_id = self.next_id()
        self.photos[photo_id] = {"id": photo_id, "sha256": received.sha256}
        if fields.get("published") == "false":
            return 200, {"id": photo_id}, {}
        post = self._post(page, fields.get("message", ""), attached=[photo_id])
        return 200, {"id": photo_id, "post_id": post["id"]}, {}

    def video_phase(self, request: Request, page: str):
        refused = self.authorize(request)
        if refused:
            return refused
        fields = request.form()
        phase = fields.get("upload_phase")
        if phase == "start":
            size = int(fields.get("file_size", 0))
            video_id, session = self.next_id(), secrets.token_hex(8)
            self.videos[video_id] = {
                "id": video_id,
                "page": page,
                "session": session,
                "size": size,
                "received": Received(),
                "published": False,
            }
            end = min(self.chunk, size)
            body = {
                "video_id": video_id,
                "upload_session_id": session,
                "start_offset": "0",
                "end_offset": str(end),
            }
            return 200, body, {}
        video = next(
            (v for v in self.videos.values() if v["session"] == fields.get("upload_session_id")),
            None,
        )
        if video is None:
            return 400, graph_error("Invalid upload session", 6000, 1363019), {}
        received = video["received"]
        if phase == "transfer":
            if int(fields.get("start_offset", -1)) != received.size:
                return 400, graph_error("Wrong start offset", 6000, 1363037), {}
            received.add(fields.get("video_file_chunk") or b"")
            end = min(received.size + self.chunk, video["size"])
            return 200, {"start_offset": str(received.size), "end_offset": str(end)}, {}
        if phase == "finish":
            if received.size != video["size"]:
                return 400, graph_error("The video file is incomplete", 6000, 1363030), {}
            video.update(
                published=True,
                title=fields.get("title", ""),
                description=fields.get("description", ""),
            )
            return 200, {"success": True}, {}
        return 400, graph_error("Invalid upload_phase", 100), {}

    def held(self) -> list[dict]:
        """The Page's feed posts (a photo post among them), and its published videos."""
        with self.lock:
            held = [{"id": p["id"], "text": p["message"]} for p in self.posts]
            held += [
                {"id": v["id"], "text": v.get("description", "")}
                for v in self.videos.values()
                if v["published"]
            ]
            return held

    def node(self, request: Request, node: str):
        refused = self.authorize(request)
        if refused:
            return refused
        for post in self.posts:
            if post["id"] == node:
                return 200, {k: post[k] for k in ("id", "message", "permalink_url")}, {}
        if node in self.photos:
            post = next((p for p in self.posts if node in p.get("attached", [])), None)
            return 200, {"id": node, "permalink_url": post["permalink_url"] if post else ""}, {}
        if node in self.videos:
            video = self.videos[node]
            return (
                200,
                {
                    "id": node,
                    "published": video["published"],
                    "status": {
                        "video_status": "ready" if video["published"] else "upload_complete"
                    },
                    "permalink_url": f"/{video['page']}/videos/{node}/",
                },
                {},
            )
        if node in self.pages:
            return 200, {"id": node, "name": self.pages[node]}, {}
        return 400, graph_error("Unsupported get request.", 100, 33, "GraphMethodException"), {}

    def page(self, request: Request):
        for post in self.posts:
            if request.path == post["permalink_url"].removeprefix(self.url):
                return post_page("Facebook", post["message"])
        for video in self.videos.values():
            if request.path == f"/{video['page']}/videos/{video['id']}/":
                return post_page(video.get("title", ""), video.get("description", ""))
        return None
