"""Queueing background work that follows a change, with the change.

With the database queue (the default), the task's row is written inside the change's own
transaction: it exists if and only if the change was committed, and it costs no second
transaction (a transition is benchmarked). Any other queue (RQ on Redis) cannot roll
back, so the task is sent once the change has committed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_tasks_db import DatabaseBackend


def enqueue_with_change(task, *args, run_after: dt.datetime | None = None) -> None:
    """Queue `task(*args)` (at `run_after`, if given) as part of the current change."""
    bound = task.using(run_after=run_after) if run_after is not None else task
    if isinstance(bound.get_backend(), DatabaseBackend):
        bound.enqueue(*args)
    else:
        transaction.on_commit(lambda: bound.enqueue(*args), robust=True)
