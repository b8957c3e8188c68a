"""When reminders and escalations come and to whom; the bell, its page and my settings."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from siaran.cases.models import Case
from siaran.notifications import actions as notify
from siaran.notifications.models import Notification
from siaran.notifications.rules import (
    escalation_lane,
    escalation_time,
    reminder_time,
    supervisor_lane,
)
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Person
from siaran.orgs.selectors import lane_holders, seats_of
from siaran.sop.timing import WorkCalendar, parse_time
from tests.mailbox import smtp  # noqa: F401 (a fixture)
from tests.test_pages import login

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=JAKARTA)  # 20th: Friday


@pytest.mark.parametrize(
    ("start", "standard", "reminder"),
    [
        (at(20, 14), "1 hari", at(23, 11, 52, 30)),  # 510 working minutes: 127.5 before
        (at(20, 14), "2 jam", at(20, 15, 30)),  # a quarter before
        (at(20, 14), "30 menit", at(20, 14, 22, 30)),
        (at(20, 14), "15 menit", at(20, 14, 10)),  # at least 5 minutes before
        (at(20, 14), "10 menit", at(20, 14, 5)),
        (at(20, 14), "5 menit", at(20, 14, 2, 30)),  # but not before half of it
        (at(20, 15, 50), "30 menit", at(23, 7, 42, 30)),  # 10 min on Friday, 20 on Monday
        (at(21, 10), "1 jam", at(23, 8, 15)),  # started on a Saturday
    ],
)
def test_the_reminder_comes_after_three_quarters_of_the_working_time(start, standard, reminder):
    calendar = WorkCalendar()
    due = calendar.due(start, parse_time(standard))
    assert reminder_time(calendar, start, due) == reminder
    assert start <= reminder < due


def test_the_escalation_comes_five_working_minutes_after_the_due_time():
    calendar = WorkCalendar(holidays=frozenset({dt.date(2026, 11, 23)}))
    assert escalation_time(calendar, at(20, 14)) == at(20, 14, 5)
    # Due at closing time on Friday: escalated as the office opens on Tuesday (Monday off).
    assert escalation_time(calendar, at(20, 16)) == at(24, 7, 35)


def test_working_time_counts_office_hours_only():
    calendar = WorkCalendar(holidays=frozenset({dt.date(2026, 11, 23)}))
    assert calendar.working_time(at(20, 14), at(24, 8)) == dt.timedelta(hours=2, minutes=30)
    assert calendar.working_time(at(21, 9), at(22, 17)) == dt.timedelta()
    assert calendar.after(at(20, 15), dt.timedelta(hours=2)) == at(24, 8, 30)


def test_the_supervisors_lane_is_the_next_review_else_the_last(rspon, poltekkes):
    # RSPON has one review, the directors': they supervise every step.
    assert {supervisor_lane(rspon, s.id) for s in rspon.steps} == {"direksi"}
    assert supervisor_lane(poltekkes, "design") == "verifikator"
    assert supervisor_lane(poltekkes, "verify") == "pengendali-publikasi"
    assert supervisor_lane(poltekkes, "control") == "penanggung-jawab"
    assert supervisor_lane(poltekkes, "approve") == "pengarah"
    assert supervisor_lane(poltekkes, "upload") == "pengarah"  # after the last review
    assert escalation_lane(poltekkes, "design", "ketua-tim") == "ketua-tim"
    assert escalation_lane(poltekkes, "design", "no-such-lane") == "verifikator"


@pytest.mark.django_db
def test_lane_holders_follow_the_seat_rule(demo):
    director, deputy = demo["rspon-direksi"], demo["rspon-koordinator-umum"]
    today = dt.date(2026, 11, 20)
    org_actions.acting_add(person=deputy, for_person=director, starts=today, ends=today)
    organization = director.organization
    people = list(Person.objects.filter(organization=organization))
    for lane in ("direksi", "tim-humas", "koordinator-umum", "unit-kerja"):
        holders = set(lane_holders(organization.pk, "rspon-medsos", lane, today))
        seated = {p for p in people if ("rspon-medsos", lane) in seats_of(p, today)}
        assert holders == seated, lane
    assert {p.pk for p in lane_holders(organization.pk, "rspon-medsos", "direksi", today)} == {
        director.pk,
        deputy.pk,
    }
    tomorrow = today + dt.timedelta(days=1)
    assert lane_holders(organization.pk, "rspon-medsos", "direksi", tomorrow) == [director]


def remind(title: str) -> Case:
    case = Case.objects.get(title=title)
    notify.step_remind(case_id=case.pk, visit=case.lock_version)
    return case


@pytest.mark.django_db
def test_the_bell_counts_unread_and_its_page_marks_them_read(client, demo):
    poster = remind("Poster Hari Stroke Sedunia")
    video = remind("Video Edukasi Rehabilitasi Pasca Stroke")  # tim-humas, not the director
    login(client, "rspon-direksi")
    page = client.get("/tasks/").content.decode()
    assert 'id="unread">1<' in page
    listing = client.get("/notifications/").content.decode()
    assert "Pengingat" in listing and "Poster Hari Stroke Sedunia" in listing
    assert "Video Edukasi" not in listing  # someone else's
    note = Notification.objects.get(case=poster)
    opened = client.get(f"/notifications/{note.pk}/")
    assert opened["Location"] == f"/cases/{poster.pk}/"
    assert Person.objects.get(pk=note.person_id).unread_notifications == 0
    assert 'id="unread"' not in client.get("/tasks/").content.decode()
    theirs = Notification.objects.get(case=video)
    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_mark_all_read(client, demo):
    remind("Poster Hari Stroke Sedunia")
    # A second visit of the same step, with its own reminder time.
    Case.objects.filter(title="Poster Hari Stroke Sedunia").update(
        lock_version=99, remind_at=timezone.now()
    )
    notify.step_remind(case_id=Case.objects.get(title="Poster Hari Stroke Sedunia").pk, visit=99)
    director = Person.objects.get(user__username="rspon-direksi")
    assert director.unread_notifications == 2
    login(client, "rspon-direksi")
    assert client.get("/notifications/read/").status_code == 405  # a change is a POST
    client.post("/notifications/read/")
    director.refresh_from_db()
    assert director.unread_notifications == 0
    assert not Notification.objects.filter(person=director, read_at=None).exists()


@pytest.mark.django_db
def test_the_bell_costs_no_query(client, demo):
    login(client, "rspon-direksi")
    client.get("/tasks/")  # warm

    def inbox_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/tasks/").status_code == 200
        return [q["sql"] for q in queries]

    before = inbox_queries()
    remind("Poster Hari Stroke Sedunia")
    after = inbox_queries()
    assert len(after) == len(before)
    assert not [sql for sql in after if Notification._meta.db_table in sql]


@pytest.mark.django_db
def test_a_person_chooses_how_mail_comes(client, demo):
    login(client, "rspon-direksi")
    page = client.get("/settings/").content.decode()
    assert 'value="rspon-direksi@demo.siaran.id"' in page
    client.post(
        "/settings/",
        {"email": "direktur@rspon.example", "mail_mode": "digest", "language": "en"},
    )
    director = Person.objects.select_related("user").get(user__username="rspon-direksi")
    assert (director.user.email, director.mail_mode, director.language) == (
        "direktur@rspon.example",
        "digest",
        "en",
    )
    bad = client.post(
        "/settings/", {"email": "bukan surel", "mail_mode": "immediate", "language": "id"}
    )
    assert "bukan alamat surel" in bad.content.decode()
    for form in (
        {"email": "", "mail_mode": "weekly", "language": "id"},
        {"email": "", "mail_mode": "immediate", "language": "fr"},
    ):
        assert client.post("/settings/", form).status_code == 200
    director.refresh_from_db()
    director.user.refresh_from_db()
    assert (director.user.email, director.mail_mode, director.language) == (
        "direktur@rspon.example",
        "digest",
        "en",
    )


@pytest.mark.django_db
def test_the_notifications_command_queues_the_digest_once_and_sends_it(demo, smtp):  # noqa: F811
    import io

    import time_machine
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    out = io.StringIO()
    call_command("notifications", "schedule", stdout=out)
    call_command("notifications", "schedule", stdout=out)
    assert "already queued" in out.getvalue()
    queued = DBTaskResult.objects.filter(task_path__endswith="daily_digest", status="READY")
    assert queued.count() == 1
    verifier = Person.objects.select_related("user").get(
        user__username="poltekkes-jkt2-verifikator"
    )
    org_actions.preferences_set(
        person=verifier, email=verifier.user.email, mail_mode="digest", language="en"
    )
    with time_machine.travel(at(23, 8), tick=False):  # the reminder before the digest
        remind("Penerimaan Mahasiswa Baru 2027")
    with time_machine.travel(at(23, 9), tick=False):  # a Monday
        call_command("notifications", "digest", stdout=out)
        call_command("notifications", "digest", stdout=out)
    mails = smtp.take()
    assert [m.to for m in mails] == [[verifier.user.email]]
    assert mails[0].subject == "[Siaran] 1 notification" and "Reminder:" in mails[0].body
