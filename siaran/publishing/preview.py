"""The content as it will appear on each of a case's channels: what a reviewer approves.

Each channel's post is composed as its connector will compose it (the caption or the
narrative, with the hashtags), with the media the channel takes, its length against the
platform's limit, and the point where the platform's app cuts the text off behind its
"more" link in the feed, so that a director sees what a reader sees first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from siaran.cases.models import Attachment, ContentVersion
from siaran.core.templatetags.siaran import platform_label

from .connectors import for_channel
from .media import MediaFile
from .selectors import channel_post

# Characters a platform's app shows of a caption in the feed before "more" (about: the
# apps cut by lines as well as characters). X shows a post whole; the website, its article.
FEED_CUTOFF = {"instagram": 125, "facebook": 480, "youtube": 157, "tiktok": 100}


@dataclass
class ChannelPreview:
    channel: str
    label: str
    text: str
    limit: int
    media: list[Attachment] = field(default_factory=list)
    title: str = ""  # the website's article and YouTube's video have a title
    cutoff: int | None = None

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def over(self) -> bool:
        return self.length > self.limit

    @property
    def shown(self) -> str:
        return self.text[: self.cutoff] if self.cut else self.text

    @property
    def hidden(self) -> str:
        return self.text[self.cutoff :] if self.cut else ""

    @property
    def cut(self) -> bool:
        return self.cutoff is not None and self.length > self.cutoff


def content_previews(channels: list[str], version: ContentVersion | None) -> list[ChannelPreview]:
    """One preview per channel, in the case's order of channels."""
    if version is None:
        return []
    files = version.ordered_media()
    media = [MediaFile(a) for a in files]
    by_id = {a.pk: a for a in files}
    previews = []
    for channel in channels:
        text, chosen = channel_post(channel, version, media)
        previews.append(
            ChannelPreview(
                channel=channel,
                label=platform_label(channel),
                text=text,
                limit=for_channel(channel).rules.caption_max,
                # A rendition made for the platform is shown as the file it was made from.
                media=[by_id[m.attachment.original_id or m.id] for m in chosen],
                title=version.title if channel in ("website", "youtube") else "",
                cutoff=FEED_CUTOFF.get(channel),
            )
        )
    return previews
