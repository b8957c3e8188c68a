"""Background work on Django's task API: thin wrappers around the runner."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def publish_job_run(job_id: int) -> str:
    """Send, or reconcile, one publish job; see runner.run."""
    from . import runner  # it enqueues through this module

    return runner.run(job_id)


def enqueue(job_id: int, run_after: dt.datetime | None = None) -> None:
    """Queue a run of the job, not before `run_after` (a scheduled post, a backoff)."""
    if run_after is None:
        publish_job_run.enqueue(job_id)
    else:
        publish_job_run.using(run_after=run_after).enqueue(job_id)
