import pytest

from siaran.sop.timing import TimeError, TimeStandard, parse_time


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
