"""Time standards ("waktu" on the form): "15 menit", "1 jam", "1 hari", "1 minggu",
"PT2H", "P1D", "P1W", and "sewaktu-waktu" (any time: no due time).

A day on an SOP form is a working day, not 24 hours: one whole span of the office's
hours (07:30 to 16:00 by default). A week is five working days, the Indonesian
government's working week (and "1 minggu" in a standard measured in working days means
five of them, not seven calendar days).
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
    "minggu": "weeks",
    "minggu kerja": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "working week": "weeks",
    "working weeks": "weeks",
}

# A week on a time standard is this many working days (Monday to Friday).
WORKING_DAYS_A_WEEK = 5

# How a form says that a step has no time standard: it is done whenever it is needed
# (a request that may come at any time). Such a step has no due time, no reminder and no
# escalation, and is left out of the on-time figures.
OPEN_ENDED_WORDS = ("sewaktu-waktu", "sewaktu waktu", "-", "any time", "anytime")
OPEN_ENDED_TEXT = "sewaktu-waktu"

_WRITTEN = re.compile(r"^\s*(\d{1,6})\s*([a-z]+(?:\s+[a-z]+)?)\s*$", re.IGNORECASE)
_ISO = re.compile(r"^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?)?$")


class TimeError(ValueError):
    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


NOT_A_TIME = gettext_noop(
    "%(value)s is not a time: write '15 menit', '1 jam', '1 hari', '1 minggu', 'PT15M'"
    " or 'sewaktu-waktu'"
)


@dataclass(frozen=True, order=True)
class TimeStandard:
    working_days: int = 0
    minutes: int = 0
    # "sewaktu-waktu": the step may take any time; it has no due time.
    open_ended: bool = False

    def iso(self) -> str:
        """ISO 8601 duration; days are working days. Whole hours are written as hours.

        An open-ended standard has no duration: it is written as the form writes it,
        "sewaktu-waktu" (ISO 8601 has no word for "any time")."""
        if self.open_ended:
            return OPEN_ENDED_TEXT
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
    if " ".join(raw.lower().split()) in OPEN_ENDED_WORDS:
        return TimeStandard(open_ended=True)
    iso = _ISO.match(raw.upper())
    if iso and raw.upper() not in ("P", "PT"):
        weeks, days, hours, minutes = (int(g) if g else 0 for g in iso.groups())
        if raw.upper().endswith("T"):
            raise TimeError(Message(NOT_A_TIME, value=repr(text)))
        days += weeks * WORKING_DAYS_A_WEEK
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
        if kind == "weeks":
            return _nonzero(TimeStandard(working_days=amount * WORKING_DAYS_A_WEEK), text)
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

    def day_length(self) -> dt.timedelta:
        """The working time of one working day: opening to closing."""
        today = dt.date(2000, 1, 1)
        length = dt.datetime.combine(today, self.closes) - dt.datetime.combine(today, self.opens)
        return max(length, dt.timedelta())

    def due(self, start: dt.datetime, standard: TimeStandard) -> dt.datetime | None:
        """When a step started at `start` is due, or None for an open-ended step.

        The rule, the same as `after()`'s: time counts only in the office's hours, so a
        step started outside them (before opening, after closing, on a weekend or a
        holiday) starts counting at the next opening; a day is one whole working day of
        hours, and a span that ends exactly at closing is due at closing. So "1 hari"
        started on Saturday at 00:37 is due on Monday at 16:00; started on Friday at 14:00
        it is due on Monday at 14:00; 15 minutes started at 15:50 are due at 07:35 on the
        next working morning. Always working_time(start, due) == the standard.
        """
        if standard.open_ended:
            return None
        working = standard.working_days * self.day_length() + dt.timedelta(minutes=standard.minutes)
        return self.after(start, working)

    def after(self, start: dt.datetime, working: dt.timedelta) -> dt.datetime:
        """The moment when `working` time of the office's hours has passed since `start`.

        Counting starts at `start` if the office is open then, else at its next opening;
        a span that ends exactly at closing ends at closing (not at the next opening)."""
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
