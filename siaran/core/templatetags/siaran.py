from django import template
from django.utils.translation import gettext, ngettext

from siaran.core.sops import english
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
def time_standard(standard: TimeStandard) -> str:
    return describe_time(standard)


def describe_time(standard: TimeStandard) -> str:
    """A time standard in words, in the reader's language: "1 hari kerja", "2 jam"."""
    parts = []
    if standard.working_days:
        parts.append(ngettext("%(n)d working day", "%(n)d working days",
                              standard.working_days) % {"n": standard.working_days})
    hours, minutes = divmod(standard.minutes, 60)
    if hours and not minutes:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    elif standard.minutes:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", standard.minutes)
                     % {"n": standard.minutes})
    return " ".join(parts) or gettext("no time set")
