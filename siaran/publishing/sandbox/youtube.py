"""YouTube Data API v3: resumable video uploads, the subset Siaran uses.

A session holds the bytes it received in order; an interrupted `PUT` keeps what
arrived, and `Content-Range: bytes */total` answers 308 with the `Range` held, or the
video once complete. Each upload spends 1 600 of the account's 10 000 daily units.
"""

from __future__ import annotations

import re
import secrets

from .base import Received, Request, Sandbox, post_page


def _google_error(status: int, message: str, reason: str, state: str) -> dict:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "youtube", "reason": reason}],
            "status": state,
        }
    }


class YouTubeSandbox(Sandbox):
    name = "youtube"
    routes = [
        ("POST", r"/upload/youtube/v3/videos", "session_open"),
        ("PUT", r"/upload/youtube/v3/videos", "session_put"),
        ("GET", r"/youtube/v3/channels", "channels"),
        # Google's OAuth 2.0 (accounts.google.com/o/oauth2/v2/auth, oauth2.googleapis.com/token)
        ("GET", r"/o/oauth2/v2/auth", "oauth_authorize"),
        ("POST", r"/o/oauth2/v2/auth", "oauth_consent"),
        ("POST", r"/token", "oauth_token"),
    ]
    pkce_required = True
    rotates_refresh_tokens = False  # Google keeps one refresh token; a refresh returns none
    access_lifetime = 3599

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: dict[str, dict] = {}
        self.videos: list[dict] = []
        self.units_used = 0
        self.daily_units = 10_000

    @staticmethod
    def demo_account_id(number: int) -> str:
        return f"UCsandbox{number:014d}"

    def token_error(self, expired: bool):
        message = (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential."
        )
        return 401, _google_error(401, message, "authError", "UNAUTHENTICATED"), {}

    def session_open(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        if request.query.get("uploadType") != "resumable":
            return (
                400,
                _google_error(400, "Use a resumable upload.", "badRequest", "INVALID_ARGUMENT"),
                {},
            )
        total = request.headers.get("X-Upload-Content-Length")
        metadata = request.json()
        title = (metadata.get("snippet") or {}).get("title", "")
        if not title or len(title) > 100 or re.search(r"[<>]", title):
            return (
                400,
                _google_error(
                    400,
                    "The request metadata specifies an invalid video title.",
                    "invalidTitle",
                    "INVALID_ARGUMENT",
                ),
                {},
            )
        with self.lock:
            if self.units_used + 1600 > self.daily_units:
                message = "The request cannot be completed because you have exceeded your quota."
                return 403, _google_error(403, message, "quotaExceeded", "PERMISSION_DENIED"), {}
            self.units_used += 1600
            upload_id = secrets.token_urlsafe(24)
            self.sessions[upload_id] = {
                "total": int(total) if total else None,
                "received": Received(),
                "metadata": metadata,
                "video": None,
                "queries": 0,
            }
        location = f"{self.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        return 200, b"", {"Location": location, "X-GUploader-UploadID": upload_id}

    def session_put(self, request: Request):
        session = self.sessions.get(request.query.get("upload_id", ""))
        if session is None:
            request.drain()
            return 404, _google_error(404, "Upload session not found.", "notFound", "NOT_FOUND"), {}
        span = request.headers.get("Content-Range", "")
        received = session["received"]
        if span.startswith("bytes */"):  # how far did it get?
            session["queries"] += 1
            return self._progress(session)
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", span)
        if not match or int(match.group(1)) != received.size:
            request.drain()
            return (
                400,
                _google_error(400, "Invalid Content-Range.", "badContent", "INVALID_ARGUMENT"),
                {},
            )
        session["total"] = int(match.group(3))
        for piece in request.stream():  # an interrupted body keeps what arrived
            received.add(piece)
        return self._progress(session)

    def _progress(self, session: dict):
        received = session["received"]
        if session["video"] is None and session["total"] and received.size == session["total"]:
            with self.lock:
                snippet = session["metadata"].get("snippet", {})
                video = {
                    "kind": "youtube#video",
                    "id": secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")[:11],
                    "snippet": {
                        "title": snippet.get("title", ""),
                        "description": snippet.get("description", ""),
                    },
                    "status": {"uploadStatus": "uploaded", "privacyStatus": "public"},
                    "size": received.size,
                    "sha256": received.sha256,
                }
                session["video"] = video
                self.videos.append(video)
            return 200, video, {}
        if session["video"] is not None:
            return 200, session["video"], {}
        headers = {"Range": f"bytes=0-{received.size - 1}"} if received.size else {}
        return 308, b"", headers

    def channels(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        item = {"id": "UCsandbox", "snippet": {"title": "Sandbox channel"}}
        return 200, {"items": [item]}, {}

    def oauth_authorize(self, request: Request):
        return self.consent_page(request, "Google", "mengunggah video ke kanal YouTube Anda")

    def oauth_consent(self, request: Request):
        return self.consent_answer(request)

    def oauth_token(self, request: Request):
        fields = request.form()
        client_id, secret = self.client_of(request, fields)
        kind = fields.get("grant_type")
        if kind == "authorization_code":
            grant, error = self.redeem(fields, client_id, secret)
            if grant is None:
                return _oauth_error(error, "Bad Request")
            answer = {
                "access_token": self.new_access(grant),
                "expires_in": self.access_lifetime,
                "scope": grant["scope"],
                "token_type": "Bearer",
            }
            if grant["offline"]:  # access_type=offline: the one refresh token Google gives
                answer["refresh_token"] = self.new_refresh(grant)
            return 200, answer, {}
        if kind == "refresh_token":
            grant = self.take_refresh(fields.get("refresh_token", ""), client_id, secret)
            if grant is None:
                return _oauth_error("invalid_grant", "Token has been expired or revoked.")
            answer = {
                "access_token": self.new_access(grant),
                "expires_in": self.access_lifetime,
                "scope": grant["scope"],
                "token_type": "Bearer",
            }
            return 200, answer, {}
        return _oauth_error("unsupported_grant_type", "Invalid grant_type.")

    def held(self) -> list[dict]:
        with self.lock:
            return [
                {"id": v["id"], "text": f"{v['snippet']['title']}\n{v['snippet']['description']}"}
                for v in self.videos
            ]

    def page(self, request: Request):
        for video in self.videos:
            if request.path == "/watch" and request.query.get("v") == video["id"]:
                return post_page(video["snippet"]["title"], video["snippet"]["description"])
        return None


def _oauth_error(error: str, description: str):
    status = 401 if error == "invalid_client" else 400
    return status, {"error": error, "error_description": description}, {}
