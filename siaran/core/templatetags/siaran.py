import functools

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

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
def case_url(case_id: int) -> str:
    """The case page's address. A `{% url %}` per row of a long list cost more than the
    rest of the row (bench/README.md), so the address is reversed once and completed."""
    return f"{case_url_prefix()}{case_id}/"


def case_url_prefix() -> str:
    """What every case page's address starts with: "/cases/" (under the script prefix)."""
    return _case_url_prefix(get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=8)
def _case_url_prefix(_script_prefix: str, _urlconf) -> str:
    return reverse("cases:detail", args=[0]).removesuffix("0/")


@register.filter
def named_url(name: str) -> str:
    """`{% url name %}` for an address without arguments, reversed once per process: the
    navigation bar on every page has a dozen, and reversing them cost more than the rest
    of the bar (bench/README.md). Use it as {{ "cases:inbox"|named_url }}."""
    return _named_url(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _named_url(name: str, _script_prefix: str, _urlconf) -> str:
    return reverse(name)


@register.filter
def static_url(path: str) -> str:
    """`{% static path %}`, asked of the storage once per process: the stylesheets and the
    script of every page. Use it as {{ "siaran.css"|static_url }}."""
    return _static_url(path, get_script_prefix())


@functools.lru_cache(maxsize=64)
def _static_url(path: str, _script_prefix: str) -> str:
    return static(path)  # a relative STATIC_URL starts with the script prefix


@register.filter
def when(value) -> str:
    """A moment as "22 Nov 2026 14:05" in the institution's time zone and the reader's
    language: what `date:"j M Y H:i"` prints, at a fraction of its cost, which exceeded a
    whole inbox row (bench/README.md)."""
    return when_formatter()(value)


def when_formatter():
    """`when` for the many moments of one list: the time zone and the month names are
    looked up once, not once per row."""
    zone = timezone.get_current_timezone()
    months = _short_months(get_language())

    def format_when(value) -> str:
        if not value:
            return ""
        local = timezone.localtime(value, zone)
        month = months[local.month - 1]
        return f"{local.day} {month} {local.year} {local.hour:02d}:{local.minute:02d}"

    return format_when


@functools.lru_cache(maxsize=8)
def _short_months(language: str) -> tuple[str, ...]:
    with translation.override(language):
        return tuple(str(MONTHS_3[number]).title() for number in range(1, 13))


@register.filter
def step_time(step: Step) -> str:
    """The time standard as the form writes it ("120 menit"), or in English words; an
    open-ended step reads "sewaktu-waktu" ("any time"), however the file wrote it ("-")."""
    if step.time.open_ended:
        return describe_time(step.time)
    if step.time_text and not english():
        return step.time_text
    return describe_time(step.time)


def describe_time(standard: TimeStandard) -> str:
    """A time standard in words, in the reader's language: "1 hari kerja", "2 jam"."""
    if standard.open_ended:
        return gettext("any time")
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
def platform_label(platform: str) -> str:
    return str(PLATFORM_LABELS.get(platform, platform))


@register.filter
def seconds_text(seconds) -> str:
    """A video's length as a player shows it: "0:45", "12:03", "1:02:07"."""
    total = round(float(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def channel_label(channel) -> str:
    """The platform's name and the account's handle: "Instagram @rumahsakitotak"."""
    return f"{platform_label(channel.platform)} {channel.handle}".strip()


def has_inferences(sop) -> bool:
    return any(lane.inferred for lane in sop.lanes) or any(
        step.inferred or any(o.inferred for o in step.outcomes) for step in sop.steps
    )


@register.filter
def lane_name(sop, lane_id: str) -> str:
    try:
        return localized(sop.lane(lane_id), "name")
    except KeyError:
        return lane_id


@register.filter
def outcome_label(outcome) -> str:
    """A review's outcome as the SOP labels it; the implicit ones in the reader's words."""
    if outcome.id == "done" and outcome.label == "done":
        return gettext("Done, pass it on")
    if outcome.id == "publish" and outcome.label == "publish":
        return gettext("Published")
    return localized(outcome, "label")


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def time_taken(event) -> str:
    """How long a finished step visit (a `step_done` event) took, in clock time."""
    minutes = int((event.at - event.started_at).total_seconds() // 60)
    return describe_time(TimeStandard(minutes=minutes)) if minutes else gettext("under a minute")


@register.filter
def over_standard(event) -> bool:
    """Finished after its due time, which counts the institution's working days and hours."""
    return bool(event.due_at and event.at > event.due_at)


EVENT_TEXTS = {
    "case_started": gettext_lazy("started the case"),
    "step_entered": gettext_lazy("step began"),
    "step_done": gettext_lazy("finished the step"),
    "sent_back": gettext_lazy("sent it back"),
    "case_ended": gettext_lazy("the case ended"),
    "case_withdrawn": gettext_lazy("withdrew the case"),
    "case_cancelled": gettext_lazy("cancelled the case"),
    "comment_added": gettext_lazy("commented"),
    "file_added": gettext_lazy("added a file"),
    "file_replaced": gettext_lazy("replaced a file"),
    "file_removed": gettext_lazy("removed a file from the content"),
    "media_reordered": gettext_lazy("changed the order of the images and videos"),
    "file_downloaded": gettext_lazy("downloaded a file"),
    "content_saved": gettext_lazy("saved the content"),
    "step_claimed": gettext_lazy("took the step"),
    "step_released": gettext_lazy("released the step"),
    "step_released_for": gettext_lazy("released the step of a deactivated person"),
    "channels_dropped": gettext_lazy("dropped channels from the case:"),
    # The archive's decisions on the case's record (siaran.archive.models.RecordEvent).
    "record_classified": gettext_lazy("retention class set"),
    "record_consent_flagged": gettext_lazy("flagged: shows a patient or a child"),
    "record_consent_cleared": gettext_lazy("consent flag cleared"),
    "record_consent_recorded": gettext_lazy("consent recorded"),
    "record_extended": gettext_lazy("kept until a later review"),
    "record_kept_permanently": gettext_lazy("kept permanently"),
    "record_disposed": gettext_lazy("disposed of"),
    # Publishing (siaran.publishing): `outcome` holds the channel.
    "publish_started": gettext_lazy("started publishing"),
    "channel_published": gettext_lazy("published on"),
    "channel_failed": gettext_lazy("could not publish on"),
    "channel_done_by_hand": gettext_lazy("recorded a post by hand on"),
}
CHANNEL_EVENTS = ("channel_published", "channel_failed", "channel_done_by_hand")


@register.simple_tag
def event_text(event, sop) -> str:
    text = str(EVENT_TEXTS.get(event.kind, event.kind))
    if event.kind in CHANNEL_EVENTS:
        return f"{text} {platform_label(event.outcome)}"
    if event.kind == "channels_dropped":
        dropped = (event.data or {}).get("dropped", [])
        return f"{text} {', '.join(platform_label(c) for c in dropped)}"
    if event.kind == "step_released_for":
        text += f" ({(event.data or {}).get('holder_name', '')})"
    step = event.step
    if step is not None:
        text += f": {step.no + ' ' if step.no else ''}{localized(step, 'activity')}"
        outcome = step.outcome(event.outcome) if event.outcome else None
        if outcome is not None and event.kind == "step_done":
            text += f" → {outcome_label(outcome)}"
    if event.kind == "sent_back" and event.to_step:
        try:
            target = sop.step(event.to_step)
        except KeyError:
            name = event.to_step
        else:
            name = f"{target.no + ' ' if target.no else ''}{localized(target, 'activity')}"
        text += " ⟲ " + gettext("back to step %(step)s") % {"step": name}
    return text
