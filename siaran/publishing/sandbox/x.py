"""X API v2: chunked media upload (INIT, APPEND, FINALIZE, STATUS) and posts.

Every `POST /2/tweets` answer carries X's rate-limit headers for its 15-minute window,
and a 429 past the limit, as X does.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from .base import Received, Request, Sandbox, post_page


class XSandbox(Sandbox):
    name = "x"
    routes = [
        ("POST", r"/2/media/upload", "media_upload"),
        ("GET", r"/2/media/upload", "media_status"),
        ("POST", r"/2/tweets", "tweet_create"),
        ("GET", r"/2/users/me", "me"),
        # OAuth 2.0 with PKCE (x.com/i/oauth2/authorize, api.x.com/2/oauth2/token)
        ("GET", r"/i/oauth2/authorize", "oauth_authorize"),
        ("POST", r"/i/oauth2/authorize", "oauth_consent"),
        ("POST", r"/2/oauth2/token", "oauth_token"),
        ("GET", r"/2/users/(?P<user>\d+)/tweets", "timeline"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.uploads: dict[str, dict] = {}
        self.tweets: list[dict] = []
        self.window_limit = 100  # posts per user per 15 minutes
        self.window = 15 * 60
        self.user = {"id": "1500000000000000001", "username": "sandbox_account", "name": "Sandbox"}

    @staticmethod
    def demo_account_id(number: int) -> str:
        return str(1500000000000000000 + number)

    def token_error(self, expired: bool):
        return 401, _problem(401, "Unauthorized", "Unauthorized"), {}

    def media_upload(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        fields = request.form()
        command = fields.get("command")
        if command == "INIT":
            media_id = self.next_id()
            self.uploads[media_id] = {
                "id": media_id,
                "total": int(fields.get("total_bytes", 0)),
                "category": fields.get("media_category", "tweet_image"),
                "received": Received(),
                "segments": set(),
                "state": "uploading",
            }
            data = {"id": media_id, "media_key": f"3_{media_id}", "expires_after_secs": 86400}
            return 200, {"data": data}, {}
        upload = self.uploads.get(fields.get("media_id", ""))
        if upload is None:
            return 400, _invalid("media_id is invalid"), {}
        if command == "APPEND":
            index = int(fields.get("segment_index", -1))
            if index in upload["segments"]:
                return 400, _invalid("segment_index was already uploaded"), {}
            upload["segments"].add(index)
            upload["received"].add(fields.get("media") or b"")
            return 200, {}, {}
        if command == "FINALIZE":
            if upload["received"].size != upload["total"]:
                return 400, _invalid("Segments do not add up to provided total file size."), {}
            video = upload["category"] == "tweet_video"
            upload["state"] = "pending" if video else "succeeded"
            data = {"id": upload["id"], "media_key": f"3_{upload['id']}", "size": upload["total"]}
            if video:
                data["processing_info"] = {"state": "pending", "check_after_secs": 1}
            return 200, {"data": data}, {}
        return 400, _invalid("command is invalid"), {}

    def media_status(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        upload = self.uploads.get(request.query.get("media_id", ""))
        if upload is None or request.query.get("command") != "STATUS":
            return 400, _invalid("media_id is invalid"), {}
        # A video is processed over two checks, as X reports pending, then in progress.
        following = {"pending": "in_progress", "in_progress": "succeeded"}
        upload["state"] = following.get(upload["state"], upload["state"])
        done = upload["state"] == "succeeded"
        info = {"state": upload["state"], "progress_percent": 100 if done else 50}
        if not done:
            info["check_after_secs"] = 1
        return 200, {"data": {"id": upload["id"], "processing_info": info}}, {}

    def tweet_create(self, request: Request):
        refused = self.authorize(request)
        if refused:
            return refused
        body = request.json()
        now = time.time()
        with self.lock:
            recent = [t for t in self.tweets if t["at"] > now - self.window]
            reset = int((recent[-1]["at"] if recent else now) + self.window)
            remaining = self.window_limit - len(recent)
            headers = {
                "x-rate-limit-limit": self.window_limit,
                "x-rate-limit-remaining": max(0, remaining - 1),
                "x-rate-limit-reset": reset,
            }
            if remaining <= 0:
                return 429, _problem(429, "Too Many Requests", "Too Many Requests"), headers
            text = body.get("text", "")
            if any(t["text_sent"] == text for t in self.tweets):
                detail = "You are not allowed to create a Tweet with duplicate content."
                return 403, _problem(403, "Forbidden", detail), headers
            media_ids = (body.get("media") or {}).get("media_ids", [])
            for media_id in media_ids:
                if self.uploads.get(media_id, {}).get("state") != "succeeded":
                    return 400, _invalid(f"media id {media_id} is not ready"), headers
            tweet_id = self.next_id()
            shown = text + (f" https://t.co/{secrets.token_hex(5)}" if media_ids else "")
            created = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            tweet = {
                "id": tweet_id,
                "text": shown,
                "text_sent": text,
                "media_ids": media_ids,
                "at": now,
                "created_at": created,
            }
            self.tweets.insert(0, tweet)
        data = {"id": tweet_id, "text": shown, "edit_history_tweet_ids": [tweet_id]}
        return 201, {"data": data}, headers

    def timeline(self, request: Request, user: str):
        refused = self.authorize(request)
        if refused:
            return refused
        start = request.query.get("start_time")
        since = dt.datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() if start else 0
        keys = ("id", "text", "created_at")
        found = [{k: t[k] for k in keys} for t in self.tweets if t["at"] >= since]
        found = found[: int(request.query.get("max_results", 10))]
        meta = {"result_count": len(found)}
        if not found:
            return 200, {"meta": meta}, {}
        meta.update(newest_id=found[0]["id"], oldest_id=found[-1]["id"])
        return 200, {"data": found, "meta": meta}, {}

    def me(self, request: Request):
        refused = self.authorize(request)
        return refused or (200, {"data": self.user}, {})

    pkce_required = True
    access_lifetime = 7200  # two hours; offline.access gives a refresh token that rotates

    def oauth_authorize(self, request: Request):
        return self.consent_page(request, "X", "membaca dan menulis post atas nama akun Anda")

    def oauth_consent(self, request: Request):
        return self.consent_answer(request)

    def oauth_token(self, request: Request):
        fields = request.form()
        client_id, secret = self.client_of(request, fields)
        kind = fields.get("grant_type")
        if kind == "authorization_code":
            grant, error = self.redeem(fields, client_id, secret)
        elif kind == "refresh_token":
            grant = self.take_refresh(fields.get("refresh_token", ""), client_id, secret)
            error = "" if grant else "invalid_request"
        else:
            grant, error = None, "unsupported_grant_type"
        if grant is None:
            description = "Value passed for the token was invalid."
            return 400, {"error": error, "error_description": description}, {}
        answer = {
            "token_type": "bearer",
            "expires_in": self.access_lifetime,
            "access_token": self.new_access(grant),
            "scope": grant["scope"],
        }
        if "offline.access" in grant["scope"].split():
            answer["refresh_token"] = self.new_refresh(grant)
        return 200, answer, {}

    def held(self) -> list[dict]:
        with self.lock:
            return [{"id": t["id"], "text": t["text_sent"]} for t in self.tweets]

    def page(self, request: Request):
        for tweet in self.tweets:
            if request.path.endswith(f"/status/{tweet['id']}"):
                return post_page("X", tweet["text"])
        return None


def _invalid(message: str) -> dict:
    return {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def _problem(status: int, title: str, detail: str) -> dict:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}
