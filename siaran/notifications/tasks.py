"""Deferred work, through Django's task API; each task is a thin wrapper around an action.

Arguments are ids and numbers only: a task is stored as JSON and may run in another
process, much later, or twice.
"""

from django_tasks import task


@task()
def step_reminder(case_id: int, visit: int) -> int:
    """A step is due soon: tell its lane, then queue the escalation."""
    from . import actions

    return actions.step_remind(case_id=case_id, visit=visit)


@task()
def step_escalation(case_id: int, visit: int) -> int:
    """A step is overdue: tell the escalation lane."""
    from . import actions

    return actions.step_escalate(case_id=case_id, visit=visit)


@task()
def notification_mail(notification_ids: list[int]) -> int:
    """Mail notifications to the people who want each at once."""
    from . import actions

    return actions.mails_send(notification_ids=notification_ids)


# No priority (RQ, the scale-out queue, has none): a reminder that falls due at the
# digest's minute may come in the next day's digest instead.
@task()
def daily_digest() -> int:
    """The daily digest; then the next day's is queued, so the chain goes on by itself."""
    from . import actions

    sent = actions.digest_send()
    actions.digest_schedule()
    return sent
