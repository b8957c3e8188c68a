"""An institution's working calendar: its days and hours and its holidays.

Every transition computes a due time on it, so it is built once per process and kept,
keyed by the institution and its `calendar_version`: the institution's row comes with
the signed-in person at no query, and only a change of the calendar (which bumps the
version) costs one query for the holidays on the next transition.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from siaran.sop.timing import WorkCalendar

SHIPPED = Path(__file__).resolve().parent / "indonesia.yaml"

_built: dict[int, tuple[int, WorkCalendar]] = {}  # organization id -> (version, calendar)
_lock = threading.Lock()


def calendar_of(organization) -> WorkCalendar:
    """The working calendar of `organization` as its row says now."""
    version = organization.calendar_version
    kept = _built.get(organization.pk)
    if kept is not None and kept[0] == version:
        return kept[1]
    from siaran.orgs.models import Holiday

    days = Holiday.objects.filter(organization_id=organization.pk).values_list("date", flat=True)
    calendar = calendar_from(organization, days)
    with _lock:
        current = _built.get(organization.pk)
        if current is None or current[0] <= version:  # never replace a newer one
            _built[organization.pk] = (version, calendar)
    return calendar


def calendar_from(organization, holidays) -> WorkCalendar:
    """The calendar an institution's row and its holiday dates describe."""
    return WorkCalendar(
        zone=organization.time_zone,
        workdays=workdays_of(organization.workdays),
        opens=organization.opens,
        closes=organization.closes,
        holidays=frozenset(holidays),
    )


def workdays_of(digits: str) -> tuple[int, ...]:
    """ "01234" -> (0, 1, 2, 3, 4): Monday is 0."""
    return tuple(sorted({int(c) for c in digits if c.isdigit() and int(c) < 7}))


@dataclass(frozen=True)
class ShippedHoliday:
    date: dt.date
    name: str
    kind: str
    estimated: bool


@functools.cache
def shipped_holidays() -> tuple[ShippedHoliday, ...]:
    """National holidays and cuti bersama that ship with Siaran (indonesia.yaml)."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return tuple(
        ShippedHoliday(
            date=item["date"],
            name=item["name"],
            kind=item["kind"],
            estimated=bool(item.get("estimated", False)),
        )
        for item in data["holidays"]
    )
