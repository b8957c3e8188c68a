"""Your turn: each step's lane (and whoever stands in) is told as the step starts, the lane
that gets a case back is told why, the requester hears of the approval, the publication
and a failed post; told once the transition is committed, mailed over real SMTP."""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django.utils.formats import date_format

from siaran.cases import actions
from siaran.cases.models import Case
from siaran.notifications import actions as notify
from siaran.notifications.models import Notification
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Person
from tests.mailbox import run_worker, smtp  # noqa: F401 (a fixture)
from tests.publishing import connect, finish_by_hand, image, upload

JAKARTA = ZoneInfo("Asia/Jakarta")
FRIDAY = dt.date(2026, 11, 20)
MONDAY = FRIDAY + dt.timedelta(days=3)
MORNING = dt.datetime.combine(FRIDAY, dt.time(9), tzinfo=JAKARTA)
TITLE = "Poster Hari Gizi Nasional"


def person(username: str) -> Person:
    return Person.objects.select_related("organization", "user").get(user__username=username)


def decide(username: str, case: Case, outcome: str = "done", note: str = "") -> Case:
    """Decide, then let the task worker tell the people, as `siaran db_worker` does within
    a second of the change."""
    case = actions.case_decide(person=person(username), case_id=case.pk, outcome=outcome, note=note)
    run_worker()
    return case


def told(case: Case, kind: str) -> list[tuple[str, int]]:
    rows = Notification.objects.filter(case=case, kind=kind).order_by("visit", "person_id")
    return list(rows.values_list("person__user__username", "visit"))


def run_queued(task) -> None:
    """Run `task`'s queued calls here, in the test's transaction (the worker, which closes
    its connections, runs only in tests whose changes are committed), then forget them."""
    from django_tasks_db.models import DBTaskResult

    for queued in DBTaskResult.objects.filter(task_path=task.module_path):
        task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
        queued.delete()


def mails_to(mails, username: str):
    return [m for m in mails if m.to == [f"{username}@demo.siaran.id"]]


@pytest.mark.django_db(transaction=True)  # committed as in a request: the callbacks run
def test_an_rspon_walk_tells_each_lane_its_turn_and_the_requester_the_news(demo, smtp):  # noqa: F811
    director, deputy = person("rspon-direksi"), person("rspon-koordinator-umum")
    org_actions.acting_add(person=deputy, for_person=director, starts=FRIDAY, ends=FRIDAY)
    subkoor = person("rspon-subkoor-humas")
    org_actions.preferences_set(
        person=subkoor, email=subkoor.user.email, mail_mode="digest", language="id"
    )
    for channel in ("facebook", "x"):  # posted by hand: no platform is called
        connect(person("rspon-admin"), channel, "manual")
    with time_machine.travel(MORNING, tick=False):
        case = actions.case_start(
            person=person("rspon-unit-kerja"),
            sop_id="rspon-medsos",
            title=TITLE,
            channels=["facebook", "x"],
        )
        assert not Notification.objects.filter(case=case).exists()  # the starter's own step
        case = decide("rspon-unit-kerja", case)  # -> produce (IPKP)
        case = decide("rspon-ipkp", case)  # -> receive-letter (sub-coordinator)
        case = decide("rspon-subkoor-humas", case)  # -> edit (PR team)
        actions.attachment_add(
            person=person("rspon-tim-humas"),
            case_id=case.pk,
            upload=upload(image(1080, 1080), "poster.jpg"),
        )
        case = decide("rspon-tim-humas", case)  # -> verify
        case = decide("rspon-subkoor-humas", case)  # -> submit-to-directors
        case = decide("rspon-koordinator-umum", case)  # -> director-review
        sent_back_at = decide("rspon-direksi", case, "tidak", "Logo RS kurang jelas.")
        case = decide("rspon-tim-humas", sent_back_at)  # edit -> verify
        case = decide("rspon-subkoor-humas", case)  # -> submit-to-directors
        case = decide("rspon-koordinator-umum", case)  # -> director-review
        approved_at = decide("rspon-direksi", case, "ya")  # -> upload (PR team)
        case = decide("rspon-tim-humas", approved_at, "publish")
        assert case.status == "publishing"
        case = finish_by_hand(case, person("rspon-tim-humas"))
        assert case.status == "published"
        run_worker()

        turns = told(case, "turn")
        # One per step visit and person; the deputy (Plh.) of the directors with them.
        assert max(Counter(turns).values()) == 1
        assert [name for name, _visit in turns] == [
            "rspon-ipkp",
            "rspon-subkoor-humas",
            "rspon-tim-humas",
            "rspon-subkoor-humas",
            "rspon-koordinator-umum",
            "rspon-koordinator-umum",  # standing in for the director, at director-review
            "rspon-direksi",
            "rspon-subkoor-humas",
            "rspon-koordinator-umum",
            "rspon-koordinator-umum",
            "rspon-direksi",
            "rspon-tim-humas",
        ]
        assert told(case, "sent_back") == [("rspon-tim-humas", sent_back_at.lock_version)]
        back = Notification.objects.get(case=case, kind="sent_back")
        assert back.text == "Logo RS kurang jelas." and back.actor == director
        assert back.step_id == "edit" and back.due_at is not None
        assert told(case, "approved") == [("rspon-unit-kerja", approved_at.lock_version)]
        assert [name for name, _visit in told(case, "published")] == ["rspon-unit-kerja"]
        # A repeated callback (a retried task) tells nobody twice.
        assert (
            notify.transition_notify(
                case_id=case.pk,
                events=[],
                visit=case.lock_version,
                actor_id=None,
                now=MORNING,
            )
            == 0
        )
        run_worker()

    mails = smtp.take()
    link = f"http://127.0.0.1:8000/cases/{case.pk}/"
    assert all(link in m.body for m in mails)
    assert mails_to(mails, "rspon-subkoor-humas") == []  # the digest carries theirs
    ipkp = mails_to(mails, "rspon-ipkp")
    assert len(ipkp) == 1
    assert ipkp[0].subject.strip() == (
        f"[Siaran] Giliran Anda: {TITLE} - Membuat Konten Berupa Video atau Poster Sesuai"
        " Format Yang…"
    )
    produce = Notification.objects.get(case=case, kind="turn", person__user__username="rspon-ipkp")
    due = date_format(timezone.localtime(produce.due_at, JAKARTA), "j M Y, H:i")
    assert 'Giliran Anda: "Membuat Konten Berupa Video atau Poster' in ipkp[0].body
    assert f"jatuh tempo {due}" in ipkp[0].body and "Yth. Rizky Pratama" in ipkp[0].body
    assert len(mails_to(mails, "rspon-koordinator-umum")) == 4
    assert len(mails_to(mails, "rspon-direksi")) == 2
    humas = mails_to(mails, "rspon-tim-humas")
    assert [m.subject.strip().split(":")[0] for m in humas] == [
        "[Siaran] Giliran Anda",
        "[Siaran] Dikembalikan",
        "[Siaran] Giliran Anda",
    ]
    assert "Alasannya: Logo RS kurang jelas." in humas[1].body
    assert "dr. Hendra Gunawan mengembalikan" in humas[1].body
    requester = mails_to(mails, "rspon-unit-kerja")
    assert [m.subject for m in requester] == [
        f"[Siaran] Disetujui: {TITLE}",
        f"[Siaran] Terpublikasi: {TITLE}",
    ]
    published = requester[1].body
    assert "telah terpublikasi di Facebook, X (Twitter)." in published
    assert "- Facebook: https://example.org/facebook/1" in published
    assert "- X (Twitter): https://example.org/x/1" in published

    # The sub-coordinator's three turns come in Monday's digest, each with its link.
    assert notify.digest_send(now=dt.datetime.combine(MONDAY, dt.time(8), tzinfo=JAKARTA)) == 1
    (digest,) = smtp.take()
    assert digest.to == [subkoor.user.email] and digest.subject == "[Siaran] 3 notifikasi"
    assert digest.body.count("Giliran Anda:") == 3 and digest.body.count(link) == 3


@pytest.mark.django_db(transaction=True)
def test_the_requester_hears_of_a_failed_post(demo, smtp):  # noqa: F811
    humas, requester = person("rspon-tim-humas"), person("rspon-unit-kerja")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")  # by the unit, at review
    assert case.created_by == requester
    notify.post_trouble(
        case_id=case.pk,
        channel="instagram",
        kind="post_failed",
        started_by_id=humas.pk,
        now=timezone.now(),
    )
    failed = Notification.objects.filter(case=case, kind="post_failed")
    assert set(failed.values_list("person__user__username", flat=True)) == {
        "rspon-direksi",  # the lane the case is at
        "rspon-tim-humas",  # who pressed publish
        "rspon-unit-kerja",  # who asked for it
    }
    run_worker()
    (mail,) = mails_to(smtp.take(), "rspon-unit-kerja")
    assert "Instagram" in mail.body and "gagal" in mail.body
    # Not for a post that is only unconfirmed: the people who can check it are told.
    notify.post_trouble(
        case_id=case.pk, channel="x", kind="post_unknown", started_by_id=humas.pk, now=MORNING
    )
    unknown = Notification.objects.filter(case=case, kind="post_unknown")
    assert "rspon-unit-kerja" not in unknown.values_list("person__user__username", flat=True)


@pytest.mark.django_db(transaction=True)
def test_a_failure_to_notify_never_undoes_the_transition(demo, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the notifications table is gone")

    class Broken:
        enqueue = staticmethod(broken)

    monkeypatch.setattr(notify.tasks, "transition_notification", Broken())
    case = actions.case_start(
        person=person("rspon-unit-kerja"), sop_id="rspon-medsos", title="Satu tulisan"
    )
    moved = actions.case_decide(person=person("rspon-unit-kerja"), case_id=case.pk, outcome="done")
    assert Case.objects.get(pk=case.pk).current_step == "produce" == moved.current_step
    # In a transaction (the directors' final review): committed all the same.
    review = Case.objects.get(title="Poster Hari Stroke Sedunia")
    actions.case_decide(person=person("rspon-direksi"), case_id=review.pk, outcome="ya")
    assert Case.objects.get(pk=review.pk).current_step == "upload"
    assert not Notification.objects.filter(case__in=[case, review]).exists()
    logged = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert len(logged) == 2 and all(r.levelname == "ERROR" for r in logged)


@pytest.mark.django_db
def test_nothing_is_read_or_written_for_notifications_inside_the_transition(
    demo, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    director = person("rspon-direksi")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as inside,
    ):
        actions.case_decide(person=director, case_id=case.pk, outcome="ya")
    assert not [q for q in inside if Notification._meta.db_table in q["sql"]]
    # After the commit, one row on the task queue; the worker tells the people.
    with CaptureQueriesContext(connection) as after:
        for callback in callbacks:
            callback()
    assert [q["sql"].split()[0] for q in after] == ["INSERT"], [q["sql"][:60] for q in after]
    assert not Notification.objects.filter(case=case).exists()
    run_queued(notify.tasks.transition_notification)  # what the worker does with it
    assert told(case, "turn") == [("rspon-tim-humas", case.lock_version + 1)]
    assert told(case, "approved") == [("rspon-unit-kerja", case.lock_version + 1)]


@pytest.mark.django_db
def test_the_bell_page_says_whose_turn_it_is_and_why_a_case_came_back(
    client, demo, django_capture_on_commit_callbacks
):
    from tests.test_pages import login

    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    with django_capture_on_commit_callbacks(execute=True):
        actions.case_decide(
            person=person("rspon-direksi"),
            case_id=case.pk,
            outcome="tidak",
            note="Logo RS kurang jelas.",
        )
    run_queued(notify.tasks.transition_notification)
    login(client, "rspon-tim-humas")
    assert 'id="unread">1<' in client.get("/tasks/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert "list-group-item-warning" in page
    assert "dr. Hendra Gunawan mengembalikan &quot;Poster Hari Stroke Sedunia&quot;" in page
    assert "Alasannya: Logo RS kurang jelas." in page
    with django_capture_on_commit_callbacks(execute=True):  # edit -> verify: the sub-coordinator
        actions.case_decide(person=person("rspon-tim-humas"), case_id=case.pk, outcome="done")
    run_queued(notify.tasks.transition_notification)
    client.logout()
    login(client, "rspon-subkoor-humas")
    page = client.get("/notifications/").content.decode()
    assert "Giliran Anda: &quot;Memverifikasi Konten yang Sudah di Sunting&quot;" in page


@pytest.mark.django_db
def test_a_channel_dropped_before_the_worker_runs_still_leaves_the_turn(
    demo, django_capture_on_commit_callbacks
):
    """The visit is known by its start: a change of channels (which moves the case's
    version) between the step change and the worker does not lose the turn."""
    from siaran.cases.channels import case_channels_drop

    with django_capture_on_commit_callbacks(execute=True):
        case = actions.case_start(
            person=person("rspon-unit-kerja"), sop_id="rspon-medsos", title="Video edukasi"
        )
        case = actions.case_decide(
            person=person("rspon-unit-kerja"), case_id=case.pk, outcome="done"
        )
    case_channels_drop(person=person("rspon-ipkp"), case_id=case.pk, channels=["youtube"])
    run_queued(notify.tasks.transition_notification)
    assert [name for name, _visit in told(case, "turn")] == ["rspon-ipkp"]
