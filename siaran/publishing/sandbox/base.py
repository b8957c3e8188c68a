"""A local HTTP server that speaks a platform's API, for tests and the demo.

Each platform's sandbox is a small class with its routes and its state (the posts it
holds). It is a real server on a real socket, so connectors are tested exactly as they
run against the platform, faults included:

- `status`: answer with an error (429 with Retry-After, 503, ...) without acting;
- `accept_then_hang`: act on the request, then answer only after `hang` seconds, so
  the client times out although the platform took the post;
- `accept_then_drop`: act on the request, then close the connection without answering;
- `drop`: read `after_bytes` of the body, keep them, and close the connection: an
  upload interrupted half-way.

Bodies are read a piece at a time and hashed, never held whole: a sandbox takes a
1 GiB upload in a few megabytes.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .oauth import AuthorizationServer

PIECE = 64 * 1024


@dataclass
class Fault:
    path: str  # a regular expression matched against the path (no query)
    kind: str  # status | accept_then_hang | accept_then_drop | drop
    method: str | None = None
    times: int = 1
    status: int = 503
    headers: dict = field(default_factory=dict)
    body: object = None
    hang: float = 3.0
    after_bytes: int = 0
    headers_match: dict = field(default_factory=dict)  # header -> regex the request must match
    # For accept_then_*: strike only when the platform's answer is this one (a finish phase).
    only_if: Callable[[tuple], bool] | None = None


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, limit: int | None) -> None:
        self.handler = handler
        self.method = handler.command
        parts = urllib.parse.urlsplit(handler.path)
        self.path = parts.path
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        self.headers = handler.headers
        self.length = int(handler.headers.get("Content-Length") or 0)
        self.left = self.length
        self.limit = limit  # a `drop` fault reads this much of the body only
        self._body: bytes | None = None

    def stream(self) -> Iterator[bytes]:
        """The body a piece at a time (ends early when a fault cuts the upload)."""
        while self.left > 0:
            want = min(PIECE, self.left)
            if self.limit is not None:
                want = min(want, self.limit)
                if want <= 0:
                    return
            piece = self.handler.rfile.read(want)
            if not piece:
                return
            self.left -= len(piece)
            if self.limit is not None:
                self.limit -= len(piece)
            yield piece

    def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join(self.stream())
        return self._body

    def json(self) -> dict:
        try:
            return json.loads(self.body() or b"{}")
        except ValueError:
            return {}

    def form(self) -> dict:
        """Fields of a urlencoded or multipart body (small ones), and the query string."""
        fields = dict(self.query)
        kind = self.headers.get("Content-Type", "")
        body = self.body()
        if kind.startswith("application/x-www-form-urlencoded"):
            fields.update({k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()})
        elif kind.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename() is None:
                    payload = payload.decode()
                fields[name] = payload
        elif kind.startswith("application/json"):
            fields.update(self.json())
        return fields

    def drain(self) -> None:
        for _piece in self.stream():
            pass

    def bearer(self) -> str:
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else self.query.get("access_token", "")

    def basic(self) -> tuple[str, str]:
        value = self.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return "", ""
        user, _sep, password = base64.b64decode(value[6:]).decode().partition(":")
        return user, password


Response = tuple  # (status, body: dict | list | bytes | str, headers: dict)


class Sandbox(AuthorizationServer):
    """The server, its faults and a record of every call; platforms add routes and state."""

    name = "sandbox"  # the connector it stands in for
    routes: list[tuple[str, str, str]] = []  # (method, path regex, method name)

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []
        self.tokens: set[str] = {"sandbox-token"}
        self.expired_tokens: set[str] = set()
        self.oauth_setup()
        self._ids = 0
        self.server = ThreadingHTTPServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._compiled = [(m, re.compile(f"^{p}$"), n) for m, p, n in self.routes]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail(self, path: str, kind: str = "status", **options) -> Fault:
        fault = Fault(path=path, kind=kind, **options)
        with self.lock:
            self.faults.append(fault)
        return fault

    def next_id(self) -> str:
        with self.lock:
            self._ids += 1
            return f"{self._ids + 17_000_000_000_000_000}"

    def count(self, method: str, pattern: str) -> int:
        regex = re.compile(pattern)
        return sum(1 for m, p in self.calls if m == method and regex.search(p))

    # -- what platforms override ----------------------------------------------------------

    @staticmethod
    def demo_account_id(number: int) -> str:
        """The id on the platform of the demo's account `number`, in the platform's form."""
        return str(17841400000000000 + number)

    def token_error(self, expired: bool) -> Response:
        return 401, {"error": "expired" if expired else "invalid"}, {}

    def authorize(self, request: Request) -> Response | None:
        """None when the bearer token is good; the platform's refusal otherwise."""
        token = request.bearer()
        if token in self.expired_tokens or self.access_expired(token):
            return self.token_error(True)
        if token not in self.tokens:
            return self.token_error(False)
        return None

    def page(self, request: Request) -> Response:
        """A post's permalink shows the post, so the demo's links lead somewhere."""
        return 404, b"not found", {"Content-Type": "text/plain"}

    def held(self) -> list[dict]:
        """For tests and benches only: every post this sandbox holds, as {"id", "text"}.

        The platform's own record, the truth a fault run counts duplicates and losses by.
        """
        raise NotImplementedError  # the interface: every sandbox implements it

    # -- inside ----------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str, headers) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.times > 0
                    and fault.method in (None, method)
                    and re.search(fault.path, path)
                    and all(
                        re.search(pattern, headers.get(name, ""))
                        for name, pattern in fault.headers_match.items()
                    )
                ):
                    fault.times -= 1
                    return fault
        return None

    def _route(self, method: str, path: str) -> tuple[Callable, dict] | None:
        for route_method, regex, name in self._compiled:
            match = regex.match(path)
            if match and route_method == method:
                return getattr(self, name), match.groupdict()
        return None


def post_page(title: str, text: str) -> Response:
    body = (
        "<!doctype html><meta charset=utf-8><title>Sandbox</title>"
        f"<h1>{html.escape(title)}</h1><pre>{html.escape(text)}</pre>"
        "<p><em>A post in a local sandbox: nothing was published on the platform.</em></p>"
    )
    return 200, body.encode(), {"Content-Type": "text/html; charset=utf-8"}


class Received:
    """Bytes received for an upload: counted and hashed, never kept."""

    def __init__(self) -> None:
        self.size = 0
        self._hash = hashlib.sha256()

    def add(self, piece: bytes) -> None:
        self.size += len(piece)
        self._hash.update(piece)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def _handler_for(sandbox: Sandbox):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients of real platforms see

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def handle_one_request(self):
            try:
                super().handle_one_request()
            except (ConnectionError, TimeoutError):
                self.close_connection = True

        def _dispatch(self):
            path = urllib.parse.urlsplit(self.path).path
            with sandbox.lock:
                sandbox.calls.append((self.command, path))
            fault = sandbox._take_fault(self.command, path, self.headers)
            limit = fault.after_bytes if fault and fault.kind == "drop" else None
            request = Request(self, limit)
            if fault and fault.kind == "status":
                request.drain()
                return self._send((fault.status, fault.body or {}, fault.headers))
            route = sandbox._route(self.command, path)
            if route is None:
                response = sandbox.page(request) if self.command == "GET" else None
                response = response or (404, {"error": f"no route {self.command} {path}"}, {})
            else:
                handler, params = route
                response = handler(request, **params)
            if fault and fault.only_if and not fault.only_if(response):
                with sandbox.lock:
                    fault.times += 1  # not this one: the fault waits for its answer
                fault = None
            if fault and fault.kind in ("drop", "accept_then_drop"):
                return self._drop()
            if fault and fault.kind == "accept_then_hang":
                time.sleep(fault.hang)
            request.drain()
            try:
                self._send(response)
            except (ConnectionError, OSError):
                self.close_connection = True

        def _drop(self):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _send(self, response: Response):
            status, body, headers = response
            if isinstance(body, dict | list):
                data = json.dumps(body).encode()
                headers = {"Content-Type": "application/json; charset=UTF-8", **headers}
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = body or b""
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch  # noqa: N815

    return Handler
