"""Posted by hand: a person posts and records the post's link and a screenshot.

No job of this kind is ever sent by a worker; `actions.publication_done_by_hand`
finishes it.
"""

from __future__ import annotations

from ..rules import Rules
from .base import Connector


class Manual(Connector):
    name = "manual"
    channel = "manual"
    rules = Rules(caption_max=100_000, media_max=100)

    def publish(self, publication):
        raise RuntimeError("a post by hand is recorded by a person, not sent")

    def reconcile(self, publication):
        return None
