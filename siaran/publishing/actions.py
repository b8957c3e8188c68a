"""The only code that changes channel accounts and publish jobs.

Views, the API, tasks and commands call these; the case itself changes only through
`siaran.cases.actions` (its publishing hook), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

import filetype
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.audit.actions import record
from siaran.cases import actions as case_actions
from siaran.cases.actions import ActionError, case_publication_finish, case_publishing_event
from siaran.cases.definitions import definition
from siaran.cases.digest import content_sha256
from siaran.cases.models import Case, CaseEvent
from siaran.cases.selectors import visible_cases
from siaran.core.queue import enqueue_with_change
from siaran.orgs.models import Person
from siaran.orgs.selectors import lanes_of
from siaran.sop.model import PLATFORMS

from . import crypto, oauth, tasks
from .connectors import REGISTRY, PublishError, connector_class
from .media import MediaFile
from .models import ChannelAccount, PublishJob, QuotaUse
from .rules import problems
from .selectors import EXPIRY_WARNING, can_retry, channel_post

PROOF_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
PROOF_LIMIT = 20 * 2**20

# -- publishing a case -------------------------------------------------------------------


def publication_start(
    *,
    person: Person,
    case: Case,
    on_behalf: Person | None = None,
    channels: list[str] | None = None,
    at: dt.datetime | None = None,
    now: dt.datetime,
) -> Case:
    """Start publishing a case at its publish step: one job per chosen channel.

    Called by `cases.actions.case_decide` once the engine has accepted `publish` from
    `person`. A channel already published or on its way is left alone, so choosing
    `publish` again retries only the channels that failed.
    """
    chosen = list(dict.fromkeys(case.channels if channels is None else channels))
    unknown = [c for c in chosen if c not in case.channels]
    if unknown:
        raise ActionError(
            ActionError.INVALID,
            "unknown_channel",
            _("This case does not publish to: %(channels)s.") % {"channels": ", ".join(unknown)},
        )
    if channels is not None and not chosen:
        raise ActionError(ActionError.INVALID, "no_channel", _("Choose at least one channel."))
    at = _when(at, person, now)
    if not case.channels:  # nowhere to post: the step is done
        with transaction.atomic():
            case_lock(case.pk, case.lock_version)
            return case_publication_finish(case_id=case.pk, person=person, now=now)
    version = case.versions.order_by("-number").prefetch_related("media").first()
    files = version.ordered_media()
    case_actions.renditions_ensure(files, chosen)  # for files older than their channels
    media = [MediaFile(a) for a in files]
    # What every job of this publication must still find before it calls the platform:
    # the approved digest, or (an SOP with no review) the content as it is now.
    digest = version.approved_sha256 or content_sha256(version)
    accounts = ChannelAccount.objects.filter(organization_id=case.organization_id)
    accounts = {a.channel: a for a in accounts}
    # A case still `active` has never started publishing: it has no jobs, and no worker
    # touches it yet, so the case's own conditional UPDATE (below, first of the writes)
    # is guard enough. A retry holds the row, as the workers settling its jobs do.
    first = case.status == "active"
    with transaction.atomic():
        locked = None if first else case_lock(case.pk, case.lock_version)
        jobs = {} if first else {j.channel: j for j in PublishJob.objects.filter(case=case)}
        new, retried = [], []
        for channel in chosen:
            job = jobs.get(channel)
            if job is not None and job.status != "failed":
                continue  # published, on its way, or being checked: never twice
            if job is None:
                job = PublishJob(case=case, organization_id=case.organization_id)
                new.append(job)
            else:
                retried.append(job)
            _prepare(job, channel, accounts.get(channel), version, media, person, at)
            job.version, job.content_sha256 = version.number, digest
        if not new and not retried:
            raise ActionError(
                ActionError.CONFLICT,
                "already_publishing",
                _("Every chosen channel is already published or on its way."),
            )
        started = new + retried
        case_publishing_event(
            case_id=case.pk,
            kind="publish_started",
            now=now,
            person=person,
            on_behalf=on_behalf,
            note=", ".join(j.channel for j in started),
            status="publishing",
            locked=locked,
            case=case if first else None,
        )
        PublishJob.objects.bulk_create(new)
        for job in retried:
            job.save()
        sent = [j.pk for j in started if j.status == "queued" and j.connector != "manual"]
        if sent:  # one task, whatever the number of channels: it queues each job's run
            enqueue_with_change(tasks.publish_jobs_start, sent)
    if not first:  # the event was written on a copy read under the lock
        case.last_event += 1
    return case


def _when(at: dt.datetime | None, person: Person, now: dt.datetime) -> dt.datetime | None:
    """A scheduled time, in the institution's zone when none is given; None for now."""
    if at is None:
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at, zoneinfo.ZoneInfo(person.organization.time_zone))
    if at < now - dt.timedelta(minutes=1):
        raise ActionError(
            ActionError.INVALID,
            "time_passed",
            _("That time has passed; choose a later time or publish now."),
        )
    return at if at > now else None


def _prepare(job, channel, account, version, media, person, at) -> None:
    """Fill a new or failed job from the newest content: the channel's text and media."""
    connector = account.connector if account is not None else "manual"
    job.channel = channel
    job.account = account
    job.connector = connector
    job.title = version.title
    # The platform's text and media apply whoever posts; a person posting by hand gets
    # every file to choose from.
    job.caption, chosen = channel_post(channel, version, media)
    if connector == "manual":
        chosen = list(media)
    job.media = [m.id for m in chosen]
    job.status = "queued"
    job.run_after = at
    job.attempts = 0
    job.claim = ""
    job.lease_until = None
    job.stage = {}
    job.platform_id = job.permalink = ""
    job.published_at = None
    job.response = {}
    job.error_code = job.error_detail = ""
    job.error_args = {}
    job.started_by = person
    job.done_by = None
    if connector != "manual":
        found = problems(
            connector_class(connector).rules, title=job.title, text=job.caption, media=chosen
        )
        if found:  # nothing is sent: the page and the API say what to fix
            job.status = "failed"
            job.error_code = "rules"
            job.error_args = {"problems": [p.as_dict() for p in found]}


def publication_retry(*, person: Person, case_id: int, channel: str, now=None) -> PublishJob:
    """Try one channel again: a failed one is sent anew, an unknown one is asked first."""
    now = now or timezone.now()
    case, _step, on_behalf = _publishing_case(person, case_id)
    job = _job(case, channel)
    if job.status == "failed" and not can_retry(job):
        raise ActionError(
            ActionError.INVALID,
            "not_retryable",
            _(
                "This channel failed because of the content itself; a retry would fail the "
                "same way. Post it by hand and record the link instead."
            ),
        )
    if job.status == "failed":
        publication_start(
            person=person, case=case, on_behalf=on_behalf, channels=[channel], now=now
        )
    elif job.status == "unknown":
        with transaction.atomic():
            if PublishJob.objects.filter(pk=job.pk, status="unknown").update(
                run_after=None, attempts=0, updated_at=now
            ):
                transaction.on_commit(lambda: tasks.enqueue(job.pk), robust=True)
    else:
        raise ActionError(
            ActionError.CONFLICT,
            "not_failed",
            _("This channel has not failed; there is nothing to retry."),
        )
    job.refresh_from_db()
    return job


def publication_done_by_hand(
    *, person: Person, case_id: int, channel: str, permalink: str, screenshot, now=None
) -> PublishJob:
    """Record a post made by hand: its link and a screenshot as proof."""
    now = now or timezone.now()
    case, _step, on_behalf = _publishing_case(person, case_id)
    job = _job(case, channel)
    permalink = (permalink or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(permalink)
    except ValidationError:
        raise ActionError(
            ActionError.INVALID,
            "bad_link",
            _("Give the post's full link, starting with https://."),
        ) from None
    extension = _proof_extension(screenshot)
    if job.status not in ("queued", "failed", "unknown"):
        raise ActionError(
            ActionError.CONFLICT,
            "publication_busy",
            _("Siaran is sending this channel right now, or it is already published."),
        )
    job.proof_key, job.proof_extension = secrets.token_hex(16), extension
    job.proof.save("proof", screenshot, save=False)
    try:
        with transaction.atomic():
            case_lock(case.pk)
            if not PublishJob.objects.filter(pk=job.pk, status=job.status, claim="").update(
                status="manual_done",
                permalink=permalink[:500],
                published_at=now,
                done_by=person,
                proof=job.proof.name,
                proof_key=job.proof_key,
                proof_extension=extension,
                run_after=None,
                error_code="",
                error_detail="",
                error_args={},
                updated_at=now,
            ):
                raise ActionError(
                    ActionError.CONFLICT,
                    "publication_busy",
                    _("Siaran is sending this channel right now, or it is already published."),
                )
            channel_event(
                job,
                "channel_done_by_hand",
                now=now,
                person=person,
                on_behalf=on_behalf,
                note=permalink,
            )
            publication_settle(case.pk, now=now)
    except Exception:
        job.proof.delete(save=False)  # no orphan file when nothing was recorded
        raise
    job.refresh_from_db()
    return job


def _proof_extension(screenshot) -> str:
    if screenshot is None:
        raise ActionError(
            ActionError.INVALID, "screenshot_required", _("Add a screenshot of the post.")
        )
    head = screenshot.read(8192)
    screenshot.seek(0)
    kind = filetype.guess(head)
    extension = PROOF_TYPES.get(kind.mime if kind else "")
    if extension is None:
        raise ActionError(
            ActionError.INVALID,
            "screenshot_type",
            _("The screenshot must be an image (JPEG, PNG or WebP)."),
        )
    if screenshot.size > PROOF_LIMIT:
        raise ActionError(
            ActionError.INVALID,
            "file_size",
            _("The file is too large: at most %(mb)d MB for this kind of file.")
            % {"mb": PROOF_LIMIT // 2**20},
        )
    return extension


def _publishing_case(person: Person, case_id: int):
    """A case being published, whose publish step `person` may act on (or stand in for)."""
    case = visible_cases(person).select_related("sop_version").filter(pk=case_id).first()
    if case is None:
        raise ActionError(ActionError.NOT_FOUND, "not_found", _("No such case."))
    if case.status != "publishing":
        raise ActionError(
            ActionError.CONFLICT, "not_publishing", _("This case is not being published.")
        )
    step = definition(case.sop_version).step(case.current_step)
    lanes = lanes_of(person, case.sop_id)
    if step.lane not in lanes:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_your_lane",
            _("Only the people of the publish step can do this."),
        )
    return case, step, lanes.get(step.lane)


def _job(case: Case, channel: str) -> PublishJob:
    job = PublishJob.objects.filter(case=case, channel=channel).first()
    if job is None:
        raise ActionError(
            ActionError.NOT_FOUND,
            "no_publication",
            _("This case is not being published on that channel."),
        )
    return job


# -- bookkeeping for the runner and the actions above -------------------------------------


def case_lock(case_id: int, lock_version: int | None = None) -> dict:
    """Hold the case row for this transaction; events and settling take turns on it.

    With `lock_version`: the case must not have moved since it was read. Returns what
    `case_publishing_event` needs of the row, so that it need not read it again.
    """
    row = (
        Case.objects.select_for_update()
        .filter(pk=case_id)
        .values("lock_version", "last_event", "status")
        .first()
    )
    if row is None or (lock_version is not None and row["lock_version"] != lock_version):
        raise ActionError(
            ActionError.CONFLICT,
            "moved_on",
            _("Someone else has just acted on this step; the case has moved on. Reload to see it."),
        )
    return row


def channel_event(job: PublishJob, kind: str, *, now, note: str = "", person=None, on_behalf=None):
    case_publishing_event(
        case_id=job.case_id,
        kind=kind,
        now=now,
        channel=job.channel,
        person=person,
        on_behalf=on_behalf,
        note=note,
    )


def publication_settle(case_id: int, *, now: dt.datetime) -> bool:
    """Publish the case when every channel is published or done by hand.

    In the caller's transaction, after `case_lock`: of two workers finishing the last
    two channels at once, the second to take the lock sees both done.
    """
    statuses = list(PublishJob.objects.filter(case_id=case_id).values_list("status", flat=True))
    publishing = Case.objects.filter(pk=case_id, status="publishing").exists()
    if (
        not publishing
        or not statuses
        or any(s not in ("succeeded", "manual_done") for s in statuses)
    ):
        return False
    started = (
        CaseEvent.objects.filter(case_id=case_id, kind="publish_started")
        .select_related("actor__organization")
        .order_by("-seq")
        .first()
    )
    case_publication_finish(case_id=case_id, person=started.actor, now=now)
    return True


def quota_wait(account: ChannelAccount, connector, now: dt.datetime) -> dt.datetime | None:
    """When the account may post next, if its quota is used up now; else spend one post.

    Two kinds of limit: what the platform says (Instagram's publishing limit, X's rate
    limit headers) and a ledger Siaran keeps of its own spends in the platform's window
    (YouTube's daily upload units, TikTok's requests per minute).
    """
    wait = connector.wait_before_publish(now)
    if wait is not None and wait > now:
        return wait
    if connector.quota is None:
        return None
    allowance, window = connector.quota
    with transaction.atomic():  # two workers of one account take turns on its ledger
        ChannelAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk").first()
        fixed_start = connector.quota_window_start(now)  # a calendar day, or None: rolling
        spends = QuotaUse.objects.filter(account=account, at__gt=fixed_start or now - window)
        used = spends.aggregate(total=Sum("units"))["total"] or 0
        if used + connector.quota_units > allowance:
            if fixed_start is not None:
                return fixed_start + window
            oldest = spends.order_by("at").values_list("at", flat=True).first() or now
            return oldest + window + dt.timedelta(seconds=1)
        QuotaUse.objects.create(account=account, at=now, units=connector.quota_units)
    return None


def account_limits_note(account: ChannelAccount | None, limits: dict) -> None:
    """Keep the rate limits the platform last announced, for the account's next post."""
    if account is None or not limits:
        return
    merged = {**(account.limits or {}), **limits}
    if merged != account.limits:
        account.limits = merged
        ChannelAccount.objects.filter(pk=account.pk).update(limits=merged)


def account_rejected(account: ChannelAccount, detail: str, *, now: dt.datetime) -> None:
    """The platform refused the account's credentials (or its refresh token): the
    connection is broken until an administrator reconnects it. Marked, audited, and told
    to the administrators once: a second refusal of the same broken access says nothing."""
    first = ChannelAccount.objects.filter(pk=account.pk, rejected_at__isnull=True).update(
        rejected_at=now, rejected_detail=detail[:2000]
    )
    account.rejected_at, account.rejected_detail = now, detail
    if not first:
        return
    record(
        "channel_broken",
        organization=account.organization,
        data={"channel": account.channel, "connector": account.connector, "detail": detail[:500]},
    )
    from . import notify  # mail is sent once the refusal is on record

    transaction.on_commit(lambda: notify.account_rejected(account.pk), robust=True)


def token_expiry_note(account: ChannelAccount, *, now: dt.datetime) -> bool:
    """Warn the administrators, once per expiry, when the account's access ends within a
    week (selectors.EXPIRY_WARNING). True when a warning went out now. An access Siaran
    renews itself (a refresh token) is not warned of: a failed renewal is."""
    expires = account.token_expires_at
    if expires is None or account.by_hand or account.can_refresh or expires - EXPIRY_WARNING > now:
        return False
    with transaction.atomic():
        if (
            not ChannelAccount.objects.filter(pk=account.pk, token_expires_at=expires)
            .exclude(expiry_warned_for=expires)
            .update(expiry_warned_for=expires)
        ):
            return False  # warned already, by this run or another
        from . import notify

        transaction.on_commit(lambda: notify.token_expiring(account.pk), robust=True)
    account.expiry_warned_for = expires
    return True


def channel_tokens_check(*, now: dt.datetime | None = None) -> list[ChannelAccount]:
    """Warn about every account whose access expires within a week (`siaran
    channels_check`, daily); the accounts warned now."""
    now = now or timezone.now()
    soon = ChannelAccount.objects.filter(
        token_expires_at__isnull=False,
        token_expires_at__lte=now + EXPIRY_WARNING,
        can_refresh=False,
    ).exclude(connector="manual")
    return [account for account in soon if token_expiry_note(account, now=now)]


# -- channel accounts ----------------------------------------------------------------------


def channel_account_save(
    *,
    admin: Person,
    channel: str,
    connector: str,
    handle: str = "",
    account_id: str = "",
    base_url: str = "",
    credentials: dict[str, str] | None = None,
    token_expires_at: dt.datetime | None = None,
) -> ChannelAccount:
    """Connect a channel of the administrator's institution, or change how it is posted.

    A credential left blank keeps the one saved before: saved credentials are never
    shown again, so an administrator re-enters only what changed.
    """
    if not admin.is_admin:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can do this."),
        )
    if channel not in PLATFORMS:
        raise ActionError(ActionError.INVALID, "unknown_channel", _("Unknown channel."))
    cls = REGISTRY.get(connector)
    if cls is None or (connector != "manual" and cls.channel != channel):
        raise ActionError(
            ActionError.INVALID,
            "wrong_connector",
            _("This channel cannot be posted that way."),
        )
    base_url = (base_url or "").strip()
    if base_url:
        try:
            URLValidator(schemes=["http", "https"])(base_url)
        except ValidationError:
            raise ActionError(
                ActionError.INVALID, "bad_link", _("The API address must start with https://.")
            ) from None
    elif connector == "wordpress":
        raise ActionError(ActionError.INVALID, "site_required", _("Give the website's address."))
    account_id = (account_id or "").strip()
    if cls.needs_account_id and not account_id:
        raise ActionError(
            ActionError.INVALID,
            "account_id_required",
            _("Give the account's id on the platform."),
        )
    account = ChannelAccount.objects.filter(
        organization=admin.organization, channel=channel
    ).first()
    account = account or ChannelAccount(organization=admin.organization, channel=channel)
    try:
        saved = account.credentials
    except crypto.CredentialsUnreadable:
        saved = {}  # encrypted with a key since removed: it must be entered again
    given = {k: v.strip() for k, v in (credentials or {}).items() if v and v.strip()}
    merged = {f.key: given.get(f.key) or saved.get(f.key, "") for f in cls.credential_fields}
    if not given and connector == account.connector and saved.get("refresh_token"):
        # The name or address changed, not the access: it keeps renewing itself.
        merged["refresh_token"] = saved["refresh_token"]
    missing = [f.label for f in cls.credential_fields if not merged[f.key]]
    if missing:
        raise ActionError(
            ActionError.INVALID,
            "credentials_required",
            _("Enter the account's %(fields)s.") % {"fields": ", ".join(missing)},
        )
    if given or connector != account.connector:
        account.rejected_at, account.rejected_detail = None, ""  # new access: try it afresh
    if token_expires_at != account.token_expires_at:
        account.expiry_warned_for = None
    if given or connector != account.connector:
        # An access entered by hand: Siaran cannot renew it (a refresh token is for the
        # access it came with), so its expiry is warned of again.
        account.connected_via = "" if connector == "manual" else "token"
        account.can_refresh = False
    account.connector = connector
    account.handle = (handle or "").strip()[:200]
    if not account_id and not cls.needs_account_id and connector == account.connector:
        account_id = account.account_id  # learnt when connected; the form does not ask it
    account.account_id = account_id[:200]
    account.base_url = base_url
    account.credentials_encrypted = crypto.encrypt(merged)
    account.token_expires_at = token_expires_at
    account.updated_by = admin
    with transaction.atomic():
        account.save()
        record(
            "channel_saved",
            actor=admin,
            data={
                "channel": channel,
                "connector": connector,
                "handle": account.handle,
                "account_id": account.account_id,
                "new_credentials": sorted(given),  # which were entered, never their values
            },
        )
    return account


def channel_account_authorize(
    *,
    admin: Person,
    channel: str,
    tokens: oauth.Tokens,
    handle: str = "",
    account_id: str = "",
    base_url: str = "",
    now: dt.datetime | None = None,
) -> ChannelAccount:
    """Connect a channel with the tokens its platform's authorization page granted.

    A reconnect of the same account that brings no refresh token keeps the one saved
    before (Google sends one only at the first consent), so the access still renews.
    """
    now = now or timezone.now()
    if not admin.is_admin:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can do this."),
        )
    connector = REGISTRY.get(channel_connector(channel))
    if connector is None or not tokens.access_token:
        raise ActionError(ActionError.INVALID, "unknown_channel", _("Unknown channel."))
    with transaction.atomic():
        account = (
            ChannelAccount.objects.select_for_update()
            .filter(organization=admin.organization, channel=channel)
            .first()
        ) or ChannelAccount(organization=admin.organization, channel=channel)
        try:
            saved = account.credentials if account.pk else {}
        except crypto.CredentialsUnreadable:
            saved = {}
        same_account = not account.account_id or account.account_id == (account_id or "")
        refresh_token = tokens.refresh_token or (
            saved.get("refresh_token", "") if same_account else ""
        )
        credentials = {"access_token": tokens.access_token}
        if refresh_token:
            credentials["refresh_token"] = refresh_token
        account.connector = connector.name
        account.handle = (handle or "").strip()[:200]
        account.account_id = (account_id or "").strip()[:200]
        account.base_url = base_url
        account.credentials_encrypted = crypto.encrypt(credentials)
        account.token_expires_at = tokens.expires_at
        account.connected_via = "oauth"
        account.can_refresh = bool(refresh_token)
        account.refreshed_at = None
        account.rejected_at, account.rejected_detail = None, ""
        account.expiry_warned_for = None
        account.updated_by = admin
        account.save()
        record(
            "channel_connected",
            actor=admin,
            data={
                "channel": channel,
                "connector": connector.name,
                "handle": account.handle,
                "account_id": account.account_id,
                "renews": account.can_refresh,
                "refresh_token_kept": bool(refresh_token and not tokens.refresh_token),
            },
        )
    return account


def channel_connector(channel: str) -> str:
    """The connector that posts to `channel` through its platform's API."""
    from .connectors import for_channel

    return for_channel(channel).name


def channel_access_fresh(
    account: ChannelAccount, *, now: dt.datetime | None = None, margin: dt.timedelta | None = None
) -> ChannelAccount:
    """The account with an access that lasts past `margin` (SIARAN_OAUTH_REFRESH_MARGIN):
    renewed with its refresh token first if it ends sooner. Called before every call to
    the platform (the runner, the check) and ahead of time by `siaran channels_check`.

    The account's row is locked while the platform is asked, so that two workers never
    both spend a refresh token that rotates (X, TikTok): the second finds the access
    renewed and uses it. Where the answer has no refresh token (Google), the one held is
    kept. A refusal (revoked, expired) breaks the connection: marked, audited and told to
    the administrators once; it raises PublishError("token_rejected"). A platform that
    cannot be asked now raises a PublishError that is retried.
    """
    from django.conf import settings

    now = now or timezone.now()
    if margin is None:
        margin = dt.timedelta(seconds=settings.SIARAN_OAUTH_REFRESH_MARGIN)
    if not _refresh_due(account, now, margin):
        return account
    refused = ""
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        if not _refresh_due(locked, now, margin):
            return locked  # another worker renewed it while this one waited
        client = oauth.client(locked.connector)
        try:
            held = locked.credentials
        except crypto.CredentialsUnreadable:
            held = {}
        if client is None or not held.get("refresh_token"):
            return locked  # nothing to renew it with: the expiry is warned of as before
        try:
            tokens = oauth.refresh(client, held["refresh_token"])
        except oauth.Unavailable as error:
            raise PublishError(
                "network", f"refreshing the access: {error}", permanent=False
            ) from error
        except oauth.Refused as error:
            refused = str(error) or "invalid_grant"
            locked.can_refresh = False
            locked.save(update_fields=["can_refresh", "updated_at"])
            account_rejected(locked, refused, now=now)
        else:
            held["access_token"] = tokens.access_token
            if tokens.refresh_token:  # rotated: the old one no longer works
                held["refresh_token"] = tokens.refresh_token
            locked.credentials_encrypted = crypto.encrypt(held)
            locked.token_expires_at = tokens.expires_at
            locked.refreshed_at = now
            locked.expiry_warned_for = None
            locked.save(
                update_fields=[
                    "credentials_encrypted",
                    "token_expires_at",
                    "refreshed_at",
                    "expiry_warned_for",
                    "updated_at",
                ]
            )
            record(
                "channel_access_renewed",
                organization=locked.organization,
                data={
                    "channel": locked.channel,
                    "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
                    "refresh_token_rotated": bool(tokens.refresh_token),
                },
            )
    if refused:
        raise PublishError("token_rejected", refused, permanent=True)
    return locked


def _refresh_due(account: ChannelAccount, now: dt.datetime, margin: dt.timedelta) -> bool:
    return bool(
        account.can_refresh
        and not account.rejected_at
        and (account.token_expires_at is None or account.token_expires_at <= now + margin)
    )


def channel_access_renew_due(
    *, now: dt.datetime | None = None, ahead: dt.timedelta = dt.timedelta(days=1)
) -> list[tuple[ChannelAccount, str]]:
    """Renew every access that ends within `ahead` and can be renewed (`siaran
    channels_check`): a TikTok access of a day stays alive between posts, and a revoked
    grant is found and told before a post needs it. Each account with "renewed",
    "broken" or "later" (the platform could not be asked)."""
    now = now or timezone.now()
    due = ChannelAccount.objects.filter(can_refresh=True, rejected_at__isnull=True).filter(
        models.Q(token_expires_at__isnull=True) | models.Q(token_expires_at__lte=now + ahead)
    )
    outcomes = []
    for account in due.select_related("organization"):
        try:
            channel_access_fresh(account, now=now, margin=ahead)
        except PublishError as error:
            outcomes.append((account, "broken" if error.permanent else "later"))
        else:
            outcomes.append((account, "renewed"))
    return outcomes


def channel_account_check(*, admin: Person, channel: str, now=None) -> str:
    """Ask the platform who these credentials are: the account's name there.

    A refusal is recorded as any rejected token is, so the page says it at once.
    """
    now = now or timezone.now()
    account = _admin_account(admin, channel)
    if account.by_hand:
        return ""
    try:
        account = channel_access_fresh(account, now=now)
    except PublishError as error:
        raise ActionError(
            ActionError.INVALID,
            "check_failed",
            _("The platform did not accept the connection: %(detail)s")
            % {"detail": error.detail or error.code},
        ) from error
    connector = connector_class(account.connector)(account, timeout=15)
    try:
        name = connector.verify()
    except PublishError as error:
        if error.code == "token_rejected":
            with transaction.atomic():
                account_rejected(account, error.detail or error.code, now=now)
        raise ActionError(
            ActionError.INVALID,
            "check_failed",
            _("The platform did not accept the connection: %(detail)s")
            % {"detail": error.detail or error.code},
        ) from error
    finally:
        connector.close()
    if account.rejected_at:
        ChannelAccount.objects.filter(pk=account.pk).update(rejected_at=None, rejected_detail="")
    return name


def _admin_account(admin: Person, channel: str) -> ChannelAccount:
    if not admin.is_admin:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can do this."),
        )
    account = ChannelAccount.objects.filter(
        organization=admin.organization, channel=channel
    ).first()
    if account is None:
        raise ActionError(ActionError.NOT_FOUND, "no_account", _("This channel is not connected."))
    return account


def channel_account_remove(*, admin: Person, channel: str) -> None:
    """Disconnect a channel: its jobs not yet sent will say there is no account."""
    if not admin.is_admin:
        raise ActionError(
            ActionError.FORBIDDEN,
            "not_admin",
            _("Only an administrator of your institution can do this."),
        )
    with transaction.atomic():
        removed, _kinds = ChannelAccount.objects.filter(
            organization=admin.organization, channel=channel
        ).delete()
        if removed:
            record("channel_removed", actor=admin, data={"channel": channel})
