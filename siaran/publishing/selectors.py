"""Read queries for publishing: a case's publications, an institution's channels."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from siaran.cases.models import Case, ContentVersion

from .connectors import REGISTRY, connector_class, for_channel
from .errors import explain, retryable
from .media import MediaFile
from .models import ChannelAccount, PublishJob
from .rules import Problem, problems

EXPIRY_WARNING = dt.timedelta(days=7)  # administrators are warned this long before


def publications_of(case: Case) -> list[dict]:
    """Each channel's publication: what the API answers and the case page shows."""
    jobs = PublishJob.objects.filter(case=case).order_by("pk")
    return [
        {
            "channel": job.channel,
            "status": job.status,
            "by_hand": job.connector == "manual",
            "permalink": job.permalink or None,
            "platform_id": job.platform_id or None,
            "published_at": job.published_at,
            "run_after": job.run_after,
            "attempts": job.attempts,
            "error": explain(job) or None,
            "error_code": job.error_code or None,
            # The content SHA-256 of the approved version the job sent (siaran.cases.digest).
            "content_sha256": job.content_sha256 or None,
            # A failure of the content itself is not retried (errors.NOT_RETRYABLE).
            "retryable": can_retry(job),
        }
        for job in jobs
    ]


def can_retry(job: PublishJob) -> bool:
    """May a retry of this job succeed? Not after a failure of the content itself
    (errors.NOT_RETRYABLE), unless it was the platform's rules and the content as it is
    now keeps them (a rendition made since, or the rules changed)."""
    if job.status != "failed":
        return True
    if job.error_code == "rules":
        return not _breaks_rules(job)
    return retryable(job)


def _breaks_rules(job: PublishJob) -> bool:
    """Does the newest content break the rules of the job's platform? As _prepare asks."""
    version = ContentVersion.objects.filter(case_id=job.case_id).order_by("-number").first()
    if version is None:
        return True
    text, media = channel_post(
        job.channel, version, [MediaFile(a) for a in version.ordered_media()]
    )
    rules = (
        connector_class(job.connector).rules
        if job.connector in REGISTRY
        else for_channel(job.channel).rules
    )
    return bool(problems(rules, title=version.title, text=text, media=media))


def channel_post(channel: str, version: ContentVersion, media: list[MediaFile]):
    """The text and the media of `version` that `channel`'s post gets, as its platform's
    connector composes and selects them (a platform's copy of an image in its place)."""
    platform = for_channel(channel)
    text = platform.compose(
        caption=(version.captions or {}).get(channel, ""),
        narrative=version.narrative,
        hashtags=version.hashtags,
    )
    return text, platform.select_media(media)


def channel_problems(case: Case, version: ContentVersion | None) -> dict[str, list[Problem]]:
    """What the content breaks on each of the case's channels, shown while writing it."""
    if version is None:
        return {}
    media = [MediaFile(a) for a in version.ordered_media()]
    found = {}
    for channel in case.channels:
        text, chosen = channel_post(channel, version, media)
        rules = for_channel(channel).rules
        found[channel] = problems(rules, title=version.title, text=text, media=chosen)
    return found


def accounts_of(organization) -> list[ChannelAccount]:
    return list(ChannelAccount.objects.filter(organization=organization).order_by("channel"))


def accounts_needing_care(organization, now: dt.datetime | None = None) -> list[ChannelAccount]:
    """Accounts whose access was refused (a broken connection) or expires within a week
    with nothing to renew it: the administrator acts."""
    now = now or timezone.now()
    return [
        a
        for a in accounts_of(organization)
        if a.rejected_at
        or (not a.can_refresh and a.token_expires_at and a.token_expires_at < now + EXPIRY_WARNING)
    ]
