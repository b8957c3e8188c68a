"""Upgrades keep what running cases say: the step visits of 0001 move onto cases and events."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


def institution(apps):
    """An institution, a person of it and a stored SOP version, as `apps` has them."""
    org = apps.get_model("orgs", "Organization").objects.create(slug="x", name="X")
    user = apps.get_model("auth", "User").objects.create(username="x")
    person = apps.get_model("orgs", "Person").objects.create(user=user, organization=org, name="X")
    version = apps.get_model("orgs", "SopVersion").objects.create(
        sop_id="s", sha256="0" * 64, text=""
    )
    return org, person, version


@pytest.mark.django_db(transaction=True)
def test_step_visits_survive_the_move_to_the_case_row():
    apps = migrate([("cases", "0001_initial"), ("orgs", "0001_initial")])
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    StepRun = apps.get_model("cases", "StepRun")
    org, person, version = institution(apps)
    case = Case.objects.create(
        organization=org,
        sop_version=version,
        sop_id="s",
        title="T",
        created_by=person,
        current_step="review",
    )
    start = timezone.now() - dt.timedelta(hours=5)
    done = StepRun.objects.create(
        case=case,
        organization=org,
        sop_id="s",
        step_id="write",
        lane_id="humas",
        round=1,
        started_at=start,
        due_at=start + dt.timedelta(hours=1),
        finished_at=start + dt.timedelta(hours=2),
        outcome="done",
        actor=person,
    )
    CaseEvent.objects.create(
        case=case,
        seq=1,
        kind="step_done",
        step_id="write",
        outcome="done",
        round=1,
        at=done.finished_at,
        actor=person,
    )
    StepRun.objects.create(
        case=case,
        organization=org,
        sop_id="s",
        step_id="review",
        lane_id="direksi",
        round=2,
        started_at=done.finished_at,
        due_at=done.finished_at + dt.timedelta(days=1),
        claimed_by=person,
    )

    apps = migrate([("cases", "0002_open_step_on_case")])
    case = apps.get_model("cases", "Case").objects.get(pk=case.pk)
    assert (case.current_lane, case.current_round, case.claimed_by_id) == ("direksi", 2, person.pk)
    assert case.current_since == done.finished_at
    assert case.current_due == done.finished_at + dt.timedelta(days=1)
    event = apps.get_model("cases", "CaseEvent").objects.get(case=case, kind="step_done")
    assert (event.lane_id, event.started_at, event.due_at) == ("humas", start, done.due_at)
    assert event.seconds_taken == 2 * 3600
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_open_steps_get_their_timers_and_their_queued_reminders_go():
    """0005: a step change no longer queues its reminder; the open steps get the timers the
    rules give, and the reminders still waiting in the queue are dropped."""
    from django_tasks_db.models import DBTaskResult  # its tables stay as they are

    from siaran.notifications.rules import escalation_time, reminder_time
    from siaran.sop.timing import WorkCalendar

    apps = migrate(
        [
            ("cases", "0004_case_status_publishing"),
            ("orgs", "0002_working_calendar_and_mail_preferences"),
        ]
    )
    Case = apps.get_model("cases", "Case")
    org, person, version = institution(apps)
    since = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC)  # a Friday, 21:00 in Jakarta
    due = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # Monday 14:00 in Jakarta
    fields = dict(organization=org, sop_version=version, sop_id="s", title="T", created_by=person)
    running = Case.objects.create(**fields, current_step="produce", current_since=since)
    Case.objects.filter(pk=running.pk).update(current_due=due)
    closed = Case.objects.create(**fields, status="published")
    queued = {}
    for path in ("step_reminder", "step_escalation", "daily_digest"):
        queued[path] = DBTaskResult.objects.create(
            task_path=f"siaran.notifications.tasks.{path}",
            args_kwargs={"args": [], "kwargs": {}},
            backend_name="default",
            run_after=since,
            exception_class_path="",
            traceback="",
        )

    apps = migrate([("cases", "0005_step_timers")])
    Case = apps.get_model("cases", "Case")
    running = Case.objects.get(pk=running.pk)
    calendar = WorkCalendar()  # the demo-less institution keeps the default calendar
    assert running.remind_at == reminder_time(calendar, since, due)
    assert running.escalate_at == escalation_time(calendar, due)
    assert Case.objects.filter(pk=closed.pk, remind_at=None, escalate_at=None).exists()
    left = DBTaskResult.objects.filter(pk__in=[t.pk for t in queued.values()])
    assert [t.task_path for t in left] == ["siaran.notifications.tasks.daily_digest"]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
