"""Connecting a channel the way its platform expects: OAuth 2.0's authorization code flow.

Protocol only: building the authorize address, trading the code for tokens, refreshing
them, and asking the platform whose account they open. It keeps nothing; the view keeps
the `state` and the PKCE verifier in the administrator's session, and `actions` stores
the tokens (encrypted) and refreshes them under a row lock.

Each platform as documented:
- Meta (Instagram, Facebook): Facebook Login's dialog `/dialog/oauth`, the code traded at
  `/oauth/access_token` for a short-lived user token, that one for a long-lived one
  (`grant_type=fb_exchange_token`), then `/me/accounts`: the Pages granted, each with its
  Page token (which does not expire) and its `instagram_business_account`. No refresh token.
- Google (YouTube): PKCE (S256), `access_type=offline` and `prompt=consent` so that a
  refresh token comes with the first answer; a refresh answers no new refresh token.
- X: `/i/oauth2/authorize` with PKCE and `offline.access`; `/2/oauth2/token` with the
  client's id and secret as HTTP Basic; refresh tokens rotate.
- TikTok: `/v2/auth/authorize/` with `client_key`, comma-separated scopes;
  `/v2/oauth/token/`; refresh tokens rotate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import urllib.parse
from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.utils import timezone

from .connectors import REGISTRY
from .connectors.base import USER_AGENT
from .sandbox import sandbox_urls
from .sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

META_VERSION = "v21.0"


@dataclass(frozen=True)
class Platform:
    name: str  # the connector's
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    client_param: str = "client_id"
    pkce: bool = True
    client_auth: str = "body"  # body | basic | query (Meta's token endpoint is a GET)
    extra: tuple[tuple[str, str], ...] = ()
    meta: bool = False  # Facebook Login: a Page (and its Instagram account) is chosen
    sandbox_paths: tuple[str, str] = ("", "")  # authorize, token: on the platform's sandbox


_META = {
    "authorize_url": f"https://www.facebook.com/{META_VERSION}/dialog/oauth",
    "token_url": f"https://graph.facebook.com/{META_VERSION}/oauth/access_token",
    "scope_separator": ",",
    "pkce": False,
    "client_auth": "query",
    "meta": True,
    "sandbox_paths": (f"/{META_VERSION}/dialog/oauth", f"/{META_VERSION}/oauth/access_token"),
}
PLATFORMS = {
    "instagram": Platform(
        "instagram",
        scopes=(
            "instagram_basic",
            "instagram_content_publish",
            "pages_show_list",
            "pages_read_engagement",
            "business_management",
        ),
        **_META,
    ),
    "facebook": Platform(
        "facebook",
        scopes=("pages_show_list", "pages_read_engagement", "pages_manage_posts"),
        **_META,
    ),
    "x": Platform(
        "x",
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 - an address, not a secret
        scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
        client_auth="basic",
        sandbox_paths=("/i/oauth2/authorize", "/2/oauth2/token"),
    ),
    "youtube": Platform(
        "youtube",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 - an address, not a secret
        scopes=(
            "https://www.googleapis.com/auth/youtube.upload",
            "https://www.googleapis.com/auth/youtube.readonly",
        ),
        extra=(("access_type", "offline"), ("prompt", "consent")),
        sandbox_paths=("/o/oauth2/v2/auth", "/token"),
    ),
    "tiktok": Platform(
        "tiktok",
        authorize_url="https://www.tiktok.com/v2/auth/authorize/",
        token_url="https://open.tiktokapis.com/v2/oauth/token/",  # noqa: S106 - an address, not a secret
        scopes=("user.info.basic", "video.publish", "video.upload"),
        scope_separator=",",
        client_param="client_key",
        pkce=False,  # PKCE is for TikTok's desktop and mobile apps; the web uses the secret
        sandbox_paths=("/v2/auth/authorize/", "/v2/oauth/token/"),
    ),
}
# OAuth errors that no retry mends: the grant is gone, or the app is not who it says.
PERMANENT = {
    "invalid_grant",
    "invalid_client",
    "unauthorized_client",
    "invalid_request",
    "invalid_scope",
    "access_denied",
}


class Refused(Exception):
    """The platform refused for good (revoked, expired refresh token): reconnect."""


class Unavailable(Exception):
    """The platform could not be asked now; asking again later may work."""


@dataclass(frozen=True)
class Client:
    """This install's app on one platform, and where it talks to it."""

    platform: Platform
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    api_url: str = ""  # "" = the connector's own address; the sandbox's in the demo

    @property
    def api(self) -> str:
        return (self.api_url or REGISTRY[self.platform.name].base_url).rstrip("/")


@dataclass
class Tokens:
    access_token: str
    refresh_token: str = ""
    expires_at: dt.datetime | None = None
    account_id: str = ""  # TikTok's open_id
    scope: str = ""
    raw: dict = field(default_factory=dict, repr=False)


def client(name: str) -> Client | None:
    """The app this install has on the platform of connector `name`, or None: then its
    channel is connected by pasting a token by hand."""
    platform = PLATFORMS.get(name)
    if platform is None:
        return None
    conf = settings.SIARAN_OAUTH.get(name) or {}
    if conf.get("client_id"):
        return Client(
            platform,
            conf["client_id"],
            conf.get("client_secret", ""),
            conf.get("authorize_url") or platform.authorize_url,
            conf.get("token_url") or platform.token_url,
            conf.get("api_url", ""),
        )
    if settings.SIARAN_SANDBOX_URL:
        base = sandbox_urls(settings.SIARAN_SANDBOX_URL)[name]
        authorize, token = platform.sandbox_paths
        return Client(
            platform, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, base + authorize, base + token, base
        )
    return None


def challenge(verifier: str) -> str:
    """PKCE's S256 code challenge of a verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(client: Client, *, redirect_uri: str, state: str, verifier: str) -> str:
    """Where the administrator's browser goes to allow Siaran on the platform."""
    platform = client.platform
    params = {
        platform.client_param: client.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": platform.scope_separator.join(platform.scopes),
        "state": state,
        **dict(platform.extra),
    }
    if platform.pkce:
        params.update(code_challenge=challenge(verifier), code_challenge_method="S256")
    glue = "&" if "?" in client.authorize_url else "?"
    return f"{client.authorize_url}{glue}{urllib.parse.urlencode(params)}"


def exchange(client: Client, *, code: str, redirect_uri: str, verifier: str) -> Tokens:
    """The tokens an authorization code buys (for Meta: a long-lived user token)."""
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if client.platform.pkce:
        fields["code_verifier"] = verifier
    tokens = _token_call(client, fields)
    if client.platform.meta:
        tokens = _token_call(
            client, {"grant_type": "fb_exchange_token", "fb_exchange_token": tokens.access_token}
        )
    return tokens


def refresh(client: Client, refresh_token: str) -> Tokens:
    """A new access token (and, where the platform rotates them, a new refresh token)."""
    return _token_call(client, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def meta_pages(client: Client, user_token: str) -> list[dict]:
    """The Pages the person granted: {"page_id", "page_name", "page_token", "ig_id",
    "ig_username"} each (the Instagram ones blank when the Page has no business account)."""
    response = _call(
        client,
        "GET",
        f"{client.api}/me/accounts",
        params={
            "fields": "id,name,access_token,instagram_business_account{id,username}",
            "limit": "100",
        },
        headers={"Authorization": f"Bearer {user_token}"},
    )
    pages = []
    for page in response.get("data") or []:
        ig = page.get("instagram_business_account") or {}
        pages.append(
            {
                "page_id": str(page.get("id", "")),
                "page_name": page.get("name", ""),
                "page_token": page.get("access_token", ""),
                "ig_id": str(ig.get("id", "")),
                "ig_username": ig.get("username", ""),
            }
        )
    return [p for p in pages if p["page_id"] and p["page_token"]]


def identity(client: Client, tokens: Tokens) -> tuple[str, str]:
    """The account the tokens open: (its id on the platform, its name), asked of it."""
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}
    name = client.platform.name
    if name == "x":
        data = _call(client, "GET", f"{client.api}/2/users/me", headers=bearer).get("data", {})
        return str(data.get("id", "")), f"@{data['username']}" if data.get("username") else ""
    if name == "youtube":
        answer = _call(
            client,
            "GET",
            f"{client.api}/youtube/v3/channels",
            params={"part": "snippet", "mine": "true"},
            headers=bearer,
        )
        item = (answer.get("items") or [{}])[0]
        return str(item.get("id", "")), item.get("snippet", {}).get("title", "")
    if name == "tiktok":
        answer = _call(
            client,
            "POST",
            f"{client.api}/v2/post/publish/creator_info/query/",
            json={},
            headers=bearer,
        )
        username = (answer.get("data") or {}).get("creator_username", "")
        return tokens.account_id, f"@{username}" if username else ""
    return tokens.account_id, ""


# -- inside ----------------------------------------------------------------------------------


def _token_call(client: Client, fields: dict) -> Tokens:
    platform = client.platform
    headers = {"Accept": "application/json"}
    auth = None
    if platform.client_auth == "basic":
        auth = (client.client_id, client.client_secret)
        fields = {**fields, "client_id": client.client_id}
    else:
        fields = {
            **fields,
            platform.client_param: client.client_id,
            "client_secret": client.client_secret,
        }
    if platform.client_auth == "query":
        body = _call(client, "GET", client.token_url, params=fields, headers=headers)
    else:
        body = _call(client, "POST", client.token_url, data=fields, headers=headers, auth=auth)
    if not body.get("access_token"):
        raise Refused(_error_text(body) or "no access token in the answer")
    expires_in = body.get("expires_in")
    return Tokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or "",
        expires_at=(
            timezone.now() + dt.timedelta(seconds=int(expires_in))
            if str(expires_in or "").isdigit() and int(expires_in) > 0
            else None
        ),
        account_id=str(body.get("open_id") or ""),
        scope=str(body.get("scope") or ""),
        raw={k: v for k, v in body.items() if "token" not in k},  # never a secret
    )


def _call(client: Client, method: str, url: str, **kwargs) -> dict:
    try:
        with httpx.Client(timeout=httpx.Timeout(15.0), headers={"User-Agent": USER_AGENT}) as http:
            response = http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise Unavailable(str(error) or type(error).__name__) from error
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = body.get("error")
    if response.status_code == 429 or response.status_code >= 500:
        raise Unavailable(_error_text(body) or f"HTTP {response.status_code}")
    if response.status_code >= 400 or (isinstance(error, str) and error):
        if isinstance(error, str) and error not in PERMANENT and response.status_code < 400:
            raise Unavailable(_error_text(body))
        raise Refused(_error_text(body) or f"HTTP {response.status_code}")
    return body


def _error_text(body: dict) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    if error:
        description = body.get("error_description") or ""
        return f"{error}: {description}" if description else str(error)
    return ""
