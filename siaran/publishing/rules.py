"""Each platform's rules for a post, checked before anything is sent and while writing.

A connector declares its `Rules`; `problems()` lists what a post breaks, in the
reader's language. The same rules give the caption limits the content form counts
down (`caption_limits`), so the platforms' numbers live in one place: the connectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_noop

from .media import MediaFile

MB = 1024 * 1024
GB = 1024 * MB


@dataclass(frozen=True)
class Rules:
    caption_max: int  # characters
    caption_required: bool = False
    title_max: int | None = None
    media_min: int = 0
    media_max: int = 0
    kinds: tuple[str, ...] = ("image", "video")  # what the channel takes of the content's media
    mixed: bool = True  # images and videos together in one post
    videos_max: int | None = None
    image_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")
    image_max_bytes: int | None = None
    image_ratio: tuple[float, float] | None = None  # width / height, lowest and highest
    video_types: tuple[str, ...] = ("video/mp4", "video/quicktime", "video/webm")
    video_max_bytes: int | None = None
    video_seconds: tuple[float, float] | None = None  # shortest and longest


class Problem:
    """One broken rule: an English message id and its values, translated when read."""

    def __init__(self, message: str, **values) -> None:
        self.message = message
        self.values = values

    def __str__(self) -> str:
        return gettext(self.message) % self.values

    def as_dict(self) -> dict:
        return {"message": self.message, "values": self.values}

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        return cls(data["message"], **data["values"])

    def __repr__(self) -> str:
        return f"Problem({self.message!r}, {self.values!r})"


def problems(rules: Rules, *, title: str, text: str, media: Sequence[MediaFile]) -> list[Problem]:
    found = []
    if rules.caption_required and not text.strip():
        found.append(Problem(gettext_noop("The post needs a caption.")))
    if len(text) > rules.caption_max:
        found.append(
            Problem(
                gettext_noop("The caption has %(length)d characters; at most %(limit)d."),
                length=len(text),
                limit=rules.caption_max,
            )
        )
    if rules.title_max and len(title) > rules.title_max:
        found.append(
            Problem(
                gettext_noop("The title has %(length)d characters; at most %(limit)d."),
                length=len(title),
                limit=rules.title_max,
            )
        )
    if len(media) < rules.media_min:
        message = (
            gettext_noop("It needs a video.")
            if rules.kinds == ("video",)
            else gettext_noop("It needs at least %(count)d image or video.")
        )
        found.append(Problem(message, count=rules.media_min))
    if len(media) > rules.media_max:
        found.append(
            Problem(
                gettext_noop("It takes at most %(count)d files; the content has %(given)d."),
                count=rules.media_max,
                given=len(media),
            )
        )
    kinds = {m.kind for m in media}
    if not rules.mixed and kinds == {"image", "video"}:
        found.append(Problem(gettext_noop("Images and a video cannot go in one post.")))
    videos = [m for m in media if m.kind == "video"]
    if rules.videos_max is not None and len(videos) > rules.videos_max:
        found.append(
            Problem(
                gettext_noop("It takes at most %(count)d video per post."), count=rules.videos_max
            )
        )
    for item in media:
        found += file_problems(rules, item)
    return found


def file_problems(rules: Rules, item: MediaFile) -> list[Problem]:
    """What one image or video breaks of the platform's rules, by itself."""
    found = []
    image = item.kind == "image"
    types = rules.image_types if image else rules.video_types
    if item.content_type not in types:
        found.append(
            Problem(
                gettext_noop("%(name)s: this platform takes only %(types)s."),
                name=item.name,
                types=", ".join(t.split("/")[1].upper() for t in types),
            )
        )
    largest = rules.image_max_bytes if image else rules.video_max_bytes
    if largest and item.size > largest:
        found.append(
            Problem(
                gettext_noop("%(name)s is %(size)s; at most %(limit)s."),
                name=item.name,
                size=str(filesizeformat(item.size)),
                limit=str(filesizeformat(largest)),
            )
        )
    info = item.info
    if image and rules.image_ratio and info.ratio:
        low, high = rules.image_ratio
        if not low - 0.005 <= info.ratio <= high + 0.005:
            found.append(
                Problem(
                    gettext_noop(
                        "%(name)s is %(width)dx%(height)d pixels; the platform takes a width "
                        "%(low).2f to %(high).2f times the height."
                    ),
                    name=item.name,
                    width=info.width,
                    height=info.height,
                    low=low,
                    high=high,
                )
            )
    if not image and rules.video_seconds and info.seconds is not None:
        shortest, longest = rules.video_seconds
        if not shortest <= info.seconds <= longest:
            found.append(
                Problem(
                    gettext_noop(
                        "%(name)s lasts %(seconds)s seconds; the platform takes %(shortest)s to "
                        "%(longest)s seconds."
                    ),
                    name=item.name,
                    seconds=f"{info.seconds:g}",
                    shortest=f"{shortest:g}",
                    longest=f"{longest:g}",
                )
            )
    return found
