"""The daily anchor: each night the worker seals the day before, then plans the next night."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from siaran.orgs.models import Organization

from . import actions

log = logging.getLogger(__name__)


@task()
def anchor_yesterday() -> int:
    """Plan tomorrow's run, then seal yesterday for every institution and mail each new
    anchor to its internal control unit. Planned first, so that a worker killed while
    sealing does not end the nightly chain."""
    anchor_yesterday.using(run_after=_next_night()).enqueue()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    organizations = list(Organization.objects.order_by("pk"))
    for organization in organizations:
        # Every day since the last anchor: a night the worker was down is sealed late.
        for sealed in actions.anchor_through(organization, yesterday):
            try:
                actions.anchor_mail(sealed)
            except Exception:  # a mail server down must not stop the other institutions
                log.exception("The anchor of %s could not be mailed", sealed.day)
    return len(organizations)


def anchors_first(**_signal) -> None:
    """After `migrate`: every institution has an anchor, those made before anchors too."""
    for organization in Organization.objects.order_by("pk"):
        actions.anchor_first(organization)


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
