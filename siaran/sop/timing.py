"""Time standards ("waktu" on the form): "15 menit", "1 jam", "1 hari", "PT2H", "P1D".

A day on an SOP form is a working day, not 24 hours: it is kept apart from minutes so
that the institution's calendar can place it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

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


@dataclass(frozen=True)
class WorkCalendar:
    """An institution's working days and hours, in its own time zone.

    The default is a government office in Jakarta: Monday to Friday, 07:30 to 16:00.
    """

    zone: str = "Asia/Jakarta"
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    opens: dt.time = dt.time(7, 30)
    closes: dt.time = dt.time(16, 0)
    holidays: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        for _ in range(3660):  # ten years of holidays would be a broken calendar
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("the calendar has no working day in ten years")

    def due(self, start: dt.datetime, standard: TimeStandard) -> dt.datetime:
        """When a step started at `start` is due: days first, then working minutes.

        "1 hari" started on Friday at 14:00 is due on Monday at 14:00; 15 minutes started
        at 15:50 are due at 07:35 on the next working morning.
        """
        zone = ZoneInfo(self.zone)
        moment = start.astimezone(zone).replace(tzinfo=None)
        for _ in range(standard.working_days):
            day = self.next_working_day(moment.date())
            clock = min(max(moment.time(), self.opens), self.closes)
            moment = dt.datetime.combine(day, clock)
        return self._add(moment, dt.timedelta(minutes=standard.minutes)).replace(tzinfo=zone)

    def after(self, start: dt.datetime, working: dt.timedelta) -> dt.datetime:
        """The moment when `working` time of the office's hours has passed since `start`."""
        zone = ZoneInfo(self.zone)
        moment = start.astimezone(zone).replace(tzinfo=None)
        return self._add(moment, working).replace(tzinfo=zone)

    def working_time(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """How much of the office's hours lies between `start` and `end` (zero if none)."""
        zone = ZoneInfo(self.zone)
        start = start.astimezone(zone).replace(tzinfo=None)
        end = end.astimezone(zone).replace(tzinfo=None)
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens = max(start, dt.datetime.combine(day, self.opens))
                closes = min(end, dt.datetime.combine(day, self.closes))
                total += max(closes - opens, dt.timedelta())
            day += dt.timedelta(days=1)
        return total

    def _add(self, moment: dt.datetime, working: dt.timedelta) -> dt.datetime:
        """`moment` (naive, in the zone) moved on by `working` time of office hours."""
        remaining = working
        while remaining > dt.timedelta():
            moment = self._within_hours(moment)
            available = dt.datetime.combine(moment.date(), self.closes) - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
            moment = dt.datetime.combine(self.next_working_day(moment.date()), self.opens)
        return moment

    def _within_hours(self, moment: dt.datetime) -> dt.datetime:
        """`moment`, or the next opening time when the office is closed then."""
        day = moment.date()
        if self.is_working_day(day) and moment.time() < self.opens:
            return dt.datetime.combine(day, self.opens)
        if not self.is_working_day(day) or moment.time() >= self.closes:
            return dt.datetime.combine(self.next_working_day(day), self.opens)
        return moment
