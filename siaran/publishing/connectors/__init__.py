"""One module per platform, one base class, one registry.

`REGISTRY` maps a connector's name to its class; `for_channel` gives the connector that
publishes a case channel through its platform's API. The rules a channel's posts must
keep are its connector's `rules`, and only there.
"""

from __future__ import annotations

from ..rules import Rules
from .base import Connector, CredentialField, OutcomeUnknown, Post, Publication, PublishError
from .facebook import Facebook
from .instagram import Instagram
from .manual import Manual
from .tiktok import TikTok
from .wordpress import WordPress
from .x import X
from .youtube import YouTube

REGISTRY: dict[str, type[Connector]] = {
    c.name: c for c in (Instagram, Facebook, X, YouTube, TikTok, WordPress, Manual)
}

__all__ = [
    "REGISTRY",
    "Connector",
    "CredentialField",
    "OutcomeUnknown",
    "Post",
    "Publication",
    "PublishError",
    "caption_limits",
    "connector_class",
    "for_channel",
    "rules_for",
]


def connector_class(name: str) -> type[Connector]:
    return REGISTRY[name]


def for_channel(channel: str) -> type[Connector]:
    """The connector that posts to `channel` through its platform; Manual when none does."""
    for connector in REGISTRY.values():
        if connector.channel == channel and connector is not Manual:
            return connector
    return Manual


def rules_for(channel: str) -> Rules:
    """The platform's rules for a channel's posts, whoever posts them."""
    return for_channel(channel).rules


def caption_limits() -> dict[str, int]:
    """Characters each channel's caption may have, for the content form's counters."""
    from siaran.sop.model import PLATFORMS

    return {channel: rules_for(channel).caption_max for channel in PLATFORMS}
