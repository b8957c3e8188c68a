from django import template
from django.utils.translation import gettext, gettext_lazy, ngettext

from siaran.core.sops import english
from siaran.sop.model import Step
from siaran.sop.timing import TimeStandard

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    """`obj.<field>_en` when the reader chose English and the SOP file gives it."""
    if english():
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, field)


@register.filter
def step_time(step: Step) -> str:
    """The time standard as the form writes it ("120 menit"), or in English words."""
    if step.time_text and not english():
        return step.time_text
    return describe_time(step.time)


def describe_time(standard: TimeStandard) -> str:
    """A time standard in words, in the reader's language: "1 hari kerja", "2 jam"."""
    parts = []
    if standard.working_days:
        parts.append(
            ngettext("%(n)d working day", "%(n)d working days", standard.working_days)
            % {"n": standard.working_days}
        )
    hours, minutes = divmod(standard.minutes, 60)
    if hours and not minutes:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    elif standard.minutes:
        parts.append(
            ngettext("%(n)d minute", "%(n)d minutes", standard.minutes) % {"n": standard.minutes}
        )
    return " ".join(parts) or gettext("no time set")


PLATFORM_LABELS = {
    "instagram": gettext_lazy("Instagram"),
    "facebook": gettext_lazy("Facebook"),
    "x": gettext_lazy("X (Twitter)"),
    "youtube": gettext_lazy("YouTube"),
    "tiktok": gettext_lazy("TikTok"),
    "website": gettext_lazy("Website"),
    "manual": gettext_lazy("Posted by hand"),
}


@register.filter
def channel_label(channel) -> str:
    """ "Instagram @rumahsakitotak": the platform's name and the account's handle."""
    name = str(PLATFORM_LABELS.get(channel.platform, channel.platform))
    return f"{name} {channel.handle}".strip()


def has_inferences(sop) -> bool:
    return any(lane.inferred for lane in sop.lanes) or any(
        step.inferred or any(o.inferred for o in step.outcomes) for step in sop.steps
    )
