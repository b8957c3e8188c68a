"""WordPress's REST API, the subset Siaran uses: media, posts, the current user."""

from __future__ import annotations

import datetime as dt
import re

from .base import Received, Request, Sandbox, post_page


class WordPressSandbox(Sandbox):
    name = "wordpress"  # the connector it stands in for
    routes = [
        ("POST", r"/wp-json/wp/v2/media", "media_create"),
        ("POST", r"/wp-json/wp/v2/posts", "post_create"),
        ("GET", r"/wp-json/wp/v2/posts", "post_list"),
        ("GET", r"/wp-json/wp/v2/users/me", "me"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.users = {"siaran": "abcd efgh ijkl mnop qrst uvwx"}  # application passwords
        self.media: dict[int, dict] = {}
        self.posts: list[dict] = []

    def authorize(self, request: Request):
        user, password = request.basic()
        if not user:
            return 401, _error("rest_not_logged_in", "You are not currently logged in.", 401), {}
        if self.users.get(user) != password:
            return (
                401,
                _error(
                    "incorrect_password",
                    "The provided password is an invalid application password.",
                    401,
                ),
                {},
            )
        return None

    def media_create(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        match = re.search(r'filename="?([^";]+)', request.headers.get("Content-Disposition", ""))
        if not match:
            return (
                400,
                _error("rest_upload_no_content_disposition", "No Content-Disposition.", 400),
                {},
            )
        received = Received()
        for piece in request.stream():
            received.add(piece)
        if received.size != request.length:
            return 400, _error("rest_upload_unknown_error", "The upload was cut short.", 400), {}
        with self.lock:
            media_id = len(self.media) + 101
            item = {
                "id": media_id,
                "slug": match.group(1).rsplit(".", 1)[0],
                "mime_type": request.headers.get("Content-Type", ""),
                "source_url": f"{self.url}/wp-content/uploads/{match.group(1)}",
                "media_details": {"filesize": received.size},
                "sha256": received.sha256,
            }
            self.media[media_id] = item
        return 201, item, {}

    def post_create(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        body = request.json()
        if not body.get("title") and not body.get("content"):
            return 400, _error("empty_content", "Content, title, and excerpt are empty.", 400), {}
        featured = body.get("featured_media") or 0
        if featured and featured not in self.media:
            return 400, _error("rest_invalid_featured_media", "Invalid featured media ID.", 400), {}
        with self.lock:
            post_id = len(self.posts) + 1001
            slug = body.get("slug") or f"post-{post_id}"
            taken = {p["slug"] for p in self.posts}
            while slug in taken:  # WordPress makes a taken slug unique with a suffix
                slug = f"{slug}-2"
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            post = {
                "id": post_id,
                "date_gmt": now.isoformat().removesuffix("+00:00"),
                "slug": slug,
                "status": body.get("status", "draft"),
                "type": "post",
                "link": f"{self.url}/?p={post_id}",
                "title": {"raw": body.get("title", ""), "rendered": body.get("title", "")},
                "content": {"raw": body.get("content", ""), "rendered": body.get("content", "")},
                "featured_media": featured,
            }
            self.posts.append(post)
        return 201, post, {}

    def post_list(self, request: Request):
        statuses = set(request.query.get("status", "publish").split(","))
        if statuses != {"publish"}:
            refused = self.authorize(request)  # other statuses only for a logged-in user
            if refused:
                return refused
        slug = request.query.get("slug")
        found = [
            p for p in self.posts if p["status"] in statuses and (not slug or p["slug"] == slug)
        ]
        return 200, list(reversed(found))[: int(request.query.get("per_page", 10))], {}

    def me(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        user, _password = request.basic()
        return 200, {"id": 1, "name": user, "slug": user}, {}

    def held(self) -> list[dict]:
        with self.lock:
            return [
                {"id": str(p["id"]), "text": f"{p['title']['raw']}\n{p['content']['raw']}"}
                for p in self.posts
            ]

    def page(self, request: Request):
        post_id = request.query.get("p", "")
        for post in self.posts:
            if str(post["id"]) == post_id:
                return post_page(post["title"]["rendered"], post["content"]["rendered"])
        return None


def _error(code: str, message: str, status: int) -> dict:
    return {"code": code, "message": message, "data": {"status": status}}
