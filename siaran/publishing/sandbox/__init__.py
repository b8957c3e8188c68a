"""Local HTTP servers that speak each platform's API (the subset Siaran uses), its
OAuth 2.0 authorize page and token endpoint included.

Tests start them on free ports; `siaran sandbox --port N` starts them all on consecutive
ports from N on (instagram N, facebook N+1, x N+2, youtube N+3, tiktok N+4, wordpress
N+5) for the demo, so that `make run` publishes end to end without the internet and
without ever touching a real platform. `SIARAN_SANDBOX_URL` names the first of them
(http://127.0.0.1:N) to `siaran demo` and to the OAuth settings.
"""

from __future__ import annotations

import urllib.parse

from .base import Fault, Sandbox
from .facebook import FacebookSandbox
from .instagram import InstagramSandbox
from .tiktok import TikTokSandbox
from .wordpress import WordPressSandbox
from .x import XSandbox
from .youtube import YouTubeSandbox

SANDBOXES: dict[str, type[Sandbox]] = {
    s.name: s
    for s in (
        InstagramSandbox,
        FacebookSandbox,
        XSandbox,
        YouTubeSandbox,
        TikTokSandbox,
        WordPressSandbox,
    )
}

DEFAULT_URL = "http://127.0.0.1:8701"  # where `siaran sandbox` listens unless told


def sandbox_urls(first: str = "") -> dict[str, str]:
    """Each sandbox's address when they run from `first` (SIARAN_SANDBOX_URL) on: the
    platforms in SANDBOXES' order on consecutive ports."""
    parts = urllib.parse.urlsplit(first or DEFAULT_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 8701
    host = f"[{host}]" if ":" in host else host
    return {
        name: f"{parts.scheme or 'http'}://{host}:{port + offset}"
        for offset, name in enumerate(SANDBOXES)
    }


__all__ = [
    "DEFAULT_URL",
    "SANDBOXES",
    "FacebookSandbox",
    "Fault",
    "InstagramSandbox",
    "Sandbox",
    "TikTokSandbox",
    "WordPressSandbox",
    "XSandbox",
    "YouTubeSandbox",
    "sandbox_urls",
]
