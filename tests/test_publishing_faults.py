"""Never twice, never lost: faults of real platforms, over real sockets, with WordPress.

The platform-specific reconciliations (Instagram, X, YouTube, TikTok, Facebook) are in
test_connectors.py; these check the runner's own rules.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from siaran.cases import actions as case_actions
from siaran.publishing import runner
from siaran.publishing.models import PublishJob
from siaran.publishing.sandbox import WordPressSandbox
from tests.publishing import at_publish_step, connect


@pytest.fixture
def wordpress():
    with WordPressSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def website_job(demo, wordpress, settings):
    """A Poltekkes case publishing to its website through the WordPress sandbox."""
    settings.SIARAN_PUBLISH_TIMEOUT = 0.5
    connect(demo["poltekkes-jkt2-admin"], "website", "wordpress", wordpress.url)
    humas = demo["poltekkes-jkt2-anggota"]
    case = at_publish_step(humas)
    case_actions.case_decide(person=humas, case_id=case.pk, outcome="publish", channels=["website"])
    return PublishJob.objects.get(case=case, channel="website")


def told(job: PublishJob, what: str = "person") -> list[tuple[str, str]]:
    """Who learned of the job's post (or the kind), and the sentence, in Indonesian."""
    from django.utils import translation

    from siaran.notifications.models import Notification
    from siaran.notifications.templatetags.notifications import notification_text

    notes = Notification.objects.filter(case_id=job.case_id, kind__startswith="post_")
    with translation.override("id"):
        return [
            (n.kind if what == "kind" else n.person.user.username, notification_text(n))
            for n in notes.select_related("person__user", "case")
        ]


def later(job: PublishJob) -> dt.datetime:
    job.refresh_from_db()
    return job.run_after + dt.timedelta(seconds=1)


@pytest.mark.django_db
def test_a_timeout_after_the_platform_took_the_post_is_reconciled_not_posted_twice(
    website_job, wordpress
):
    wordpress.fail(r"/wp/v2/posts$", "accept_then_hang", method="POST", hang=1.5)
    assert runner.run(website_job.pk) == "unknown"
    website_job.refresh_from_db()
    assert website_job.status == "unknown" and website_job.error_code == "unknown"
    assert len(wordpress.posts) == 1  # the platform has it, Siaran does not know yet
    assert website_job.stage["slug"] == wordpress.posts[0]["slug"]
    assert runner.run(website_job.pk) == "early"  # not before its time
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    website_job.refresh_from_db()
    assert website_job.status == "succeeded"
    assert website_job.platform_id == str(wordpress.posts[0]["id"])
    assert len(wordpress.posts) == 1 and wordpress.count("POST", r"/wp/v2/posts$") == 1
    assert wordpress.count("GET", r"/wp/v2/posts$") == 1  # asked, once
    website_job.case.refresh_from_db()
    assert website_job.case.status == "published"


@pytest.mark.django_db
def test_a_dropped_connection_after_the_post_is_reconciled_too(website_job, wordpress):
    wordpress.fail(r"/wp/v2/posts$", "accept_then_drop", method="POST")
    assert runner.run(website_job.pk) == "unknown"
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    assert len(wordpress.posts) == 1


@pytest.mark.django_db
def test_an_unknown_outcome_that_did_not_post_is_sent_after_asking(website_job, wordpress):
    # The connection drops before the platform acted: asking finds nothing, so it posts.
    wordpress.fail(r"/wp/v2/posts$", "drop", method="POST", after_bytes=0)
    assert runner.run(website_job.pk) == "unknown"
    assert wordpress.posts == []
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    assert len(wordpress.posts) == 1


@pytest.mark.django_db
def test_a_429_waits_at_least_as_long_as_retry_after(website_job, wordpress):
    wordpress.fail(
        r"/wp/v2/posts$",
        "status",
        method="POST",
        status=429,
        headers={"Retry-After": "120"},
        body={"code": "too_many_requests", "message": "Slow down", "data": {"status": 429}},
    )
    before = timezone.now()
    assert runner.run(website_job.pk, now=before) == "retry"
    website_job.refresh_from_db()
    assert website_job.status == "queued" and website_job.error_code == "rate_limited"
    assert website_job.run_after >= before + dt.timedelta(seconds=120)
    assert wordpress.posts == []
    assert runner.run(website_job.pk, now=before + dt.timedelta(seconds=60)) == "early"
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    assert len(wordpress.posts) == 1


@pytest.mark.django_db
def test_a_server_error_on_a_post_is_asked_about_before_a_retry(website_job, wordpress):
    wordpress.fail(r"/wp/v2/posts$", "status", method="POST", status=502, body="Bad Gateway")
    assert runner.run(website_job.pk) == "unknown"  # a gateway may have passed it on
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    assert wordpress.count("GET", r"/wp/v2/posts$") == 1 and len(wordpress.posts) == 1


@pytest.mark.django_db
def test_transient_errors_back_off_exponentially_and_then_give_up(website_job, wordpress):
    wordpress.fail(r"/wp/v2/media$", "status", method="POST", status=503, times=100)
    delays = []
    now = timezone.now()
    while True:
        result = runner.run(website_job.pk, now=now)
        website_job.refresh_from_db()
        if result != "retry":
            break
        delays.append((website_job.run_after - now).total_seconds())
        now = website_job.run_after + dt.timedelta(seconds=1)
    assert result == "failed" and website_job.error_code == "gave_up"
    failed = (
        f'Unggahan "{website_job.case.title}" di Situs web gagal. Buka kasusnya untuk melihat'
        " sebabnya, lalu coba lagi atau unggah secara manual."
    )
    # Who pressed publish (the upload lane), and who asked for the case (the newest first).
    assert told(website_job) == [
        ("poltekkes-jkt2-pengarah", failed),
        ("poltekkes-jkt2-anggota", failed),
    ]
    assert len(delays) == runner.MAX_ATTEMPTS - 1
    for attempt, delay in enumerate(delays, 1):
        ceiling = min(runner.BACKOFF_CAP, runner.BACKOFF_BASE * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling  # exponential, with jitter
    assert wordpress.posts == []


def test_backoff_spreads_jobs_that_failed_together():
    delays = {round(runner.backoff(3), 3) for _ in range(50)}
    assert len(delays) > 40 and all(60 <= d <= 120 for d in delays)
    assert runner.backoff(1, retry_after=600) >= 600


@pytest.mark.django_db
def test_a_claim_is_taken_once(website_job):
    stale = PublishJob.objects.get(pk=website_job.pk)
    first = runner._claim(PublishJob.objects.get(pk=website_job.pk), timezone.now())
    assert first is not None
    assert runner._claim(stale, timezone.now()) is None  # read before, claimed after: refused


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_job(website_job, wordpress, settings):
    """Two workers start the same job at the same moment: one posts, the other stands back."""
    settings.SIARAN_PUBLISH_TIMEOUT = 5
    wordpress.fail(r"/wp/v2/posts$", "accept_then_hang", method="POST", hang=0.5)
    results, start = [], threading.Barrier(2)

    def worker():
        start.wait()
        try:
            results.append(runner.run(website_job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in (["busy", "succeeded"], ["succeeded", "taken"])
    assert len(wordpress.posts) == 1 and wordpress.count("POST", r"/wp/v2/posts$") == 1


@pytest.mark.django_db
def test_a_worker_that_died_mid_call_leaves_a_job_that_is_asked_about(website_job, wordpress):
    # The post went out and its id was saved, then the worker died before finishing.
    wordpress.fail(r"/wp/v2/posts$", "accept_then_hang", method="POST", hang=1.5)
    runner.run(website_job.pk)
    PublishJob.objects.filter(pk=website_job.pk).update(
        status="running", claim="dead", lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert runner.run(website_job.pk) == "succeeded"
    assert len(wordpress.posts) == 1 and wordpress.count("POST", r"/wp/v2/posts$") == 1


@pytest.mark.django_db
def test_a_running_job_with_a_live_lease_is_left_alone(website_job, wordpress):
    PublishJob.objects.filter(pk=website_job.pk).update(
        status="running", claim="alive", lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert runner.run(website_job.pk) == "busy"
    assert wordpress.calls == []


@pytest.mark.django_db
def test_the_post_id_is_saved_the_moment_it_arrives(website_job, wordpress, monkeypatch):
    """Even if everything after the post fails, its id is already on record."""

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(runner, "_succeed", broken)
    assert runner.run(website_job.pk) == "unknown"  # our fault: ask before anything else
    website_job.refresh_from_db()
    assert website_job.platform_id == str(wordpress.posts[0]["id"])
    monkeypatch.undo()
    assert runner.run(website_job.pk, now=later(website_job)) == "succeeded"
    assert wordpress.count("POST", r"/wp/v2/posts$") == 1


@pytest.mark.django_db
def test_the_sweep_gives_a_job_that_lost_its_task_a_new_one(website_job, wordpress, monkeypatch):
    queued = []
    monkeypatch.setattr("siaran.publishing.tasks.enqueue", lambda *args: queued.append(args))
    now = timezone.now()
    assert runner.sweep(now=now) == []  # just made: its own task is on its way
    later_on = now + dt.timedelta(minutes=10)
    assert runner.sweep(now=later_on) == [website_job.pk]
    # A worker died mid-call: its lapsed lease brings the job back too.
    PublishJob.objects.filter(pk=website_job.pk).update(
        status="running", claim="dead", lease_until=now
    )
    assert runner.sweep(now=now + dt.timedelta(seconds=1)) == [website_job.pk]
    PublishJob.objects.filter(pk=website_job.pk).update(status="succeeded")
    assert runner.sweep(now=later_on) == []
    assert [args[0] for args in queued] == [website_job.pk, website_job.pk]


@pytest.mark.django_db
def test_the_sweep_leaves_an_unknown_job_that_waits_for_a_person(website_job, wordpress):
    """Found by the long fault run: a job stopped after its last attempt (outcome still
    unknown) was run again by every sweep, its attempts climbing past 800."""
    wordpress.fail(r"/wp/v2/posts$", "status", method="GET", status=503, times=100)
    PublishJob.objects.filter(pk=website_job.pk).update(
        status="unknown", attempts=runner.MAX_ATTEMPTS, stage={"slug": "x-s1"}
    )
    assert runner.run(website_job.pk) == "stopped"  # the platform cannot tell: a person decides
    website_job.refresh_from_db()
    assert website_job.status == "unknown" and website_job.run_after is None
    assert [kind for kind, _text in told(website_job, "kind")] == ["post_unknown"]
    assert runner.sweep(now=timezone.now() + dt.timedelta(hours=1)) == []
    assert len(wordpress.posts) == 0  # and nothing was sent
    assert len(told(website_job)) == 1  # told once
