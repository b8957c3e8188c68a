"""The daily anchor: each night the worker seals the day before, then plans the next night."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from . import actions


@task()
def anchor_yesterday() -> int:
    """Plan tomorrow's run, then seal yesterday for every institution. Planned first, so
    that a worker killed while sealing does not end the nightly chain."""
    anchor_yesterday.using(run_after=_next_night()).enqueue()
    return len(actions.anchor_all(timezone.localdate() - dt.timedelta(days=1)))


def ensure_planned(**_signal) -> None:
    """Plan the nightly anchor unless it already waits in the database queue. Runs after
    `migrate`, so that every installation, `make run` included, seals its days."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return  # other queues are planned by their operators (docs/guide-operator.md)
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    path = f"{anchor_yesterday.func.__module__}.{anchor_yesterday.func.__qualname__}"
    waiting = DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY)
    if not waiting.exists():
        anchor_yesterday.using(run_after=_next_night()).enqueue()


def _next_night() -> dt.datetime:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0, 5), tzinfo=timezone.get_current_timezone())
