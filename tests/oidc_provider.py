"""A real OpenID Connect provider on 127.0.0.1 for the sign-in tests, built from Authlib's
authorization-server pieces (the authorization code grant with its OpenID Connect
extension) on the standard library's HTTP server, in a thread of the test process.

It serves discovery, the authorization endpoint (which signs in whoever the test says is
signed in there, as Keycloak would after its own login page), the token endpoint (an
access token and an id_token signed with RS256), the keys (JWKS) and userinfo.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey


@dataclass
class Client:
    """The one client registered at the provider: Siaran."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "email"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    auth_time: int

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Provider:
    """The provider's state and its Authlib authorization server. `user` is the person
    signed in at the provider (claims: sub, email, email_verified, name)."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.client = Client("siaran", secrets.token_urlsafe(16))
        self.user: dict | None = None
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, dict] = {}  # access token -> the user's claims
        self.requests: list[str] = []  # "METHOD /path", in order
        self.id_tokens: list[str] = []  # as issued by the token endpoint
        self.issuer = ""
        self.server = _Server(self)
        self.server.register_token_generator(
            "default",
            BearerTokenGenerator(access_token_generator=lambda *a, **k: secrets.token_urlsafe(24)),
        )
        self.server.register_grant(_CodeGrant, [_OpenIDCode(self, require_nonce=False)])

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"],
        }

    def claims(self, user: dict, scope: str) -> UserInfo:
        info = UserInfo(sub=user["sub"])
        if "email" in scope.split():
            info["email"] = user["email"]
            info["email_verified"] = user.get("email_verified", False)
        if "profile" in scope.split():
            info["name"] = user.get("name", "")
        return info


class _Server(AuthorizationServer):
    def __init__(self, provider: Provider) -> None:
        super().__init__(scopes_supported=["openid", "profile", "email"])
        self.provider = provider

    def query_client(self, client_id):
        client = self.provider.client
        return client if client_id == client.client_id else None

    def save_token(self, token, request):
        self.provider.tokens[token["access_token"]] = request.user

    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        method, uri, headers, form = request
        oauth_request = _Request(method, uri, headers=headers)
        query = dict(parse_qsl(urlsplit(uri).query))
        oauth_request.payload = BasicOAuth2Payload({**query, **form})
        oauth_request._args, oauth_request._form = query, form
        return oauth_request

    def create_json_request(self, request):
        raise NotImplementedError

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass


class _Request(OAuth2Request):
    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class _CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    @property
    def provider(self) -> Provider:
        return self.server.provider

    def save_authorization_code(self, code, request):
        payload = request.payload
        self.provider.codes[code] = Code(
            code=code,
            client_id=payload.client_id,
            redirect_uri=payload.redirect_uri,
            scope=payload.scope,
            user=request.user,
            nonce=payload.data.get("nonce"),
            auth_time=int(time.time()),
        )

    def query_authorization_code(self, code, client):
        found = self.provider.codes.get(code)
        return found if found and found.client_id == client.get_client_id() else None

    def delete_authorization_code(self, authorization_code):
        self.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class _OpenIDCode(OpenIDCode):
    def __init__(self, provider: Provider, require_nonce: bool) -> None:
        super().__init__(require_nonce=require_nonce)
        self.provider = provider

    def exists_nonce(self, nonce, request):
        return any(code.nonce == nonce for code in self.provider.codes.values())

    def resolve_client_private_key(self, client):
        return self.provider.key

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": self.provider.key.kid}

    def get_client_claims(self, client):
        return {"iss": self.provider.issuer, "aud": [client.get_client_id()]}

    def generate_user_info(self, user, scope):
        return self.provider.claims(user, scope)


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass  # quiet: the test reads provider.requests instead

    def _send(self, status: int, body, headers) -> None:
        if isinstance(body, dict | list):
            body = json.dumps(body)
        data = (body or "").encode() if isinstance(body, str) else (body or b"")
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if not any(name.lower() == "content-type" for name, _ in headers or []):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _request(self, form: dict):
        uri = f"{self.provider.issuer}{self.path}"
        return ("GET" if not form else "POST", uri, dict(self.headers.items()), form)

    def do_GET(self):  # noqa: N802 - the standard library's name
        provider, path = self.provider, urlsplit(self.path).path
        provider.requests.append(f"GET {path}")
        if path == "/.well-known/openid-configuration":
            return self._send(200, provider.discovery(), [])
        if path == "/jwks":
            return self._send(200, {"keys": [provider.key.as_dict(private=False)]}, [])
        if path == "/authorize":
            if provider.user is None:
                return self._send(401, {"error": "login_required"}, [])
            server = provider.server
            request = server.create_oauth2_request(self._request({}))
            try:  # the client, its redirect URI, the scope and the response type
                grant = server.get_consent_grant(request, end_user=provider.user)
            except OAuth2Error as error:
                return self._send(400, {"error": error.error}, [])
            status, body, headers = server.create_authorization_response(
                request, grant_user=provider.user, grant=grant
            )
            return self._send(status, body, headers)
        if path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            user = provider.tokens.get(token)
            if user is None:
                return self._send(401, {"error": "invalid_token"}, [])
            return self._send(200, dict(provider.claims(user, "openid email profile")), [])
        return self._send(404, {"error": "not_found"}, [])

    def do_POST(self):  # noqa: N802 - the standard library's name
        provider, path = self.provider, urlsplit(self.path).path
        provider.requests.append(f"POST {path}")
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        if path == "/token":
            status, body, headers = provider.server.create_token_response(self._request(form))
            if status == 200 and "id_token" in body:
                provider.id_tokens.append(body["id_token"])
            return self._send(status, body, headers)
        return self._send(404, {"error": "not_found"}, [])


def start(provider: Provider) -> ThreadingHTTPServer:
    """Serve `provider` on a free port of 127.0.0.1 in a daemon thread."""
    handler = type("Handler", (_Handler,), {"provider": provider})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    provider.issuer = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd
