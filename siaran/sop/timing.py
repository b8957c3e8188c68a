"""Time standards ("waktu" on the form): "15 menit", "1 jam", "1 hari", "PT2H", "P1D".

A day on an SOP form is a working day, not 24 hours: it is kept apart from minutes so
that the institution's calendar can place it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .messages import Message, gettext_noop

_UNITS = {
    "menit": "minutes",
    "mnt": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "jam": "hours",
    "hour": "hours",
    "hours": "hours",
    "hari": "days",
    "hari kerja": "days",
    "day": "days",
    "days": "days",
    "working day": "days",
    "working days": "days",
}

_WRITTEN = re.compile(r"^\s*(\d{1,6})\s*([a-z]+(?:\s+[a-z]+)?)\s*$", re.IGNORECASE)
_ISO = re.compile(r"^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?)?$")


class TimeError(ValueError):
    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


NOT_A_TIME = gettext_noop("%(value)s is not a time: write '15 menit', '1 jam', '1 hari' or 'PT15M'")


@dataclass(frozen=True, order=True)
class TimeStandard:
    working_days: int = 0
    minutes: int = 0

    def iso(self) -> str:
        """ISO 8601 duration; days are working days. Whole hours are written as hours."""
        if not self.working_days and not self.minutes:
            return "PT0M"
        text = "P"
        if self.working_days:
            text += f"{self.working_days}D"
        if self.minutes:
            hours, minutes = divmod(self.minutes, 60)
            text += "T"
            if hours:
                text += f"{hours}H"
            if minutes:
                text += f"{minutes}M"
        return text


def parse_time(text: object) -> TimeStandard:
    """Read a time standard as written on the form or in ISO 8601."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise TimeError(Message(NOT_A_TIME, value=repr(text)))
    if isinstance(text, int) or (isinstance(text, str) and text.strip().isdigit()):
        text = str(text).strip()
        raise TimeError(
            Message(
                gettext_noop("%(value)s has no unit: write '%(value)s menit' or 'PT%(value)sM'"),
                value=text,
            )
        )
    raw = text.strip()
    iso = _ISO.match(raw.upper())
    if iso and raw.upper() not in ("P", "PT"):
        days, hours, minutes = (int(g) if g else 0 for g in iso.groups())
        if raw.upper().endswith("T"):
            raise TimeError(Message(NOT_A_TIME, value=repr(text)))
        return _nonzero(TimeStandard(days, hours * 60 + minutes), text)
    written = _WRITTEN.match(raw)
    if written:
        amount, unit = int(written.group(1)), " ".join(written.group(2).lower().split())
        kind = _UNITS.get(unit)
        if kind == "minutes":
            return _nonzero(TimeStandard(minutes=amount), text)
        if kind == "hours":
            return _nonzero(TimeStandard(minutes=amount * 60), text)
        if kind == "days":
            return _nonzero(TimeStandard(working_days=amount), text)
    raise TimeError(Message(NOT_A_TIME, value=repr(text)))


def _nonzero(standard: TimeStandard, text: object) -> TimeStandard:
    if not standard.working_days and not standard.minutes:
        raise TimeError(
            Message(
                gettext_noop("%(value)s is zero: a time standard must allow some time"),
                value=repr(text),
            )
        )
    return standard
