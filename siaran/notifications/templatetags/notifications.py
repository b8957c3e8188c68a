"""A notification in words, in the active language, for its page and its mail."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from siaran.cases.definitions import definition_by_id
from siaran.core.templatetags.siaran import lane_name, localized, platform_label

register = template.Library()

SUBJECT_STEP = 60  # characters of a step's activity in a mail's subject

# A post that needs a person: the channel is in the notification's text.
POST_TEXTS = {
    "post_failed": gettext_lazy(
        'The post of "%(case)s" on %(channel)s failed. Open the case to see why,'
        " then try again or post it by hand."
    ),
    "post_unknown": gettext_lazy(
        'Siaran could not confirm whether "%(case)s" was posted on %(channel)s.'
        " Look on the platform before anything is sent again."
    ),
}


@register.simple_tag
def notification_text(note, zone: str = "") -> str:
    """One sentence: what happened and on which case. Due times in the institution's zone."""
    values = {"case": note.case.title, "step": _step(note), "due": _when(note.due_at, zone)}
    if note.kind == "turn":
        return gettext('Your turn: "%(step)s" on "%(case)s", due %(due)s.') % values
    if note.kind == "sent_back":
        values["actor"] = note.actor.name if note.actor else "?"
        values["reason"] = note.text or "-"
        return (
            gettext(
                '%(actor)s sent "%(case)s" back to "%(step)s", due %(due)s. The reason: %(reason)s'
            )
            % values
        )
    if note.kind == "approved":
        return gettext('"%(case)s" is approved for publication.') % values
    if note.kind == "published":
        values["channels"] = ", ".join(label for label, _link in notification_links(note))
        return gettext('"%(case)s" is published on %(channels)s.') % values
    if note.kind == "reminder":
        return gettext('Reminder: "%(step)s" on "%(case)s" is due %(due)s.') % values
    if note.kind == "escalation":
        sop = definition_by_id(note.case.sop_version_id)
        values["lane"] = lane_name(sop, note.lane_id)
        return (
            gettext(
                'Overdue: "%(step)s" on "%(case)s" (lane %(lane)s) was due %(due)s'
                " and is not finished."
            )
            % values
        )
    if note.kind in POST_TEXTS:
        values["channel"] = platform_label(note.text)
        return POST_TEXTS[note.kind] % values
    values["actor"] = note.actor.name if note.actor else "?"
    values["text"] = note.text
    return gettext('%(actor)s mentioned you on "%(case)s": %(text)s') % values


@register.simple_tag
def notification_links(note) -> list[tuple[str, str]]:
    """A published case's channels and their posts' addresses ("" when posted by hand
    without one), from the notification's text: (platform's name, address)."""
    if note.kind != "published":
        return []
    rows = [line.split(" ", 1) for line in note.text.splitlines() if line.strip()]
    return [(platform_label(row[0]), row[1] if len(row) > 1 else "") for row in rows]


def notification_subject(note) -> str:
    """The subject of a mail that carries one notification."""
    values = {"case": note.case.title}
    if note.kind in ("turn", "sent_back"):
        # An SOP's activity may be a long sentence: the subject keeps its start.
        step = _step(note)
        if len(step) > SUBJECT_STEP:
            step = step[: SUBJECT_STEP - 1].rstrip() + "…"
        values["step"] = step
        if note.kind == "turn":
            return gettext("[Siaran] Your turn: %(case)s - %(step)s") % values
        return gettext("[Siaran] Sent back: %(case)s - %(step)s") % values
    if note.kind == "approved":
        return gettext("[Siaran] Approved: %(case)s") % values
    if note.kind == "published":
        return gettext("[Siaran] Published: %(case)s") % values
    if note.kind == "reminder":
        return gettext("[Siaran] Reminder: %(case)s") % {"case": note.case.title}
    if note.kind == "escalation":
        return gettext("[Siaran] Overdue: %(case)s") % {"case": note.case.title}
    if note.kind in POST_TEXTS:
        return gettext("[Siaran] Publishing needs you: %(case)s") % {"case": note.case.title}
    return gettext("[Siaran] %(actor)s mentioned you") % {
        "actor": note.actor.name if note.actor else "?"
    }


def _step(note) -> str:
    """The step's activity as the SOP writes it, in English where the SOP gives it."""
    sop = definition_by_id(note.case.sop_version_id)
    if sop is not None and note.step_id:
        try:
            return localized(sop.step(note.step_id), "activity")
        except KeyError:
            pass
    return note.text if note.kind != "sent_back" else note.step_id


def _when(moment, zone: str) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment, ZoneInfo(zone) if zone else None)
    return date_format(local, "j M Y, H:i")
