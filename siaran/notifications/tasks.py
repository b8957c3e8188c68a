"""Deferred work, through Django's task API; each task is a thin wrapper around an action.

Arguments are ids and numbers only: a task is stored as JSON and may run in another
process, much later, or twice.
"""

from django_tasks import task


@task()
def step_timers() -> int:
    """Plan the next run, so that the chain goes on by itself (`migrate` starts it on the
    database queue); then remind and escalate the steps whose time has come."""
    from . import actions

    # Planned first: a worker killed during the run, or a run that fails, does not end
    # the chain, and what it left undone is done by the next run.
    actions.step_timers_plan()
    return actions.step_timers_run()


@task()
def transition_notification(
    case_id: int, events: list[dict], visit: int, actor_id: int | None, at: str
) -> int:
    """Tell the people a committed transition concerns (its engine events as dicts; `at`
    when it was made, ISO 8601): whose turn it is, a send-back, the requester's news."""
    import datetime as dt

    from siaran.sop.engine import Event

    from . import actions

    return actions.transition_notify(
        case_id=case_id,
        events=[Event(**event) for event in events],
        visit=visit,
        actor_id=actor_id,
        now=dt.datetime.fromisoformat(at),
    )


@task()
def notification_mail(notification_ids: list[int]) -> int:
    """Mail notifications to the people who want each at once."""
    from . import actions

    return actions.mails_send(notification_ids=notification_ids)


# No priority (RQ, the scale-out queue, has none): a reminder that falls due at the
# digest's minute may come in the next day's digest instead.
@task()
def daily_digest() -> int:
    """The next day's digest is queued, so the chain goes on by itself (first, so that a
    worker killed while mailing does not end it); then today's is sent."""
    from . import actions

    actions.digest_schedule()
    return actions.digest_send()
