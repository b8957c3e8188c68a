"""Due times on each institution's working calendar: days, hours, holidays, cuti bersama."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaran.cases import actions
from siaran.orgs import actions as org_actions
from siaran.orgs import calendar as org_calendar
from siaran.orgs.actions import OrgError
from siaran.orgs.calendar import calendar_of, shipped_holidays
from siaran.orgs.models import Holiday, Organization, OrgSop, Person
from tests.test_pages import login

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _fresh_calendars():
    """The calendar cache is per process; a rolled-back test may leave an institution's id
    and version to the next one with other days off."""
    org_calendar._built.clear()
    yield
    org_calendar._built.clear()


def person(username: str) -> Person:
    """As a signed-in request has them: with the institution's row as it is now."""
    return Person.objects.select_related("organization", "user").get(user__username=username)


def produce_started(start: dt.datetime):
    """An RSPON case whose "produce" step (1 hari, IPKP's lane) began at `start`."""
    unit = person("rspon-unit-kerja")
    case = actions.case_start(person=unit, sop_id="rspon-medsos", title="Kalender", now=start)
    return actions.case_decide(person=unit, case_id=case.pk, outcome="done", now=start)


def test_the_shipped_list_covers_this_year_and_next_with_both_kinds():
    days = shipped_holidays()
    for year in (2026, 2027):
        kinds = {h.kind for h in days if h.date.year == year}
        assert kinds == {"libur_nasional", "cuti_bersama"}, year
    assert len({h.date for h in days}) == len(days)
    assert all(h.name for h in days)
    assert dt.date(2026, 8, 17) in {h.date for h in days}  # Hari Kemerdekaan
    assert all(h.estimated for h in days if h.date.year == 2027)


@pytest.mark.django_db
def test_friday_afternoon_one_day_is_due_monday_afternoon(demo):
    case = produce_started(at(2026, 11, 20, 14))  # a Friday
    assert case.current_step == "produce"
    assert case.current_due == at(2026, 11, 23, 14)


@pytest.mark.django_db
def test_a_quarter_hour_started_at_16_50_is_due_the_next_working_morning(demo):
    case = produce_started(at(2026, 11, 23, 9))
    ipkp = person("rspon-ipkp")
    case = actions.case_decide(
        person=ipkp, case_id=case.pk, outcome="done", now=at(2026, 11, 23, 16, 50)
    )
    assert case.current_step == "receive-letter"  # 15 menit
    assert case.current_due == at(2026, 11, 24, 7, 45)


@pytest.mark.django_db
def test_a_national_holiday_is_skipped(demo):
    case = produce_started(at(2026, 8, 14, 14))  # Friday; Monday 17 August is a holiday
    assert case.current_due == at(2026, 8, 18, 14)


@pytest.mark.django_db
def test_cuti_bersama_is_skipped(demo):
    # Wednesday 23 December: Thursday is cuti bersama, Friday Christmas, then the weekend.
    assert produce_started(at(2026, 12, 23, 10)).current_due == at(2026, 12, 28, 10)
    admin = person("rspon-admin")
    leave = Holiday.objects.get(organization=admin.organization, date=dt.date(2026, 12, 24))
    assert leave.kind == "cuti_bersama"
    org_actions.holiday_remove(admin=admin, holiday_id=leave.pk)
    # Without the cuti bersama, Thursday is a working day again.
    assert produce_started(at(2026, 12, 23, 10)).current_due == at(2026, 12, 24, 10)


@pytest.mark.django_db
def test_an_institutions_own_day_off_is_skipped_there_only(demo):
    admin = person("rspon-admin")
    org_actions.holiday_save(
        admin=admin, date=dt.date(2026, 11, 23), name="HUT RSPON", kind="libur_instansi"
    )
    assert produce_started(at(2026, 11, 20, 14)).current_due == at(2026, 11, 24, 14)
    poltekkes = person("poltekkes-jkt2-pengarah").organization
    assert calendar_of(poltekkes).is_working_day(dt.date(2026, 11, 23))


@pytest.mark.django_db
def test_changed_working_hours_take_effect_without_a_restart(demo):
    produce_started(at(2026, 11, 23, 9))  # the calendar is built and kept
    org_actions.working_hours_set(
        admin=person("rspon-admin"),
        workdays={0, 1, 2, 3, 4},
        opens=dt.time(8, 0),
        closes=dt.time(17, 0),
    )
    case = produce_started(at(2026, 11, 23, 9))
    case = actions.case_decide(
        person=person("rspon-ipkp"), case_id=case.pk, outcome="done", now=at(2026, 11, 23, 16, 40)
    )
    assert case.current_due == at(2026, 11, 23, 16, 55)  # open until five now
    case = produce_started(at(2026, 11, 23, 9))
    case = actions.case_decide(
        person=person("rspon-ipkp"), case_id=case.pk, outcome="done", now=at(2026, 11, 23, 17, 30)
    )
    assert case.current_due == at(2026, 11, 24, 8, 15)  # and opens at eight
    org_actions.working_hours_set(
        admin=person("rspon-admin"),
        workdays={0, 1, 2, 3, 4, 5},  # and on Saturdays
        opens=dt.time(8, 0),
        closes=dt.time(16, 0),
    )
    assert produce_started(at(2026, 11, 20, 14)).current_due == at(2026, 11, 21, 14)


@pytest.mark.django_db
def test_a_transition_reads_the_calendar_only_after_it_changed(demo):
    produce_started(at(2026, 11, 23, 9))

    def holiday_queries(start):
        with CaptureQueriesContext(connection) as queries:
            produce_started(start)
        return [q for q in queries if Holiday._meta.db_table in q["sql"]]

    assert holiday_queries(at(2026, 11, 23, 9)) == []
    org_actions.holiday_save(
        admin=person("rspon-admin"), date=dt.date(2026, 11, 27), name="Rapat", kind="libur_instansi"
    )
    assert len(holiday_queries(at(2026, 11, 23, 9))) == 1
    assert holiday_queries(at(2026, 11, 23, 9)) == []


@pytest.mark.django_db
def test_a_new_institution_gets_the_national_holidays():
    organization = org_actions.organization_ensure(slug="baru", name="Instansi Baru")
    assert organization.holidays.count() == len(shipped_holidays())
    assert (organization.workdays, organization.opens, organization.closes) == (
        "01234",
        dt.time(7, 30),
        dt.time(16, 0),
    )
    # Running it again keeps the institution's own changes.
    organization.holidays.filter(date=dt.date(2026, 12, 24)).delete()
    org_actions.organization_ensure(slug="baru", name="Instansi Baru")
    assert not organization.holidays.filter(date=dt.date(2026, 12, 24)).exists()


@pytest.mark.django_db
def test_calendar_changes_are_checked_and_for_administrators_only(demo):
    director = person("rspon-direksi")
    admin = person("rspon-admin")
    before = Organization.objects.get(pk=admin.organization_id)
    refusals = [
        lambda: org_actions.holiday_save(
            admin=director, date=dt.date(2026, 11, 27), name="x", kind="libur_instansi"
        ),
        lambda: org_actions.working_hours_set(
            admin=admin, workdays={0, 1}, opens=dt.time(16), closes=dt.time(8)
        ),
        lambda: org_actions.working_hours_set(
            admin=admin, workdays=set(), opens=dt.time(8), closes=dt.time(16)
        ),
        lambda: org_actions.holiday_save(
            admin=admin, date=dt.date(2026, 11, 27), name=" ", kind="libur_instansi"
        ),
        lambda: org_actions.holiday_save(
            admin=admin, date=dt.date(2026, 11, 27), name="x", kind="bolos"
        ),
        lambda: org_actions.escalation_lane_set(admin=admin, sop_id="rspon-medsos", lane_id="x"),
    ]
    for refused in refusals:
        with pytest.raises(OrgError):
            refused()
    after = Organization.objects.get(pk=admin.organization_id)
    assert (after.calendar_version, after.opens, after.workdays) == (
        before.calendar_version,
        before.opens,
        before.workdays,
    )
    assert not Holiday.objects.filter(date=dt.date(2026, 11, 27)).exists()


@pytest.mark.django_db
def test_the_administrator_edits_the_calendar_on_its_page(client, demo):
    login(client, "rspon-direksi")
    assert client.get("/institution/calendar/").status_code == 403
    client.logout()
    login(client, "rspon-admin")
    page = client.get("/institution/calendar/").content.decode()
    assert "Hari Raya Natal" in page and "Cuti Bersama" in page
    organization = person("rspon-admin").organization
    version = organization.calendar_version
    bad = client.post(
        "/institution/calendar/",
        {"hours": "1", "workday": ["0", "1"], "opens": "16:00", "closes": "08:00"},
        follow=True,
    )
    assert "sebelum" in bad.content.decode()  # the office must open before it closes
    client.post(
        "/institution/calendar/",
        {"hours": "1", "workday": ["0", "1", "2", "3", "4"], "opens": "08:00", "closes": "16:30"},
    )
    client.post(
        "/institution/calendar/",
        {"date": "2026-11-27", "name": "HUT RSPON", "kind": "libur_instansi"},
    )
    organization.refresh_from_db()
    assert (organization.opens, organization.closes) == (dt.time(8), dt.time(16, 30))
    assert organization.calendar_version == version + 2
    added = Holiday.objects.get(organization=organization, date=dt.date(2026, 11, 27))
    assert added.kind == "libur_instansi"
    assert "HUT RSPON" in client.get("/institution/calendar/").content.decode()
    client.post("/institution/calendar/", {"remove": added.pk})
    assert not Holiday.objects.filter(pk=added.pk).exists()
    Holiday.objects.filter(organization=organization, date__year=2027).delete()
    done = client.post("/institution/calendar/", {"import": "1"}, follow=True).content.decode()
    assert Holiday.objects.filter(organization=organization, date__year=2027).exists()
    assert "ditambahkan" in done
    nonsense = client.post(
        "/institution/calendar/", {"date": "kemarin", "name": "x", "kind": "libur_instansi"}
    )
    assert nonsense.status_code == 200  # the page again, with a message; nothing changed


@pytest.mark.django_db
def test_the_administrator_chooses_the_escalation_lane(client, demo):
    login(client, "rspon-admin")
    page = client.get("/institution/lanes/rspon-medsos/").content.decode()
    assert 'name="escalation_lane"' in page
    client.post("/institution/lanes/rspon-medsos/", {"escalation_lane": "koordinator-umum"})
    org_sop = OrgSop.objects.get(organization__slug="rspon", sop_id="rspon-medsos")
    assert org_sop.escalation_lane == "koordinator-umum"
    client.post("/institution/lanes/rspon-medsos/", {"escalation_lane": "tidak-ada"})
    org_sop.refresh_from_db()
    assert org_sop.escalation_lane == "koordinator-umum"
    client.post("/institution/lanes/rspon-medsos/", {"escalation_lane": ""})
    org_sop.refresh_from_db()
    assert org_sop.escalation_lane == ""
