"""Background work on Django's task API: thin wrappers around the runner."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def publish_job_run(job_id: int) -> str:
    """Send, or reconcile, one publish job; see runner.run."""
    from . import runner  # it enqueues through this module

    return runner.run(job_id)


@task()
def publish_jobs_start(job_ids: list[int]) -> int:
    """Queue the first run of each job of a publication, each at its own time, so that the
    channels are posted side by side by as many workers as there are."""
    from .models import PublishJob

    jobs = PublishJob.objects.filter(pk__in=job_ids).values_list("pk", "run_after")
    for job_id, run_after in jobs:
        enqueue(job_id, run_after)
    return len(job_ids)


def enqueue(job_id: int, run_after: dt.datetime | None = None) -> None:
    """Queue a run of the job, not before `run_after` (a scheduled post, a backoff)."""
    if run_after is None:
        publish_job_run.enqueue(job_id)
    else:
        publish_job_run.using(run_after=run_after).enqueue(job_id)
