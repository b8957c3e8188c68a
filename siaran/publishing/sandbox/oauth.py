"""What every sandbox's OAuth 2.0 authorization server shares.

Each platform's sandbox serves its own authorize page and token endpoint in the
platform's shape (paths, parameter names, answers); this is the bookkeeping under them:
the client the sandbox knows, single-use authorization codes bound to their
redirect_uri and PKCE challenge, access tokens that really expire, and refresh tokens
that rotate where the platform rotates them.

The authorize page is a plain HTML form that works on a phone: the person sees what is
asked, picks a Page where Meta lets them, and presses "Izinkan" (allow) or "Tolak"
(deny); the browser is then sent back to the redirect_uri with `code` and `state`, or
`error=access_denied`, as a platform does.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import urllib.parse

# The OAuth client every sandbox knows; `siaran demo` and `make run` use it.
SANDBOX_CLIENT_ID = "siaran-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's own, by design
CODE_LIFETIME = 600.0  # seconds an authorization code may wait to be exchanged


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect(to: str, **params) -> tuple:
    glue = "&" if "?" in to else "?"
    location = f"{to}{glue}{urllib.parse.urlencode({k: v for k, v in params.items() if v})}"
    return 302, b"", {"Location": location}


class AuthorizationServer:
    """Mixed into a Sandbox: codes, expiring access tokens, refresh tokens."""

    client_param = "client_id"  # TikTok says client_key
    pkce_required = False
    rotates_refresh_tokens = True
    access_lifetime = 3600  # seconds

    def oauth_setup(self) -> None:
        self.clients: dict[str, str] = {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}  # live ones -> their grant
        self.token_expiry: dict[str, float] = {}  # access token -> epoch it ends

    # -- tests and the demo ----------------------------------------------------------------

    def expire_access(self) -> None:
        """Every access token issued so far ends now (a test of refreshing)."""
        with self.lock:
            for token in self.token_expiry:
                self.token_expiry[token] = 0.0

    def revoke_refresh(self) -> None:
        """The person removed the app on the platform: every refresh token stops working."""
        with self.lock:
            self.refresh_tokens.clear()

    # -- the authorize page ---------------------------------------------------------------

    def consent_problem(self, query: dict) -> str:
        """Why the authorize request cannot be shown (a developer's mistake), or ''."""
        if query.get(self.client_param) not in self.clients:
            return f"Unknown {self.client_param}."
        if query.get("response_type") != "code":
            return "response_type must be code."
        if not query.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri is missing."
        if not query.get("state"):
            return "state is missing."
        if self.pkce_required and (
            not query.get("code_challenge") or query.get("code_challenge_method") != "S256"
        ):
            return "code_challenge with code_challenge_method=S256 is required."
        return ""

    def consent_page(self, request, platform: str, asks: str, choices=()) -> tuple:
        """The platform's authorize page: `choices` are (value, label) of Pages to grant."""
        problem = self.consent_problem(request.query)
        if problem:
            page = f"<!doctype html><meta charset=utf-8><h1>Error</h1><p>{html.escape(problem)}"
            return 400, page.encode(), {"Content-Type": "text/html; charset=utf-8"}
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in request.query.items()
        )
        boxes = "".join(
            f'<label class="choice"><input type="checkbox" name="granted" value="{html.escape(v)}"'
            f"{' checked' if i == 0 else ''}> {html.escape(label)}</label>"
            for i, (v, label) in enumerate(choices)
        )
        if boxes:
            boxes = f"<fieldset><legend>Pilih yang diizinkan</legend>{boxes}</fieldset>"
        page = (
            "<!doctype html><html lang=id><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(platform)} (sandbox)</title>"
            "<style>body{font-family:sans-serif;margin:0 auto;max-width:32rem;padding:1rem}"
            "button{font-size:1.1rem;padding:.7rem 1.2rem;margin:.3rem .3rem 0 0}"
            ".choice{display:block;padding:.5rem 0}fieldset{margin:1rem 0}</style>"
            f"<h1>{html.escape(platform)}</h1>"
            f"<p>Aplikasi <strong>Siaran</strong> meminta izin: {html.escape(asks)}.</p>"
            f'<form method="post">{hidden}{boxes}'
            '<button type="submit" name="decision" value="allow">Izinkan</button>'
            '<button type="submit" name="decision" value="deny">Tolak</button></form>'
            "<p><small>A local sandbox: nothing here is the real platform.</small></p>"
        )
        return 200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}

    def consent_answer(self, request) -> tuple:
        fields = request.form()
        problem = self.consent_problem(fields)
        if problem:
            return 400, {"error": "invalid_request", "error_description": problem}, {}
        granted = [v for k, v in _pairs(request) if k == "granted"]
        if fields.get("decision") != "allow":
            return redirect(fields["redirect_uri"], error="access_denied", state=fields["state"])
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "client_id": fields[self.client_param],
                "redirect_uri": fields["redirect_uri"],
                "challenge": fields.get("code_challenge", ""),
                "scope": fields.get("scope", ""),
                "offline": fields.get("access_type") == "offline",
                "granted": granted,
                "at": time.time(),
            }
        return redirect(fields["redirect_uri"], code=code, state=fields["state"])

    # -- the token endpoint ---------------------------------------------------------------

    def client_of(self, request, fields: dict) -> tuple[str, str]:
        """The client's id and secret, from HTTP Basic or from the body."""
        user, password = request.basic()
        if user:
            return user, password
        return fields.get(self.client_param, ""), fields.get("client_secret", "")

    def redeem(self, fields: dict, client_id: str, client_secret: str) -> tuple[dict | None, str]:
        """The grant of an authorization code, used up; or None and the OAuth error."""
        if self.clients.get(client_id) != client_secret:
            return None, "invalid_client"
        with self.lock:
            grant = self.codes.pop(fields.get("code", ""), None)
        if (
            grant is None
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != fields.get("redirect_uri")
            or time.time() - grant["at"] > CODE_LIFETIME
        ):
            return None, "invalid_grant"
        if grant["challenge"] and s256(fields.get("code_verifier", "")) != grant["challenge"]:
            return None, "invalid_grant"
        if self.pkce_required and not grant["challenge"]:
            return None, "invalid_grant"
        return grant, ""

    def new_access(self, grant: dict, lifetime: float | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens.add(token)
            self.token_expiry[token] = time.time() + (lifetime or self.access_lifetime)
        return token

    def new_refresh(self, grant: dict) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.refresh_tokens[token] = grant
        return token

    def take_refresh(self, token: str, client_id: str, client_secret: str) -> dict | None:
        """The grant behind a live refresh token; a rotating platform retires it now."""
        if self.clients.get(client_id) != client_secret:
            return None
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None or grant["client_id"] != client_id:
                return None
            if self.rotates_refresh_tokens:
                del self.refresh_tokens[token]
        return grant

    def access_expired(self, token: str) -> bool:
        ends = self.token_expiry.get(token)
        return ends is not None and time.time() >= ends


def _pairs(request) -> list[tuple[str, str]]:
    """Every field of a urlencoded body, repeated ones included (checkboxes)."""
    return urllib.parse.parse_qsl(request.body().decode())
