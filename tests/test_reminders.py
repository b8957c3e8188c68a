"""Reminders and escalations of idle steps, by the task worker, mailed over real SMTP,
on a frozen clock that walks through a Friday afternoon and the Monday after."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from siaran.cases import actions
from siaran.cases.models import Case
from siaran.notifications import actions as notify
from siaran.notifications import tasks
from siaran.notifications.models import Notification
from siaran.notifications.rules import escalation_time, reminder_time
from siaran.orgs import actions as org_actions
from siaran.orgs import calendar as org_calendar
from siaran.orgs.models import Person
from tests.mailbox import run_worker, smtp  # noqa: F401 (a fixture)

JAKARTA = ZoneInfo("Asia/Jakarta")
FRIDAY = dt.date(2026, 11, 20)
SATURDAY, SUNDAY, MONDAY = (FRIDAY + dt.timedelta(days=n) for n in (1, 2, 3))


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _fresh_calendars():
    org_calendar._built.clear()


def person(username: str) -> Person:
    return Person.objects.select_related("organization", "user").get(user__username=username)


def demo_at(moment: dt.datetime) -> None:
    """`siaran demo` run at `moment`: six cases, each left at a step since then. The step
    timers start then too, as `migrate` starts them (it ran before, on the real clock)."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path=tasks.step_timers.module_path).delete()
    with time_machine.travel(moment, tick=False):
        call_command("demo", "--no-history", stdout=open(os.devnull, "w"))  # noqa: SIM115
        notify.step_timers_plan()


def work_at(moment: dt.datetime, smtp) -> list:  # noqa: F811
    """Run the worker at `moment`; the mails it sent."""
    with time_machine.travel(moment, tick=False):
        run_worker()
    return smtp.take()


def about(mails, title: str):
    return [m for m in mails if title in m.subject or title in m.body]


@pytest.mark.django_db(transaction=True)
def test_an_idle_demo_case_is_reminded_then_escalated_on_the_working_calendar(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    # RSPON's "Promosi Layanan Stroke Center 24 Jam" waits at "produce" (1 hari, IPKP):
    # due Monday 14:00. Its working time is 510 minutes (Friday 14:00-16:00, Monday
    # 07:30-14:00); the reminder comes after three quarters, Monday 11:52:30; the
    # escalation five working minutes after the due time, to the directors (the lane of
    # the next review step, "director-review").
    promotion = "Promosi Layanan Stroke Center 24 Jam"
    case = Case.objects.get(title=promotion)
    assert (case.current_step, case.current_due) == ("produce", at(MONDAY, 14))
    for moment in (at(FRIDAY, 14, 1), at(FRIDAY, 16, 1), at(SATURDAY, 9), at(MONDAY, 11, 52)):
        assert about(work_at(moment, smtp), promotion) == [], moment

    reminded = work_at(at(MONDAY, 11, 52, 30), smtp)
    assert [m.to for m in reminded] == [["rspon-ipkp@demo.siaran.id"]]
    mail = reminded[0]
    assert mail.subject == f"[Siaran] Pengingat: {promotion}"
    assert mail.sender == "siaran@demo.siaran.id"
    assert "Membuat Konten Berupa Video atau Poster" in mail.body
    assert "23 Nov 2026, 14:00" in mail.body and "Yth. Rizky Pratama" in mail.body
    assert f"http://127.0.0.1:8000/cases/{case.pk}/" in mail.body

    assert work_at(at(MONDAY, 14, 4, 59), smtp) == []
    escalated = work_at(at(MONDAY, 14, 5), smtp)
    assert [m.to for m in escalated] == [["rspon-direksi@demo.siaran.id"]]
    assert escalated[0].subject == f"[Siaran] Terlambat: {promotion}"
    assert "Instalasi Promosi Kesehatan dan Pemasaran" in escalated[0].body  # the late lane
    assert work_at(at(MONDAY, 15), smtp) == []  # once
    # On the bell too: one reminder for IPKP, one escalation for the directors.
    assert person("rspon-ipkp").unread_notifications == 1
    kinds = Notification.objects.filter(case=case).values_list("kind", "person__user__username")
    assert sorted(kinds) == [("escalation", "rspon-direksi"), ("reminder", "rspon-ipkp")]


@pytest.mark.django_db(transaction=True)
def test_a_step_finished_in_time_is_neither_reminded_nor_escalated(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    # Poltekkes' "Dies Natalis" waits at "upload" (5 menit): reminded at 14:02:30.
    # The PR member publishes it at 14:01.
    dies = Case.objects.get(title="Dies Natalis Poltekkes Jakarta II")
    with time_machine.travel(at(FRIDAY, 14, 1), tick=False):
        actions.case_decide(
            person=person("poltekkes-jkt2-anggota"), case_id=dies.pk, outcome="publish"
        )
    # RSPON's "Poster Hari Stroke Sedunia" waits at the directors' review (10 menit):
    # reminded at 14:05, approved at 14:07, so never escalated (14:15).
    poster = "Poster Hari Stroke Sedunia"
    reminded = work_at(at(FRIDAY, 14, 5), smtp)
    assert about(reminded, "Dies Natalis") == []
    assert [m.to for m in about(reminded, poster)] == [["rspon-direksi@demo.siaran.id"]]
    with time_machine.travel(at(FRIDAY, 14, 7), tick=False):
        actions.case_decide(
            person=person("rspon-direksi"),
            case_id=Case.objects.get(title=poster).pk,
            outcome="ya",
        )
    later = work_at(at(FRIDAY, 14, 30), smtp)
    assert about(later, "Dies Natalis") == []
    # The approval is told (the PR team's turn to upload, the requester's news), at once;
    # no reminder or escalation.
    assert sorted(m.subject.strip().split(":")[0] for m in about(later, poster)) == [
        "[Siaran] Disetujui",
        "[Siaran] Giliran Anda",
    ]
    assert not Notification.objects.filter(case=dies).exists()
    assert not Notification.objects.filter(case__title=poster, kind="escalation").exists()


@pytest.mark.django_db(transaction=True)
def test_digest_people_get_one_mail_with_both_on_the_next_working_morning(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    verifier = person("poltekkes-jkt2-verifikator")
    org_actions.preferences_set(
        person=verifier, email=verifier.user.email, mail_mode="digest", language="id"
    )
    # The verifier is reminded of "Penerimaan Mahasiswa Baru 2027" (verify, 10 menit) at
    # 14:05, and is the escalation lane of "Wisuda Angkatan 2026" (design, 120 menit, due
    # at 16:00, escalated at 07:35 on Monday): no mail for either as it happens.
    for moment in (at(FRIDAY, 14, 5), at(FRIDAY, 16, 30)):
        assert [m for m in work_at(moment, smtp) if verifier.user.email in m.to] == []
    # The daily digest (08:00) skips the weekend, as the institution does not work then.
    for moment in (at(SATURDAY, 8, 1), at(SUNDAY, 8, 1), at(MONDAY, 7, 36)):
        assert [m for m in work_at(moment, smtp) if verifier.user.email in m.to] == []
    assert Notification.objects.filter(person=verifier).count() == 2
    digest = [m for m in work_at(at(MONDAY, 8, 1), smtp) if verifier.user.email in m.to]
    assert len(digest) == 1
    body = digest[0].body
    assert digest[0].subject == "[Siaran] 2 notifikasi"
    assert "Pengingat:" in body and "Penerimaan Mahasiswa Baru 2027" in body
    assert "Terlambat:" in body and "Wisuda Angkatan 2026" in body
    # Mailed once; the digest goes on the next day by itself.
    tuesday = MONDAY + dt.timedelta(days=1)
    assert [m for m in work_at(at(tuesday, 8, 1), smtp) if verifier.user.email in m.to] == []
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(task_path__endswith="daily_digest", status="READY")
    assert [t.run_after for t in queued] == [at(tuesday + dt.timedelta(days=1), 8)]


@pytest.mark.django_db(transaction=True)
def test_a_task_that_runs_twice_notifies_and_mails_once(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    with time_machine.travel(at(FRIDAY, 14, 5), tick=False):
        assert notify.step_remind(case_id=case.pk, visit=case.lock_version) == 1
        assert notify.step_remind(case_id=case.pk, visit=case.lock_version) == 0
        note = Notification.objects.get(case=case)
        assert notify.mails_send(notification_ids=[note.pk]) == 1
        assert notify.mails_send(notification_ids=[note.pk]) == 0
    assert len(smtp.take()) == 1
    assert person("rspon-direksi").unread_notifications == 1
    # An old visit (the case has moved since) does nothing.
    assert notify.step_remind(case_id=case.pk, visit=case.lock_version - 1) == 0


@pytest.mark.django_db(transaction=True)
def test_whoever_stands_in_is_reminded_too(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    director, deputy = person("rspon-direksi"), person("rspon-koordinator-umum")
    org_actions.acting_add(person=deputy, for_person=director, starts=FRIDAY, ends=FRIDAY)
    mails = about(work_at(at(FRIDAY, 14, 5), smtp), "Poster Hari Stroke Sedunia")
    assert sorted(m.to[0] for m in mails) == [
        "rspon-direksi@demo.siaran.id",
        "rspon-koordinator-umum@demo.siaran.id",
    ]


@pytest.mark.django_db(transaction=True)
def test_an_institution_may_escalate_to_another_lane(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    org_actions.escalation_lane_set(
        admin=person("rspon-admin"), sop_id="rspon-medsos", lane_id="koordinator-umum"
    )
    mails = about(work_at(at(FRIDAY, 14, 15), smtp), "Poster Hari Stroke Sedunia")
    escalated = [m for m in mails if "Terlambat" in m.subject]
    assert [m.to for m in escalated] == [["rspon-koordinator-umum@demo.siaran.id"]]


@pytest.mark.django_db(transaction=True)
def test_a_mention_is_on_the_bell_and_in_the_mail_in_the_persons_language(smtp):  # noqa: F811
    demo_at(at(FRIDAY, 14))
    director = person("rspon-direksi")
    org_actions.preferences_set(
        person=director, email="direktur@rspon.example", mail_mode="immediate", language="en"
    )
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    with time_machine.travel(at(FRIDAY, 14, 1), tick=False):
        actions.comment_add(
            person=person("rspon-tim-humas"), case_id=case.pk, text="@rspon-direksi mohon dicek"
        )
        run_worker()
    mails = smtp.take()
    assert [m.to for m in mails] == [["direktur@rspon.example"]]
    assert mails[0].subject == "[Siaran] Andi Saputra mentioned you"
    assert "Dear dr. Hendra Gunawan" in mails[0].body and "mohon dicek" in mails[0].body
    assert person("rspon-direksi").unread_notifications == 1


@pytest.mark.django_db(transaction=True)
def test_a_step_change_sets_its_timers_and_queues_no_task(smtp):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    demo_at(at(FRIDAY, 14))
    promotion = Case.objects.get(title="Promosi Layanan Stroke Center 24 Jam")
    queued = DBTaskResult.objects.count()
    with time_machine.travel(at(FRIDAY, 15), tick=False):
        case = actions.case_decide(
            person=person("rspon-ipkp"), case_id=promotion.pk, outcome="done"
        )
    # No task for the timers; once committed, one task tells the next lane its turn.
    turns = DBTaskResult.objects.filter(task_path=tasks.transition_notification.module_path)
    assert DBTaskResult.objects.count() - turns.count() == queued and turns.count() == 1
    calendar = org_calendar.calendar_of(case.organization)
    stored = Case.objects.get(pk=case.pk)
    assert stored.current_since == at(FRIDAY, 15)
    assert stored.remind_at == reminder_time(calendar, stored.current_since, stored.current_due)
    assert stored.escalate_at == escalation_time(calendar, stored.current_due)


def timers_queued() -> list[dt.datetime]:
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=tasks.step_timers.module_path, status="READY")
    return [t.run_after for t in waiting]


@pytest.mark.django_db(transaction=True)
def test_the_step_timers_come_back_at_the_next_timer_and_at_least_every_minute(smtp):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    demo_at(at(FRIDAY, 14))
    # Poltekkes' "Dies Natalis" waits at "upload" (5 menit): reminded at 14:02:30.
    assert timers_queued() == [at(FRIDAY, 14, 1)]
    assert work_at(at(FRIDAY, 14, 1), smtp) == []
    assert timers_queued() == [at(FRIDAY, 14, 2)]  # a minute on: the next timer is later
    assert work_at(at(FRIDAY, 14, 2), smtp) == []
    assert timers_queued() == [at(FRIDAY, 14, 2, 30)]  # the next timer itself
    reminded = work_at(at(FRIDAY, 14, 2, 30), smtp)
    assert [m.to for m in about(reminded, "Dies Natalis")] == [
        ["poltekkes-jkt2-anggota@demo.siaran.id"]
    ]
    assert notify.step_timers_plan() is None  # one run waits already: never two
    # A day on, the finished runs of the day before are removed from the queue.
    work_at(at(SATURDAY, 15), smtp)
    finished = DBTaskResult.objects.filter(task_path=tasks.step_timers.module_path)
    assert [t.finished_at for t in finished.exclude(status="READY")] == [at(SATURDAY, 15)]


@pytest.mark.django_db
def test_the_timers_command_starts_the_chain_once():
    import io

    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path=tasks.step_timers.module_path).delete()
    said = io.StringIO()
    call_command("notifications", "timers", stdout=said)
    call_command("notifications", "timers", stdout=said)
    first, second = said.getvalue().splitlines()
    assert first.startswith("step timers queued for ") and len(timers_queued()) == 1
    assert second == "the step timers are already queued"


@pytest.mark.django_db
def test_a_run_that_fails_midway_leaves_the_next_run_queued(monkeypatch):
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path=tasks.step_timers.module_path).delete()

    def dies(**_kwargs):
        raise RuntimeError("the worker went away")

    monkeypatch.setattr(notify, "step_timers_run", dies)
    with pytest.raises(RuntimeError):
        tasks.step_timers.call()
    assert len(timers_queued()) == 1
