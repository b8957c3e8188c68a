"""Instagram's Graph API content publishing, the subset Siaran uses.

Like Instagram, the sandbox fetches each container's image or video from its link in
the background (so the container is IN_PROGRESS for a moment), takes JPEG images only,
and counts API posts against a rolling 24-hour allowance.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import httpx

from .base import Received, Request, Sandbox, post_page

V = r"(?:/v[0-9.]+)?"  # the API version in the path, as in graph.facebook.com/v21.0/...


def graph_error(message: str, code: int, subcode: int | None = None, kind="OAuthException"):
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(8)}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


class GraphSandbox(Sandbox):
    """What Meta's Graph API sandboxes share: tokens and their errors, and Facebook Login.

    Facebook Login: the dialog (`/dialog/oauth`) lets the person choose the Pages (each
    with its Instagram business account) the app may use; the code becomes a short-lived
    user token (`/oauth/access_token`), exchanged for a long-lived one
    (`grant_type=fb_exchange_token`), whose `/me/accounts` lists the granted Pages with a
    Page access token each and their `instagram_business_account`. Meta gives no refresh
    token: a Page token got from a long-lived user token does not expire.
    """

    oauth_routes = [
        ("GET", rf"{V}/dialog/oauth", "oauth_authorize"),
        ("POST", rf"{V}/dialog/oauth", "oauth_consent"),
        ("GET", rf"{V}/oauth/access_token", "oauth_token"),
        ("GET", rf"{V}/me/accounts", "me_accounts"),
    ]
    access_lifetime = 3600  # the short-lived user token; the long-lived one lasts 60 days

    def __init__(self, *args, **kwargs) -> None:
        self.routes = [*self.oauth_routes, *self.routes]
        super().__init__(*args, **kwargs)
        self.meta_pages = [
            {"id": "1000000000000001", "name": "Sandbox Page", "ig": "17841400000000001"},
            {"id": "1000000000000002", "name": "Halaman Kedua", "ig": "17841400000000002"},
        ]
        self.ig_usernames = {"17841400000000001": "sandbox_account", "17841400000000002": "kedua"}
        self.user_tokens: dict[str, dict] = {}  # user access token -> its grant

    def oauth_authorize(self, request: Request):
        choices = [
            (page["id"], f"{page['name']} (Instagram @{self.ig_usernames[page['ig']]})")
            for page in self.meta_pages
        ]
        return self.consent_page(
            request, "Facebook", "mengelola dan memposting di Halaman dan Instagram", choices
        )

    def oauth_consent(self, request: Request):
        return self.consent_answer(request)

    def oauth_token(self, request: Request):
        query = request.query
        client_id, secret = query.get("client_id", ""), query.get("client_secret", "")
        if query.get("grant_type") == "fb_exchange_token":
            grant = self.user_tokens.get(query.get("fb_exchange_token", ""))
            if self.clients.get(client_id) != secret or grant is None:
                return 400, graph_error("Error validating client secret or token.", 1), {}
            token = self.new_access(grant, lifetime=60 * 86400)
            self.user_tokens[token] = grant
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 5184000}, {}
        grant, error = self.redeem(query, client_id, secret)
        if grant is None:
            message = (
                "Error validating client secret."
                if error == "invalid_client"
                else "This authorization code has been used or has expired."
            )
            return 400, graph_error(message, 100, 36009), {}
        token = self.new_access(grant)
        self.user_tokens[token] = grant
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}, {}

    def me_accounts(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        grant = self.user_tokens.get(request.bearer())
        if grant is None:
            return 400, graph_error("A user access token is required.", 190), {}
        data = []
        for page in self.meta_pages:
            if page["id"] not in grant["granted"]:
                continue
            token = secrets.token_urlsafe(32)
            with self.lock:
                self.tokens.add(token)  # a Page token from a long-lived user token: no end
            data.append(
                {
                    "id": page["id"],
                    "name": page["name"],
                    "access_token": token,
                    "instagram_business_account": {
                        "id": page["ig"],
                        "username": self.ig_usernames[page["ig"]],
                    },
                }
            )
        return 200, {"data": data, "paging": {}}, {}

    def token_error(self, expired: bool):
        if expired:
            return (
                400,
                graph_error(
                    "Error validating access token: Session has expired on Thursday, "
                    "01-Jan-26 00:00:00 PST.",
                    190,
                    463,
                ),
                {},
            )
        return 400, graph_error("Invalid OAuth access token - Cannot parse access token", 190), {}


class InstagramSandbox(GraphSandbox):
    name = "instagram"
    routes = [
        ("POST", rf"{V}/(?P<user>\d+)/media", "media_create"),
        ("GET", rf"{V}/(?P<user>\d+)/media", "media_list"),
        ("POST", rf"{V}/(?P<user>\d+)/media_publish", "media_publish"),
        ("GET", rf"{V}/(?P<user>\d+)/content_publishing_limit", "publishing_limit"),
        ("GET", rf"{V}/(?P<node>\d+)", "node"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.containers: dict[str, dict] = {}
        self.media: list[dict] = []
        self.quota_total = 100  # API posts per rolling 24 hours
        self.processing_seconds = 0.0  # how long a fetched item stays IN_PROGRESS
        self.users = {"17841400000000001": "sandbox_account", "17841400000000002": "kedua"}

    def media_create(self, request: Request, user: str):
        refused = self.authorize(request)
        if refused:
            return refused
        fields = request.form()
        container_id = self.next_id()
        container = {
            "id": container_id,
            "user": user,
            "status_code": "IN_PROGRESS",
            "status": "",
            "caption": fields.get("caption", ""),
            "media_type": fields.get("media_type", "IMAGE"),
            "carousel_item": fields.get("is_carousel_item") == "true",
            "created": dt.datetime.now(dt.UTC),
            "received": None,
        }
        if container["media_type"] == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 10 or any(
                self.containers.get(c, {}).get("status_code") != "FINISHED" for c in children
            ):
                return 400, graph_error("Invalid parameter", 100, 2207008), {}
            container["children"] = children
            container["status_code"] = "FINISHED"
        else:
            url = fields.get("image_url") or fields.get("video_url")
            if not url:
                return 400, graph_error("The parameter image_url is required.", 100), {}
            threading.Thread(target=self._fetch, args=(container, url), daemon=True).start()
        with self.lock:
            self.containers[container_id] = container
        return 200, {"id": container_id}, {}

    def _fetch(self, container: dict, url: str) -> None:
        """Download the media as Instagram does, from the link it was given."""
        received = Received()
        head = b""
        try:
            with httpx.stream("GET", url, timeout=30) as response:
                if response.status_code != 200:
                    raise OSError(f"HTTP {response.status_code}")
                for piece in response.iter_bytes(65536):
                    if len(head) < 16:
                        head += piece[:16]
                    received.add(piece)
        except (OSError, httpx.HTTPError):
            return self._broken(
                container,
                "ERROR: Media download has failed. The media URI doesn't meet our requirements.",
            )
        if container["media_type"] == "IMAGE" and not head.startswith(b"\xff\xd8\xff"):
            return self._broken(container, "ERROR: The image format is not supported (JPEG only).")
        container["received"] = received
        if self.processing_seconds:
            threading.Event().wait(self.processing_seconds)
        container["status_code"] = "FINISHED"

    @staticmethod
    def _broken(container: dict, status: str) -> None:
        container["status_code"], container["status"] = "ERROR", status

    def media_publish(self, request: Request, user: str):
        refused = self.authorize(request)
        if refused:
            return refused
        creation_id = request.form().get("creation_id", "")
        container = self.containers.get(creation_id)
        if container is None or container["status_code"] != "FINISHED":
            return 400, graph_error("Media ID is not available", 9007, 2207027), {}
        with self.lock:
            if self._used(user) >= self.quota_total:
                return 400, graph_error("Application request limit reached", 9, 2207042), {}
            media_id = self.next_id()
            code = secrets.token_urlsafe(8)
            self.media.insert(
                0,
                {
                    "id": media_id,
                    "user": user,
                    "caption": container["caption"],
                    "media_type": container["media_type"],
                    "children": container.get("children", []),
                    "permalink": f"{self.url}/p/{code}/",
                    "shortcode": code,
                    "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                },
            )
            container["status_code"] = "PUBLISHED"
        return 200, {"id": media_id}, {}

    def _used(self, user: str) -> int:
        day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
        return sum(
            1
            for m in self.media
            if m["user"] == user
            and dt.datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S%z") > day_ago
        )

    def media_list(self, request: Request, user: str):
        refused = self.authorize(request)
        if refused:
            return refused
        mine = [self._public(m) for m in self.media if m["user"] == user]
        return 200, {"data": mine[: int(request.query.get("limit", 25))]}, {}

    def publishing_limit(self, request: Request, user: str):
        refused = self.authorize(request)
        if refused:
            return refused
        config = {"quota_total": self.quota_total, "quota_duration": 86400}
        return 200, {"data": [{"config": config, "quota_usage": self._used(user)}]}, {}

    def node(self, request: Request, node: str):
        refused = self.authorize(request)
        if refused:
            return refused
        if node in self.containers:
            container = self.containers[node]
            return 200, {k: container[k] for k in ("id", "status_code", "status")}, {}
        for media in self.media:
            if media["id"] == node:
                return 200, self._public(media), {}
        if node in self.users:
            return 200, {"id": node, "username": self.users[node]}, {}
        return 400, graph_error("Unsupported get request.", 100, 33, "GraphMethodException"), {}

    def held(self) -> list[dict]:
        with self.lock:
            return [{"id": m["id"], "text": m["caption"]} for m in self.media]

    @staticmethod
    def _public(media: dict) -> dict:
        keys = ("id", "caption", "media_type", "permalink", "timestamp")
        return {k: media[k] for k in keys}

    def page(self, request: Request):
        for media in self.media:
            if request.path == f"/p/{media['shortcode']}/":
                return post_page("Instagram", media["caption"])
        return None
