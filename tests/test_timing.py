import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- one rule for due(): time counts from the next opening -----------------------------
# November 2026: the 20th is a Friday, the 21st and 22nd the weekend.

EVE = WorkCalendar(holidays=frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25)}))


@pytest.mark.parametrize(
    ("calendar", "start", "standard", "expected"),
    [
        # Before opening on a working day: counting starts at 07:30.
        (WorkCalendar(), at(18, 6), "1 hari", at(18, 16)),
        (WorkCalendar(), at(18, 7, 29), "1 jam", at(18, 8, 30)),
        # Exactly at opening: one whole working day ends at closing the same day.
        (WorkCalendar(), at(18, 7, 30), "1 hari", at(18, 16)),
        # After closing: from the next opening.
        (WorkCalendar(), at(18, 16), "1 hari", at(19, 16)),
        (WorkCalendar(), at(18, 23, 59), "1 hari", at(19, 16)),
        # The weekend: Saturday night and Saturday afternoon both count from Monday 07:30
        # (the bug gave Monday 07:30 and Monday 14:00).
        (WorkCalendar(), at(21, 0, 37), "1 hari", at(23, 16)),
        (WorkCalendar(), at(21, 14), "1 hari", at(23, 16)),
        (WorkCalendar(), at(22, 14), "2 hari", at(24, 16)),
        # A holiday: Monday 23 off, so Saturday counts from Tuesday.
        (
            WorkCalendar(holidays=frozenset({dt.date(2026, 11, 23)})),
            at(21, 14),
            "1 hari",
            at(24, 16),
        ),
        (
            WorkCalendar(holidays=frozenset({dt.date(2026, 11, 23)})),
            at(23, 9),
            "1 jam",
            at(24, 8, 30),
        ),
        # The eve of cuti bersama (Wednesday 23 December 2026; 24th and 25th off): Thursday
        # and Friday are skipped, so the day runs on into Monday.
        (EVE, at(23, 14, month=12), "1 hari", at(28, 14, month=12)),
        (EVE, at(23, 15, 30, month=12), "1 jam", at(28, 8, 0, month=12)),
        (EVE, at(24, 10, month=12), "1 hari", at(28, 16, month=12)),
    ],
)
def test_due_counts_from_the_next_opening_at_every_boundary(calendar, start, standard, expected):
    standard = parse_time(standard)
    due = calendar.due(start, standard)
    assert due == expected
    # The rule is after()'s: a day is one whole working day of hours.
    working = standard.working_days * calendar.day_length() + dt.timedelta(minutes=standard.minutes)
    assert due == calendar.after(start, working)
    assert calendar.working_time(start, due) == working


@pytest.mark.parametrize(
    ("written", "days", "iso"),
    [
        ("1 minggu", 5, "P5D"),
        ("2 minggu", 10, "P10D"),
        ("1 Minggu kerja", 5, "P5D"),
        ("1 week", 5, "P5D"),
        ("P1W", 5, "P5D"),
        ("p2w", 10, "P10D"),
        ("P1W2D", 7, "P7D"),
    ],
)
def test_a_week_is_five_working_days(written, days, iso):
    standard = parse_time(written)
    assert standard == TimeStandard(working_days=days)
    assert standard.iso() == iso


def test_a_week_from_friday_afternoon_is_due_the_next_friday_afternoon():
    assert WorkCalendar().due(at(20, 14), parse_time("1 minggu")) == at(27, 14)


@pytest.mark.parametrize(
    "written", ["sewaktu-waktu", "Sewaktu-waktu", "sewaktu waktu", "-", "any time"]
)
def test_open_ended_steps_have_no_due_time(written):
    standard = parse_time(written)
    assert standard.open_ended and standard == TimeStandard(open_ended=True)
    assert standard.iso() == "sewaktu-waktu"
    assert WorkCalendar().due(at(20, 14), standard) is None


@pytest.mark.parametrize("bad", ["P0W", "0 minggu", "1.5 minggu", "sewaktu", "P1WT"])
def test_unreadable_weeks_are_refused(bad):
    with pytest.raises(TimeError):
        parse_time(bad)


# -- properties: due(), after() and working_time() agree ------------------------------

calendars = st.builds(
    WorkCalendar,
    workdays=st.sampled_from([(0, 1, 2, 3, 4), (0, 1, 2, 3, 4, 5), (1, 3)]),
    opens=st.sampled_from([dt.time(7, 30), dt.time(8, 0), dt.time(0, 0)]),
    closes=st.sampled_from([dt.time(16, 0), dt.time(12, 15), dt.time(23, 59)]),
    holidays=st.frozensets(st.dates(dt.date(2026, 11, 1), dt.date(2027, 1, 31)), max_size=12),
)
starts = st.datetimes(
    dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 31), timezones=st.just(JAKARTA)
).map(lambda moment: moment.replace(microsecond=0))
standards = st.builds(
    TimeStandard, working_days=st.integers(0, 12), minutes=st.integers(0, 3000)
).filter(lambda s: s.working_days or s.minutes)


@settings(max_examples=300, deadline=None)
@given(calendars, starts, standards)
def test_the_working_time_up_to_the_due_time_is_the_standard(calendar, start, standard):
    due = calendar.due(start, standard)
    working = standard.working_days * calendar.day_length() + dt.timedelta(minutes=standard.minutes)
    assert calendar.working_time(start, due) == working
    assert due == calendar.after(start, working)
    assert due > start
    # The due time lies in office hours (closing time included): never in the night, on a
    # weekend or a holiday, whatever the start.
    local = due.astimezone(JAKARTA)
    assert calendar.is_working_day(local.date())
    assert calendar.opens < local.time() <= calendar.closes
    # A moment earlier, some of the standard was still left.
    assert calendar.working_time(start, due - dt.timedelta(minutes=1)) < working


@settings(max_examples=200, deadline=None)
@given(calendars, starts, st.integers(1, 6000), st.integers(0, 6000))
def test_after_adds_up(calendar, start, first, second):
    one, two = dt.timedelta(minutes=first), dt.timedelta(minutes=second)
    middle = calendar.after(start, one)
    assert calendar.working_time(start, middle) == one
    assert calendar.after(middle, two) == calendar.after(start, one + two)
