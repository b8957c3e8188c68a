"""Publish jobs on RQ, by configuration alone: Redis at 127.0.0.1:6379, a real worker.

The web side enqueues through Django's task API with the RQ backend; `siaran rqworker`
runs as its own process, configured only by environment variables, as at scale.
"""

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from siaran.cases import actions as case_actions
from siaran.publishing.models import PublishJob
from siaran.publishing.sandbox import WordPressSandbox
from tests.conftest import ROOT, need
from tests.publishing import at_publish_step, connect

REDIS_URL = os.environ.get("SIARAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SIARAN = shutil.which("siaran", path=str(Path(sys.executable).parent)) or "siaran"


@pytest.fixture
def redis():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except RedisDown:
        need(False, f"Redis at {REDIS_URL}")
    client.flushdb()  # this test's own database number, nobody else's
    yield client
    client.flushdb()


@pytest.fixture
def rq_settings(settings, redis):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    return settings


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def rq_worker(settings, tmp_path) -> subprocess.CompletedProcess:
    """`siaran rqworker` in burst mode: it runs what is due, then stops."""
    environment = {
        **os.environ,
        "SIARAN_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "SIARAN_REDIS_URL": REDIS_URL,
        "DATABASE_URL": database_url(),
        "SIARAN_DATA_DIR": str(tmp_path),  # its media folder is this test's
        "SIARAN_CREDENTIALS_KEY": settings.SIARAN_CREDENTIALS_KEY,
        "SIARAN_PUBLISH_TIMEOUT": "5",
    }
    assert Path(settings.MEDIA_ROOT) == tmp_path / "media"
    command = [SIARAN, "rqworker", "--burst", "--with-scheduler"]
    command += ["--job-class", "django_tasks_rq.Job", "default"]
    return subprocess.run(
        command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def website(demo, rq_settings):
    with WordPressSandbox() as sandbox:
        connect(demo["poltekkes-jkt2-admin"], "website", "wordpress", sandbox.url)
        yield sandbox


@pytest.mark.django_db(transaction=True)
def test_a_publish_job_runs_through_rq(demo, website, rq_settings, tmp_path):
    import django_rq

    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish", channels=["website"])
    queue = django_rq.get_queue("default")
    assert queue.count == 1  # in Redis, not in the database queue
    result = rq_worker(rq_settings, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Job OK" in result.stderr or "Successfully completed" in result.stderr, result.stderr
    case.refresh_from_db()
    assert case.status == "published"
    job = PublishJob.objects.get(case=case)
    assert job.status == "succeeded" and job.platform_id == str(website.posts[0]["id"])
    assert len(website.posts) == 1


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_post_waits_for_its_time_on_rq(demo, website, rq_settings, tmp_path):
    import django_rq
    from rq.registry import ScheduledJobRegistry

    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    at = timezone.now() + dt.timedelta(seconds=4)
    case_actions.case_decide(
        person=humas, case_id=case.pk, outcome="publish", channels=["website"], at=at
    )
    queue = django_rq.get_queue("default")
    # The publication's one task, which queues the job's run for its time.
    assert queue.count == 1 and ScheduledJobRegistry(queue=queue).count == 0
    early = rq_worker(rq_settings, tmp_path)
    assert early.returncode == 0, early.stderr
    assert queue.count == 0 and ScheduledJobRegistry(queue=queue).count == 1
    assert website.posts == [] and PublishJob.objects.get(case=case).status == "queued"
    time.sleep(max(0.0, (at - timezone.now()).total_seconds()) + 1)
    due = rq_worker(rq_settings, tmp_path)
    assert due.returncode == 0, due.stderr
    job = PublishJob.objects.get(case=case)
    assert job.status == "succeeded" and len(website.posts) == 1
    assert job.published_at >= at
