import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from siaran.sop.timing import TimeError, TimeStandard, WorkCalendar, parse_time


@pytest.mark.parametrize(
    ("written", "minutes", "days", "iso"),
    [
        ("15 menit", 15, 0, "PT15M"),
        ("1 jam", 60, 0, "PT1H"),
        ("2 jam", 120, 0, "PT2H"),
        ("120 menit", 120, 0, "PT2H"),
        ("90 menit", 90, 0, "PT1H30M"),
        ("1 hari", 0, 1, "P1D"),
        ("2 hari kerja", 0, 2, "P2D"),
        ("1 Hari", 0, 1, "P1D"),
        ("PT15M", 15, 0, "PT15M"),
        ("PT2H", 120, 0, "PT2H"),
        ("P1D", 0, 1, "P1D"),
        ("P1DT2H", 120, 1, "P1DT2H"),
        ("pt1h30m", 90, 0, "PT1H30M"),
        ("30 minutes", 30, 0, "PT30M"),
    ],
)
def test_times_as_the_form_writes_them(written, minutes, days, iso):
    standard = parse_time(written)
    assert standard == TimeStandard(working_days=days, minutes=minutes)
    assert standard.iso() == iso
    assert parse_time(iso) == standard


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "menit",
        "15",
        15,
        "15 detik",
        "P",
        "PT",
        "P1DT",
        "PT0M",
        "0 menit",
        "1.5 jam",
        None,
        True,
        ["15 menit"],
        "15 menit lagi",
    ],
)
def test_unreadable_times_are_refused_with_a_message(bad):
    with pytest.raises(TimeError) as error:
        parse_time(bad)
    assert error.value.message.render()


JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("start", "standard", "expected"),
    [
        (at(20, 14), "1 hari", at(23, 14)),  # Friday afternoon -> Monday afternoon
        (at(18, 15, 50), "15 menit", at(19, 7, 35)),  # after closing -> next morning
        (at(18, 16, 50), "15 menit", at(19, 7, 45)),
        (at(18, 6, 0), "15 menit", at(18, 7, 45)),  # before opening
        (at(21, 10), "2 jam", at(23, 9, 30)),  # Saturday -> Monday 07:30 + 2 h
        (at(18, 15), "2 jam", at(19, 8, 30)),  # one hour today, one tomorrow
        (at(20, 20), "1 hari", at(23, 16, 0)),  # evening start: due by closing time
        (at(18, 9), "PT30M", at(18, 9, 30)),
        (at(23, 10), "P1DT1H", at(24, 11)),
    ],
)
def test_due_times_follow_working_days_and_hours(start, standard, expected):
    assert WorkCalendar().due(start, parse_time(standard)) == expected


def test_holidays_are_skipped():
    calendar = WorkCalendar(holidays=frozenset({dt.date(2026, 11, 23)}))
    assert calendar.due(at(20, 14), parse_time("1 hari")) == at(24, 14)
    assert calendar.due(at(20, 15, 50), parse_time("15 menit")) == at(24, 7, 35)


def test_due_time_is_given_in_the_institutions_zone():
    utc_start = dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC)  # 09:00 in Jakarta
    due = WorkCalendar().due(utc_start, parse_time("1 jam"))
    assert due == at(18, 10) and due.utcoffset() == dt.timedelta(hours=7)
