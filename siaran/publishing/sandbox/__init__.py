"""Local HTTP servers that speak each platform's API (the subset Siaran uses).

Tests start them on free ports; `siaran sandbox` starts them all on fixed ports for the
demo, so that `make run` publishes end to end without the internet and without ever
touching a real platform.
"""

from __future__ import annotations

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

# Where `siaran sandbox` listens, and `siaran demo` points the demo's accounts.
DEMO_PORTS = {
    "instagram": 8701,
    "facebook": 8702,
    "x": 8703,
    "youtube": 8704,
    "tiktok": 8705,
    "wordpress": 8706,
}

__all__ = [
    "DEMO_PORTS",
    "SANDBOXES",
    "FacebookSandbox",
    "Fault",
    "InstagramSandbox",
    "Sandbox",
    "TikTokSandbox",
    "WordPressSandbox",
    "XSandbox",
    "YouTubeSandbox",
]
