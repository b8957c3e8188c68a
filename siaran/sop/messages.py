"""Messages a person reads, kept translatable without importing Django.

Templates are marked with `gettext_noop` so that Django's makemessages finds them; the
web app and the commands render them through gettext in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable


def gettext_noop(template: str) -> str:
    return template


class Message:
    """A template with %(name)s parameters, rendered late in the reader's language."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params

    def render(self, translate: Callable[[str], str] = gettext_noop) -> str:
        return translate(self.template) % self.params

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"
