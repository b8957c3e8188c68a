"""The job runner: claims one publish job, sends or reconciles it, and keeps the books.

Never twice, never lost:
- A worker claims a job with a conditional UPDATE; two workers never run one job.
- The platform's post id is saved the moment it arrives, in its own transaction, and so
  is every id the platform hands back on the way (`Publication.remember`).
- A call whose outcome is unknown (a timeout or a dropped connection after the request
  was sent) makes the job `unknown`; its next run asks the platform (`reconcile`) before
  anything is sent again. A worker that died mid-call leaves a `running` job whose
  lease runs out; the next run treats it the same way.
- Transient trouble (5xx, 429, the network) is retried with exponential backoff and
  jitter, never sooner than the platform's Retry-After; permanent trouble stops at once
  and says why (errors.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from siaran.cases.digest import content_sha256
from siaran.cases.models import Attachment, ContentVersion
from siaran.notifications import actions as notifications

from . import actions, crypto, tasks
from .connectors import OutcomeUnknown, Post, Publication, PublishError, connector_class
from .media import MediaFile
from .models import PublishJob
from .rules import problems

logger = logging.getLogger("siaran.publishing")

# A claim lapses unless the worker shows progress (10 minutes).
LEASE = dt.timedelta(seconds=settings.SIARAN_PUBLISH_LEASE)
WATCH_GRACE = dt.timedelta(seconds=min(30.0, settings.SIARAN_PUBLISH_LEASE / 20))
MAX_ATTEMPTS = 8
BACKOFF_BASE = settings.SIARAN_PUBLISH_BACKOFF  # seconds before the first retry (30), doubling ...
BACKOFF_CAP = 3600.0  # ... up to an hour


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential, with jitter.

    Half the delay is fixed and half random ("equal jitter"), so that jobs that failed
    together do not return together; never sooner than the platform asked.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not a secret
    if retry_after is not None:
        delay = max(delay, retry_after + random.uniform(0, 1))  # noqa: S311
    return delay


class Claim:
    """A worker's hold on one job: every write is conditional on still holding it."""

    def __init__(self, job: PublishJob, token: str, lease_until: dt.datetime) -> None:
        self.job = job
        self.token = token
        self.lease_until = lease_until

    def write(self, **values) -> bool:
        values.setdefault("updated_at", timezone.now())
        return bool(PublishJob.objects.filter(pk=self.job.pk, claim=self.token).update(**values))

    def save_stage(self, stage: dict) -> None:
        """Progress also renews the lease: a long upload keeps its claim while it moves."""
        self.lease_until = timezone.now() + LEASE
        if not self.write(stage=stage, lease_until=self.lease_until):
            logger.warning("publish job %s: claim lost while saving progress", self.job.pk)

    def save_post(self, platform_id: str, response) -> None:
        now = timezone.now()
        self.job.platform_id, self.job.published_at = platform_id, now
        if not self.write(platform_id=platform_id, response=response, published_at=now):
            logger.warning(
                "publish job %s: claim lost as post %s arrived", self.job.pk, platform_id
            )


def run(job_id: int, *, now: dt.datetime | None = None) -> str:
    """Run one job if it is due and free; what happened, in a word (for logs and tests)."""
    now = now or timezone.now()
    job = PublishJob.objects.select_related("account", "case").filter(pk=job_id).first()
    if job is None or job.connector == "manual" or job.status in ("succeeded", "failed"):
        return "nothing"
    if job.status == "manual_done":
        return "nothing"
    if job.status == "running" and job.lease_until and job.lease_until > now:
        tasks.enqueue(job.pk, job.lease_until + WATCH_GRACE)  # look again when it lapses
        return "busy"
    if job.status in ("queued", "unknown") and job.run_after and job.run_after > now:
        return "early"  # a scheduled post, or a backoff: its own task comes at its time
    # Unknown, or running with a lapsed lease (its worker died mid-call): ask first.
    reconcile_first = job.status != "queued"
    claim = _claim(job, now)
    if claim is None:
        return "taken"
    tasks.enqueue(job.pk, claim.lease_until + WATCH_GRACE)  # in case this worker dies
    return _work(job, claim, reconcile_first, now)


def sweep(*, now: dt.datetime | None = None, grace: dt.timedelta = dt.timedelta(minutes=5)):
    """Queue a run for every job a worker should be on but may have no task for.

    A task can be lost outside the database (the queue's Redis emptied, an enqueue that
    failed after its commit). Jobs due for `grace` and still waiting, and running jobs
    whose lease lapsed, get a new task; a job that already has one is not harmed, as only
    one run can claim it. Returns the jobs' ids.
    """
    now = now or timezone.now()
    waiting = Q(status__in=["queued", "unknown"]) & (
        Q(run_after__lte=now - grace) | Q(run_after__isnull=True, updated_at__lte=now - grace)
    )
    lapsed = Q(status="running", lease_until__lte=now)
    # An unknown job that ran out of attempts waits for a person (_retry): left alone.
    stopped = Q(status="unknown", run_after__isnull=True, attempts__gte=MAX_ATTEMPTS)
    due = list(
        PublishJob.objects.filter(waiting | lapsed)
        .exclude(stopped)
        .exclude(connector="manual")
        .filter(case__status="publishing")
        .values_list("pk", flat=True)
    )
    for job_id in due:
        tasks.enqueue(job_id)
    return due


def _claim(job: PublishJob, now: dt.datetime) -> Claim | None:
    token = secrets.token_hex(8)
    lease_until = now + LEASE
    taken = PublishJob.objects.filter(
        pk=job.pk, status=job.status, claim=job.claim, attempts=job.attempts
    ).update(
        status="running",
        claim=token,
        lease_until=lease_until,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not taken:
        return None
    job.attempts += 1
    return Claim(job, token, lease_until)


def _work(job: PublishJob, claim: Claim, reconcile_first: bool, now: dt.datetime) -> str:
    connector = None
    reconciled = not reconcile_first
    try:
        if job.case.status in ("withdrawn", "cancelled"):
            raise PublishError("case_closed", permanent=True)
        account = job.account
        if account is None:
            raise PublishError("no_account", permanent=True)
        if not account.has_credentials:
            raise PublishError("no_credentials", permanent=True)
        try:
            # An access about to end is renewed first (with its refresh token, under the
            # account's row lock), so that it cannot end half-way through an upload.
            account = actions.channel_access_fresh(account, now=now)
            connector = connector_class(job.connector)(account)
        except crypto.CredentialsUnreadable:
            raise PublishError(
                "no_credentials",
                "encrypted with a key this deployment no longer has",
                permanent=True,
            ) from None
        publication = _publication(job, claim, now)
        _check_approved(job)  # before every call to the platform, whatever it is
        if reconcile_first:
            post = _reconcile(job, connector, publication)
            reconciled = True
            if post is not None:
                return _succeed(job, claim, post, now)
        if account.token_expires_at and account.token_expires_at <= now:
            raise PublishError("token_expired", permanent=True)
        actions.token_expiry_note(account, now=now)  # a week ahead, once
        found = problems(
            connector.rules, title=publication.title, text=publication.text, media=publication.media
        )
        if found:
            raise PublishError(
                "rules", permanent=True, values={"problems": [p.as_dict() for p in found]}
            )
        wait = actions.quota_wait(account, connector, now)
        if wait is not None:
            return _defer(job, claim, wait, "quota")
        if "since" not in publication.stage:
            publication.remember(since=now.isoformat())
        post = connector.publish(publication)
        return _succeed(job, claim, post, now)
    except OutcomeUnknown as error:
        return _unknown(job, claim, str(error), now)
    except PublishError as error:
        if error.permanent:
            return _fail(job, claim, error, now)
        return _retry(job, claim, error, "queued" if reconciled else "unknown", now)
    except Exception:
        # A fault of ours, perhaps after the platform took the post: ask before resending.
        logger.exception("publish job %s failed unexpectedly", job.pk)
        return _unknown(job, claim, "internal error", now)
    finally:
        if connector is not None:
            actions.account_limits_note(connector.account, connector.limits)
            connector.close()


def _publication(job: PublishJob, claim: Claim, now: dt.datetime) -> Publication:
    found = {a.pk: a for a in Attachment.objects.filter(pk__in=job.media, case_id=job.case_id)}
    if len(found) != len(set(job.media)):
        raise PublishError("bad_media", "a file of the post is missing", permanent=True)
    stage = dict(job.stage or {})
    since = parse_datetime(stage["since"]) if stage.get("since") else now
    return Publication(
        job_id=job.pk,
        title=job.title,
        text=job.caption,
        media=[MediaFile(found[pk]) for pk in job.media],
        stage=stage,
        since=since,
        save_stage=claim.save_stage,
        save_post=claim.save_post,
    )


def _check_approved(job: PublishJob) -> None:
    """Refuse to send anything but the approved content: the job's version must still be
    the case's newest, its content SHA-256 what was approved (and what the job was made
    from), and the job's files that version's own, or copies made of them for platforms.
    """
    if job.version is None:  # made before jobs kept their version: nothing to compare
        return
    newest = ContentVersion.objects.filter(case_id=job.case_id).order_by("-number").first()
    if newest is None or newest.number != job.version:
        raise PublishError("content_changed", "the content has a newer version", permanent=True)
    found = content_sha256(newest)
    approved = newest.approved_sha256 or found  # an SOP with no review approves nothing
    if not found == approved == job.content_sha256:
        raise PublishError(
            "content_changed",
            f"content SHA-256 {found} differs from the approved {job.content_sha256}",
            permanent=True,
        )
    own = {a.pk for a in newest.media.all()}
    copies = Attachment.objects.filter(original_id__in=own).values_list("pk", flat=True)
    if not set(job.media) <= own | set(copies):
        raise PublishError("content_changed", "a file of the post was not approved", permanent=True)


def _reconcile(job: PublishJob, connector, publication: Publication) -> Post | None:
    if job.platform_id:  # the id arrived before the worker stopped: the post exists
        return Post(job.platform_id, job.permalink, job.response)
    return connector.reconcile(publication)


def _succeed(job: PublishJob, claim: Claim, post: Post, now: dt.datetime) -> str:
    with transaction.atomic():
        actions.case_lock(job.case_id)
        if not claim.write(
            status="succeeded",
            platform_id=post.platform_id,
            permalink=post.permalink[:500],
            published_at=job.published_at or now,
            response=post.response if post.response is not None else {},
            error_code="",
            error_detail="",
            error_args={},
            claim="",
            lease_until=None,
            run_after=None,
        ):
            return "taken"
        actions.channel_event(job, "channel_published", note=post.permalink, now=now)
        actions.publication_settle(job.case_id, now=now)
    return "succeeded"


def _fail(job: PublishJob, claim: Claim, error: PublishError, now: dt.datetime) -> str:
    with transaction.atomic():
        if not claim.write(
            status="failed",
            error_code=error.code,
            error_detail=error.detail[:2000],
            error_args=error.values,
            response=error.response if error.response is not None else {},
            claim="",
            lease_until=None,
            run_after=None,
        ):
            return "taken"
        actions.channel_event(job, "channel_failed", now=now)
        if error.code in ("token_rejected", "token_expired") and job.account is not None:
            actions.account_rejected(job.account, error.detail or error.code, now=now)
        _tell(job, "post_failed", now)
    return "failed"


def _tell(job: PublishJob, kind: str, now: dt.datetime) -> None:
    """Whoever pressed publish and the publish step's lane learn that a post needs them."""
    notifications.post_trouble(
        case_id=job.case_id,
        channel=job.channel,
        kind=kind,
        started_by_id=job.started_by_id,
        now=now,
    )


def _retry(job: PublishJob, claim: Claim, error: PublishError, status: str, now) -> str:
    if job.attempts >= MAX_ATTEMPTS:
        if status == "unknown":
            # Still not known whether it was posted: it waits for a person, never resent.
            with transaction.atomic():
                if claim.write(
                    status="unknown",
                    error_code="unknown",
                    error_detail=error.detail,
                    claim="",
                    lease_until=None,
                    run_after=None,
                ):
                    _tell(job, "post_unknown", now)
            return "stopped"
        error = PublishError("gave_up", error.detail, permanent=True, response=error.response)
        return _fail(job, claim, error, now)
    # From the moment the platform answered, which a long upload puts well after `now`.
    run_after = max(now, timezone.now()) + dt.timedelta(
        seconds=backoff(job.attempts, error.retry_after)
    )
    claim.write(
        status=status,
        run_after=run_after,
        error_code=error.code,
        error_detail=error.detail[:2000],
        error_args={},
        claim="",
        lease_until=None,
    )
    tasks.enqueue(job.pk, run_after)
    return "retry"


def _unknown(job: PublishJob, claim: Claim, detail: str, now: dt.datetime) -> str:
    error = PublishError("unknown", detail, permanent=False)
    if job.attempts >= MAX_ATTEMPTS:
        return _retry(job, claim, error, "unknown", now)
    run_after = now + dt.timedelta(seconds=backoff(1))  # ask soon: the answer is out there
    claim.write(
        status="unknown",
        run_after=run_after,
        error_code="unknown",
        error_detail=detail[:2000],
        claim="",
        lease_until=None,
    )
    tasks.enqueue(job.pk, run_after)
    return "unknown"


def _defer(job: PublishJob, claim: Claim, until: dt.datetime, code: str) -> str:
    """Wait for the account's allowance; a wait is not a failed attempt."""
    claim.write(
        status="queued",
        run_after=until,
        error_code=code,
        error_detail="",
        claim="",
        lease_until=None,
        attempts=F("attempts") - 1,
    )
    tasks.enqueue(job.pk, until)
    return "deferred"
