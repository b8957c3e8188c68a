from django import template

from siaran.reports import form

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as clock time in words, to the minute."""
    return form.duration(seconds)


@register.filter
def percent(share) -> str:
    return form.percent(share)
