"""TikTok's Content Posting API: Direct Post of a video file, in chunks.

Init checks the chunk plan as TikTok does (5 to 64 MB a chunk, the last taking the
rest), the upload URL takes `Content-Range` chunks in order (206, then 201), and the
status moves from PROCESSING_UPLOAD to PUBLISH_COMPLETE over the next status fetch.
"""

from __future__ import annotations

import re
import secrets
import time

from .base import Received, Request, Sandbox, post_page

MB = 1024 * 1024


def _answer(data: dict | None = None, code: str = "ok", message: str = "") -> dict:
    error = {"code": code, "message": message, "log_id": secrets.token_hex(12)}
    return {"data": data or {}, "error": error}


class TikTokSandbox(Sandbox):
    name = "tiktok"
    routes = [
        ("POST", r"/v2/post/publish/creator_info/query/", "creator_info"),
        ("POST", r"/v2/post/publish/video/init/", "video_init"),
        ("PUT", r"/video/", "video_put"),
        ("POST", r"/v2/post/publish/status/fetch/", "status_fetch"),
        # Login Kit (www.tiktok.com/v2/auth/authorize/, open.tiktokapis.com/v2/oauth/token/)
        ("GET", r"/v2/auth/authorize/", "oauth_authorize"),
        ("POST", r"/v2/auth/authorize/", "oauth_consent"),
        ("POST", r"/v2/oauth/token/", "oauth_token"),
    ]
    client_param = "client_key"
    access_lifetime = 86400  # a day; the refresh token lasts a year and rotates

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.publishes: dict[str, dict] = {}
        self.posts: list[dict] = []
        self.inits: list[float] = []
        self.init_limit = 6  # per minute per user token
        self.min_chunk, self.max_chunk, self.max_last = 5 * MB, 64 * MB, 128 * MB
        self.username = "sandbox_account"

    @staticmethod
    def demo_account_id(number: int) -> str:
        return f"-000sandbox{number:04d}"

    def token_error(self, expired: bool):
        message = "The access token is invalid or not found in the request."
        return 401, _answer(code="access_token_invalid", message=message), {}

    def creator_info(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        request.drain()
        data = {
            "creator_username": self.username,
            "creator_nickname": "Sandbox",
            "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": 600,
        }
        return 200, _answer(data), {}

    def video_init(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        body = request.json()
        now = time.time()
        with self.lock:
            self.inits = [t for t in self.inits if t > now - 60]
            if len(self.inits) >= self.init_limit:
                return 429, _answer(code="rate_limit_exceeded", message="Rate limit exceeded."), {}
            self.inits.append(now)
        source = body.get("source_info", {})
        size = source.get("video_size", 0)
        chunk = source.get("chunk_size", 0)
        count = source.get("total_chunk_count", 0)
        if size and size < self.min_chunk:
            valid = chunk == size and count == 1
        else:
            valid = (
                self.min_chunk <= chunk <= self.max_chunk
                and count == size // chunk
                and size - (count - 1) * chunk <= self.max_last
            )
        valid = valid and source.get("source") == "FILE_UPLOAD" and size > 0
        if not valid:
            return 400, _answer(code="invalid_params", message="The chunk plan is not valid."), {}
        publish_id = f"v_pub_file~v2-1.{secrets.randbelow(10**18)}"
        upload_id = secrets.token_hex(12)
        self.publishes[publish_id] = {
            "upload_id": upload_id,
            "size": size,
            "received": Received(),
            "title": (body.get("post_info") or {}).get("title", ""),
            "privacy": (body.get("post_info") or {}).get("privacy_level", ""),
            "status": "PROCESSING_UPLOAD",
            "post_id": None,
        }
        token = secrets.token_hex(8)
        data = {
            "publish_id": publish_id,
            "upload_url": f"{self.url}/video/?upload_id={upload_id}&upload_token={token}",
        }
        return 200, _answer(data), {}

    def video_put(self, request: Request):
        publish = next(
            (
                p
                for p in self.publishes.values()
                if p["upload_id"] == request.query.get("upload_id")
            ),
            None,
        )
        if publish is None:
            request.drain()
            return 404, _answer(code="invalid_params", message="Upload not found."), {}
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", ""))
        received = publish["received"]
        if not match or int(match.group(1)) != received.size:
            request.drain()
            return 416, _answer(code="invalid_params", message="Range not satisfiable."), {}
        for piece in request.stream():
            received.add(piece)
        if received.size < publish["size"]:
            return 206, b"", {}
        publish["status"] = "PROCESSING_DOWNLOAD"  # handed over: posting follows
        return 201, b"", {}

    def status_fetch(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        publish = self.publishes.get(request.json().get("publish_id", ""))
        if publish is None:
            return 400, _answer(code="invalid_publish_id", message="publish_id not found."), {}
        if publish["status"] == "PROCESSING_DOWNLOAD":
            with self.lock:
                publish["status"] = "PUBLISH_COMPLETE"
                publish["post_id"] = str(7_300_000_000_000_000_000 + len(self.posts) + 1)
                post = {
                    "id": publish["post_id"],
                    "title": publish["title"],
                    "size": publish["received"].size,
                    "sha256": publish["received"].sha256,
                }
                self.posts.append(post)
        data = {"status": publish["status"], "uploaded_bytes": publish["received"].size}
        if publish["post_id"]:
            data["publicaly_available_post_id"] = [int(publish["post_id"])]
        return 200, _answer(data), {}

    def oauth_authorize(self, request: Request):
        return self.consent_page(request, "TikTok", "mengunggah video ke akun TikTok Anda")

    def oauth_consent(self, request: Request):
        return self.consent_answer(request)

    def oauth_token(self, request: Request):
        fields = request.form()
        client_key, secret = fields.get("client_key", ""), fields.get("client_secret", "")
        kind = fields.get("grant_type")
        if kind == "authorization_code":
            grant, error = self.redeem(fields, client_key, secret)
        elif kind == "refresh_token":
            grant = self.take_refresh(fields.get("refresh_token", ""), client_key, secret)
            error = "" if grant else "invalid_grant"
        else:
            grant, error = None, "unsupported_grant_type"
        if grant is None:
            answer = {
                "error": error,
                "error_description": "The authorization or refresh token is invalid or expired.",
                "log_id": secrets.token_hex(12),
            }
            return 400, answer, {}
        answer = {
            "access_token": self.new_access(grant),
            "expires_in": self.access_lifetime,
            "open_id": self.demo_account_id(1),
            "refresh_expires_in": 31536000,
            "refresh_token": self.new_refresh(grant),
            "scope": grant["scope"],
            "token_type": "Bearer",
        }
        return 200, answer, {}

    def held(self) -> list[dict]:
        with self.lock:
            return [{"id": p["id"], "text": p["title"]} for p in self.posts]

    def page(self, request: Request):
        for post in self.posts:
            if request.path.endswith(f"/video/{post['id']}"):
                return post_page("TikTok", post["title"])
        return None
