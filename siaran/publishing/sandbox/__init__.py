"""Local HTTP servers that speak each platform's API (the subset Siaran uses).

Tests start them on free ports; `siaran sandbox` starts them all on fixed ports for the
demo, so that `make run` publishes end to end without the internet and without ever
touching a real platform.
"""

from __future__ import annotations

from .base import Fault, Sandbox
from .wordpress import WordPressSandbox

SANDBOXES: dict[str, type[Sandbox]] = {"wordpress": WordPressSandbox}

# Where `siaran sandbox` listens, and `siaran demo` points the demo's accounts.
DEMO_PORTS = {"wordpress": 8706}

__all__ = ["DEMO_PORTS", "SANDBOXES", "Fault", "Sandbox", "WordPressSandbox"]
