"""The only code that changes notifications: reminders and escalations of step visits,
a step's turn and a send-back as they happen, the requester's news (approved,
published), mentions, marking read, and the mail that carries them.

A step visit is named by the case and its `lock_version` while the step is open: every
transition bumps it, a claim does not. A transition sets the visit's timers on the case
row (`remind_at`, `escalate_at`); the step timers, a task that runs again and again, tell
the people whose time has come and clear each timer as it does.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from siaran.cases.models import Case, Comment
from siaran.core.queue import enqueue_with_change
from siaran.core.site import site_url
from siaran.orgs.calendar import calendar_of
from siaran.orgs.models import OrgSop, Person
from siaran.orgs.selectors import lane_holders
from siaran.sop import engine

from . import tasks
from .models import Notification
from .rules import escalation_lane
from .templatetags.notifications import notification_subject

log = logging.getLogger(__name__)

# The digest also carries what an immediate mail failed to deliver this long ago.
MAIL_RETRY_AFTER = dt.timedelta(hours=1)
# Older notifications are not mailed any more (a person who adds an address late).
MAIL_AT_MOST_AFTER = dt.timedelta(days=7)


class NotificationError(Exception):
    """Why a person's change was refused; nothing changed."""


# -- step visits -----------------------------------------------------------------------


# The step timers run at least this often: a step change sets its timers without queueing
# anything, so a run planned before it must come back soon enough to see them. A step's
# reminder is at least 2.5 minutes after it starts, so a run a minute later sees it in time
# and plans the next run for the reminder's own moment.
TIMERS_INTERVAL = dt.timedelta(minutes=1)
# Finished runs of the step timers are kept this long in the database queue, then removed.
TIMERS_KEPT = dt.timedelta(days=1)


def step_timers_run(*, now: dt.datetime | None = None) -> int:
    """Remind and escalate every open step whose time has come (see `Case.remind_at`).
    Returns how many people were told. One step that fails is logged and tried again on
    the next run; the others go on."""
    now = now or timezone.now()
    told = 0
    active = Case.objects.filter(status="active")
    for field, act in (("remind_at", step_remind), ("escalate_at", step_escalate)):
        due = active.filter(**{f"{field}__lte": now}).order_by(field)
        for case_id, visit in list(due.values_list("pk", "lock_version")):
            try:
                told += act(case_id=case_id, visit=visit, now=now)
            except Exception:
                log.exception("step timer of case %s failed; it is tried again", case_id)
    return told


def step_timers_plan(*, now: dt.datetime | None = None, only_if_seen: bool = False):
    """Queue the next run of the step timers unless the database queue holds one: at the
    next timer, at most TIMERS_INTERVAL from now. Returns its time, or None. `only_if_seen`:
    do nothing on a queue this cannot look into."""
    now = now or timezone.now()
    queued = _queued(tasks.step_timers)
    if queued or (queued is None and only_if_seen):
        return None
    # The times still to come: those due now are this run's (when the task plans first).
    nearest = Case.objects.filter(status="active").aggregate(
        remind=Min("remind_at", filter=Q(remind_at__gt=now)),
        escalate=Min("escalate_at", filter=Q(escalate_at__gt=now)),
    )
    at = min([now + TIMERS_INTERVAL, *(t for t in nearest.values() if t is not None)])
    tasks.step_timers.using(run_after=at).enqueue()
    if queued is False:  # the database queue: forget the runs of yesterday
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(
            task_path=tasks.step_timers.module_path,
            status="SUCCESSFUL",
            finished_at__lt=now - TIMERS_KEPT,
        ).delete()
    return at


def step_remind(*, case_id: int, visit: int, now: dt.datetime | None = None) -> int:
    """Tell the people of the step's lane, and whoever stands in for them, that the step is
    due soon. Returns how many were told; 0 when the visit is over or was reminded."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _take_timer(case_id, visit, "remind_at")
        if case is None:
            return 0
        people = lane_holders(case.organization_id, case.sop_id, case.current_lane, _day(case, now))
        return _notify(people, case, "reminder", now, visit=visit, lane_id=case.current_lane)


def step_escalate(*, case_id: int, visit: int, now: dt.datetime | None = None) -> int:
    """Tell the people of the escalation lane that the step is overdue."""
    from siaran.cases.definitions import definition

    now = now or timezone.now()
    with transaction.atomic():
        case = _take_timer(case_id, visit, "escalate_at")
        if case is None:
            return 0
        chosen = (
            OrgSop.objects.filter(organization_id=case.organization_id, sop_id=case.sop_id)
            .values_list("escalation_lane", flat=True)
            .first()
        )
        lane = escalation_lane(definition(case.sop_version), case.current_step, chosen or "")
        people = lane_holders(case.organization_id, case.sop_id, lane, _day(case, now))
        return _notify(people, case, "escalation", now, visit=visit, lane_id=case.current_lane)


def _take_timer(case_id: int, visit: int, field: str) -> Case | None:
    """Clear a timer of an open step visit, in the caller's transaction; the case if it was
    set. Of two runs that race for it (or a run that repeats), one gets the case."""
    timer = Case.objects.filter(pk=case_id, lock_version=visit, status="active")
    if not timer.exclude(**{field: None}).update(**{field: None}):
        return None
    return _open_visit(case_id, visit)


def _open_visit(case_id: int, visit: int) -> Case | None:
    """The case if the step visit is still open: same lock_version, still running."""
    return (
        Case.objects.select_related("organization", "sop_version")
        .filter(pk=case_id, lock_version=visit, status="active")
        .exclude(current_due=None)
        .first()
    )


def _day(case: Case, now: dt.datetime) -> dt.date:
    """Today at the institution: whoever stands in today is told."""
    return timezone.localtime(now, ZoneInfo(case.organization.time_zone)).date()


# -- transitions: whose turn it is, a send-back, the requester's news ------------------


_silenced: contextvars.ContextVar[bool] = contextvars.ContextVar("silenced", default=False)


@contextlib.contextmanager
def silenced():
    """Transitions made inside tell nobody: seed data (`siaran demo` walks its cases as if
    they had long been at their steps; reminders and escalations still come)."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def transition_notify_on_commit(case: Case, events: Iterable, actor: Person, now) -> None:
    """Have `transition_notify` tell the people a transition concerns, by the task worker,
    once the transition is committed (at once when no transaction is open: then it is
    committed already).

    A transition only queues the task (one row on the database queue): reading the lane's
    people and writing their notifications would cost a step change several times its
    own statements (bench/README.md). A transition that concerns nobody (a start, a
    withdrawal) queues nothing. A failure to queue is logged and never undoes or breaks
    the transition (`robust`)."""
    events = tuple(events)
    if _silenced.get() or not _concerns(events):
        return
    args = (
        case.pk,
        [dataclasses.asdict(event) for event in events],
        case.lock_version,
        actor.pk if actor else None,
        now.isoformat(),
    )
    transaction.on_commit(lambda: tasks.transition_notification.enqueue(*args), robust=True)


def _concerns(events: tuple) -> bool:
    """Does a transition tell anyone? A step entered, or the case's end; not a start (its
    first step is the starter's own), a withdrawal or a cancellation."""
    kinds = {event.kind for event in events}
    return engine.CASE_STARTED not in kinds and bool(
        kinds & {engine.STEP_ENTERED, engine.CASE_ENDED}
    )


def transition_notify(
    *, case_id: int, events: Iterable, visit: int, actor_id: int | None, now: dt.datetime
) -> int:
    """Tell the people a committed transition concerns; `visit` is the case's
    `lock_version` after it, `events` the engine's. Returns how many were told.

    - A step starts (`turn`), or the case is sent back to a step (`sent_back`, with the
      reviewer's note): the step's lane and whoever stands in for them that day. Not at
      a case's start: its first step is the starter's own. Not whoever made the change
      when the new step is in the lane of the step they finished (they are at work in
      it); they are told when it is another lane's step they also hold. Only while the
      step visit is still open: a case that moved on since needs nobody.
    - The SOP's last review passes (`approved`): the requester, unless they approved it.
    - The case closes as published (`published`): the requester, with each channel's link.

    One notification per step visit, kind and person: a callback run twice tells once."""
    from siaran.cases.definitions import definition
    from siaran.documents.approval_sheet import passes_final_review

    events = tuple(events)
    if not _concerns(events):
        return 0
    done = next((e for e in events if e.kind == engine.STEP_DONE), None)
    back = next((e for e in events if e.kind == engine.SENT_BACK), None)
    entered = [e.step for e in events if e.kind == engine.STEP_ENTERED]
    published = any(e.kind == engine.CASE_ENDED and e.outcome == engine.PUBLISHED for e in events)
    actor = Person(pk=actor_id) if actor_id else None
    told = 0
    with transaction.atomic():
        case = (
            Case.objects.select_related(
                "organization", "sop_version", "created_by__user", "created_by__organization"
            )
            .defer("sop_version__text")
            .get(pk=case_id)
        )
        sop = definition(case.sop_version)
        if entered and _still_at(case, now, entered[-1]):
            people = lane_holders(
                case.organization_id, case.sop_id, case.current_lane, _day(case, now)
            )
            if done is not None and sop.step(done.step).lane == case.current_lane:
                people = [p for p in people if p.pk != actor_id]
            kind, text = ("sent_back", back.note) if back else ("turn", "")
            told += _notify(
                people, case, kind, now, visit=visit, lane_id=case.current_lane,
                actor=actor if back else None, text=text,
            )  # fmt: skip
        requester = case.created_by
        if done is not None and requester.pk != actor_id and passes_final_review(sop, events):
            told += _notify([requester], case, "approved", now, visit=visit, actor=actor)
        if published:
            told += _notify([requester], case, "published", now, visit=visit, text=_links(case))
    return told


def _still_at(case: Case, since: dt.datetime, step_id: str) -> bool:
    """Is the step visit the transition opened (at `since`) still the case's open one? By
    its start, not the case's version: dropping a channel meanwhile changes the version,
    not the visit."""
    return case.status == "active" and case.current_step == step_id and case.current_since == since


def _links(case: Case) -> str:
    """Each channel of a published case and its post's address, a line each."""
    from siaran.publishing.models import PublishJob

    jobs = PublishJob.objects.filter(case=case).order_by("pk").values_list("channel", "permalink")
    return "\n".join(f"{channel} {link}".strip() for channel, link in jobs)


# -- mentions --------------------------------------------------------------------------


def mentions_notify(*, comment: Comment, people: list[Person]) -> int:
    """Tell the people a comment mentions (not its author)."""
    ids = [p.pk for p in people if p.pk != comment.author_id]
    if not ids:
        return 0
    people = list(Person.objects.filter(pk__in=ids).select_related("user"))
    return _notify(
        people, comment.case, "mention", timezone.now(), actor=comment.author, text=comment.text
    )


# -- posts -----------------------------------------------------------------------------


def post_trouble(*, case_id: int, channel: str, kind: str, started_by_id: int, now) -> int:
    """Tell whoever pressed publish, and the people of the publish step's lane, that a
    channel's post failed (`post_failed`: retry it or post it by hand) or could not be
    confirmed (`post_unknown`: look on the platform first); a failed post the requester
    too (who waits for it). In the caller's transaction."""
    case = Case.objects.select_related("organization", "sop_version").get(pk=case_id)
    people = lane_holders(case.organization_id, case.sop_id, case.current_lane, _day(case, now))
    wanted = [started_by_id] + ([case.created_by_id] if kind == "post_failed" else [])
    missing = [pk for pk in dict.fromkeys(wanted) if all(p.pk != pk for p in people)]
    if missing:
        people += Person.objects.filter(pk__in=missing).select_related("user").order_by("pk")
    return _notify(people, case, kind, now, text=channel)


# -- creating, reading -----------------------------------------------------------------


def _notify(
    people: list[Person],
    case: Case,
    kind: str,
    now: dt.datetime,
    *,
    visit: int | None = None,
    lane_id: str = "",
    actor: Person | None = None,
    text: str = "",
) -> int:
    """Create one notification per person (at most one per visit, kind and person), keep
    their unread counts, and have them mailed. Returns how many were created."""
    if not people:
        return 0
    if kind in ("reminder", "escalation", "turn"):
        text = _activity(case)
    rows = {
        p.pk: Notification(
            person=p,
            case=case,
            kind=kind,
            visit=visit,
            step_id=case.current_step if visit is not None else "",
            lane_id=lane_id,
            due_at=case.current_due if visit is not None else None,
            actor=actor,
            text=text[:2000],
            created_at=now,
        )
        for p in people
    }
    if visit is not None:
        # A task may run twice: the unique constraint keeps the first, and only the
        # notifications this run created are counted and mailed.
        done = Notification.objects.filter(case=case, kind=kind, visit=visit, person__in=rows)
        for person_id in done.values_list("person_id", flat=True):
            rows.pop(person_id)
        Notification.objects.bulk_create(rows.values(), ignore_conflicts=True)
        created = Notification.objects.filter(
            case=case, kind=kind, visit=visit, person__in=rows, created_at=now
        ).values_list("pk", "person_id")
    else:
        created = [(n.pk, n.person_id) for n in Notification.objects.bulk_create(rows.values())]
    created = list(created)
    if not created:
        return 0
    _recount([person_id for _pk, person_id in created])
    by_id = {p.pk: p for p in people}
    immediate = [
        pk
        for pk, person_id in created
        if by_id[person_id].mail_mode == "immediate" and by_id[person_id].user.email
    ]
    if immediate:
        enqueue_with_change(tasks.notification_mail, immediate)
    if any(by_id[person_id].mail_mode == "digest" for _pk, person_id in created):
        digest_schedule(now=now, only_if_seen=True)
    return len(created)


def _activity(case: Case) -> str:
    from siaran.cases.definitions import definition

    try:
        return definition(case.sop_version).step(case.current_step).activity
    except KeyError:
        return case.current_step


def _recount(person_ids: list[int]) -> None:
    """Set each person's unread count from their notifications: exact, never drifting."""
    unread = (
        Notification.objects.filter(person=OuterRef("pk"), read_at=None)
        .order_by()
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Person.objects.filter(pk__in=set(person_ids)).update(
        unread_notifications=Coalesce(Subquery(unread), 0)
    )


def notifications_read(
    *, person: Person, ids: list[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Mark `person`'s notifications read: those of `ids`, or all of them."""
    unread = Notification.objects.filter(person=person, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    with transaction.atomic():
        changed = unread.update(read_at=now or timezone.now())
        if changed:
            _recount([person.pk])
            person.unread_notifications = (
                Person.objects.filter(pk=person.pk)
                .values_list("unread_notifications", flat=True)
                .get()
            )
    return changed


def notification_open(*, person: Person, notification_id: int) -> int:
    """Mark one of `person`'s notifications read; returns its case's id."""
    case_id = (
        Notification.objects.filter(pk=notification_id, person=person)
        .values_list("case_id", flat=True)
        .first()
    )
    if case_id is None:
        raise NotificationError(_("No such notification."))
    notifications_read(person=person, ids=[notification_id])
    return case_id


# -- mail ------------------------------------------------------------------------------


def mails_send(*, notification_ids: list[int], now: dt.datetime | None = None) -> int:
    """Mail each notification alone to its person. Each is claimed first (`mailed_at`), so
    a task that runs twice mails once; one that cannot be sent is released, and the next
    digest carries it. Raises after trying them all if any failed."""
    now = now or timezone.now()
    notes = list(
        Notification.objects.filter(pk__in=notification_ids, mailed_at=None).select_related(
            "person__user", "person__organization", "case", "actor"
        )
    )
    if not notes:
        return 0
    sent, failed = 0, []
    with mail.get_connection() as connection:
        for note in notes:
            if not note.person.user.email:
                continue
            if not Notification.objects.filter(pk=note.pk, mailed_at=None).update(mailed_at=now):
                continue  # another run took it
            try:
                _message(note.person, [note], connection).send()
            except Exception as error:
                Notification.objects.filter(pk=note.pk).update(mailed_at=None)
                log.exception("notification %s: mail to %s failed", note.pk, note.person_id)
                failed.append(error)
            else:
                sent += 1
    if failed:
        digest_schedule(now=now, only_if_seen=True)  # the digest carries them later
        raise MailFailed(f"{len(failed)} of {len(notes)} notification mails failed") from failed[0]
    return sent


class MailFailed(Exception):
    pass


def digest_send(*, now: dt.datetime | None = None) -> int:
    """One mail per person with everything not mailed yet: for the people who chose the
    daily digest, and for anyone whose own mail failed. Only on the working days of the
    person's institution; what waits goes out on the next one. Returns the mails sent."""
    now = now or timezone.now()
    pending = (
        Notification.objects.filter(
            mailed_at=None, created_at__lte=now, created_at__gt=now - MAIL_AT_MOST_AFTER
        )
        .filter(Q(person__mail_mode="digest") | Q(created_at__lte=now - MAIL_RETRY_AFTER))
        .exclude(person__user__email="")
        .select_related("person__user", "person__organization", "case", "actor")
        .order_by("person_id", "created_at", "pk")
    )
    by_person: dict[int, list[Notification]] = defaultdict(list)
    for note in pending:
        by_person[note.person_id].append(note)
    sent = 0
    with mail.get_connection() as connection:
        for notes in by_person.values():
            person = notes[0].person
            organization = person.organization
            today = timezone.localtime(now, ZoneInfo(organization.time_zone)).date()
            if not calendar_of(organization).is_working_day(today):
                continue
            ids = [note.pk for note in notes]
            if not Notification.objects.filter(pk__in=ids, mailed_at=None).update(mailed_at=now):
                continue
            try:
                _message(person, notes, connection, digest=True).send()
            except Exception:
                Notification.objects.filter(pk__in=ids, mailed_at=now).update(mailed_at=None)
                log.exception("digest mail to person %s failed", person.pk)
            else:
                sent += 1
    return sent


def digest_schedule(*, now: dt.datetime | None = None, only_if_seen: bool = False):
    """Queue the next daily digest unless the database queue holds one already. Returns its
    time, or None. `only_if_seen`: do nothing on a queue this cannot look into."""
    at = next_digest_time(now or timezone.now())
    queued = _queued(tasks.daily_digest)
    if queued or (queued is None and only_if_seen):
        return None
    tasks.daily_digest.using(run_after=at).enqueue()
    return at


def next_digest_time(now: dt.datetime) -> dt.datetime:
    """The next SIARAN_DIGEST_TIME after `now`, in the deployment's time zone."""
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now, zone)
    at = dt.datetime.combine(local.date(), settings.SIARAN_DIGEST_TIME, tzinfo=zone)
    if at <= local:
        at = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), settings.SIARAN_DIGEST_TIME, tzinfo=zone
        )
    return at


def _queued(task) -> bool | None:
    """Whether the database queue holds a run of `task` not started yet; None: not known."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(
        task_path=task.module_path, backend_name=backend.alias, status="READY"
    ).exists()


def _message(
    person: Person, notes: list[Notification], connection, digest: bool = False
) -> mail.EmailMessage:
    """A plain-text mail in the person's language, with a link to each case."""
    with translation.override(person.language or settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "notes": notes,
            "zone": person.organization.time_zone,
            "base": site_url(),
            "settings_link": site_url() + reverse("notifications:settings"),
        }
        if digest:
            subject = ngettext(
                "[Siaran] %(count)d notification", "[Siaran] %(count)d notifications", len(notes)
            ) % {"count": len(notes)}
            body = render_to_string("notifications/mail/digest.txt", context)
        else:
            subject = notification_subject(notes[0])
            body = render_to_string("notifications/mail/one.txt", context)
    return mail.EmailMessage(
        # One line, whatever a case title stored before titles were cleaned held: a line
        # break in a header makes the mail fail (BadHeaderError).
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.user.email],
        connection=connection,
    )
