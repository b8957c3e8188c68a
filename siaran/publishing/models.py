"""Channel accounts of an institution, and one publish job per case x channel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.cases.models import Case
from siaran.orgs.models import Organization, Person
from siaran.sop.model import PLATFORMS

from . import crypto


class ChannelAccount(models.Model):
    """How an institution posts to one channel: through the platform's API, or by hand.

    The credentials are encrypted at rest (`crypto`) and never rendered back: pages only
    say whether they are set and when they expire.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="channel_accounts"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=[(p, p) for p in PLATFORMS])
    connector = models.CharField(_("how it is posted"), max_length=20)  # connectors.REGISTRY
    handle = models.CharField(_("account name"), max_length=200, blank=True)  # @rumahsakitotak
    # The platform's own id of the account: Instagram user, Facebook Page, X user,
    # YouTube channel, TikTok open_id. Unused by WordPress and by hand.
    account_id = models.CharField(_("account id on the platform"), max_length=200, blank=True)
    # Blank: the platform's own API address. WordPress: the site. Demo and tests: a sandbox.
    base_url = models.URLField(_("API address"), max_length=300, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(_("access expires"), null=True, blank=True)
    # The last time the platform refused the credentials, and what it said.
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_detail = models.TextField(blank=True)
    expiry_warned_for = models.DateTimeField(null=True, blank=True)  # expiry already warned of
    # "oauth": connected through the platform's authorization page; "token": pasted by hand.
    connected_via = models.CharField(max_length=10, blank=True)
    # A refresh token is kept (encrypted, with the access token): Siaran renews the access
    # itself before it ends, so nobody is warned of its expiry.
    can_refresh = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # What the platform last said about its rate limits, per limit: {"remaining", "reset"}.
    limits = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel account")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel"], name="channel_account_unique_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.handle}".strip()

    @property
    def credentials(self) -> dict[str, str]:
        return crypto.decrypt(self.credentials_encrypted)

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    @property
    def by_hand(self) -> bool:
        return self.connector == "manual"


class QuotaUse(models.Model):
    """One spend against an account's quota (a post, an upload's quota units)."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    units = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["account", "at"], name="quota_use_by_account")]


JOB_STATUSES = [
    ("queued", _("waiting")),
    ("running", _("sending")),
    ("succeeded", _("published")),
    ("failed", _("failed")),
    ("unknown", _("checking")),  # sent, answer lost: the platform is asked before a retry
    ("manual_done", _("done by hand")),
]
DONE = ("succeeded", "manual_done")


def proof_path(job: PublishJob, _filename: str) -> str:
    return f"cases/{job.case_id}/proof-{job.channel}-{job.proof_key}{job.proof_extension}"


class PublishJob(models.Model):
    """Publishing one case to one channel: at most one per pair, and never posted twice.

    `stage` keeps what the platform handed back on the way (a container, an upload
    session, a publish id), each saved the moment it arrives, so that a job whose last
    call's outcome is unknown can ask the platform what became of it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="publish_jobs")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    account = models.ForeignKey(
        ChannelAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    connector = models.CharField(max_length=20)  # "manual" when a person posts it
    status = models.CharField(max_length=12, choices=JOB_STATUSES, default="queued")
    title = models.CharField(max_length=300, blank=True)
    caption = models.TextField(blank=True)  # the text as posted
    media = models.JSONField(default=list, blank=True)  # attachment ids, in order
    # The approved content version the job posts, and its content SHA-256: checked against
    # the approval before every call to the platform, and kept as what was sent.
    version = models.PositiveIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    run_after = models.DateTimeField(null=True, blank=True)  # scheduled, or backing off
    attempts = models.PositiveIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)  # the running worker's token
    lease_until = models.DateTimeField(null=True, blank=True)
    stage = models.JSONField(default=dict, blank=True)
    platform_id = models.CharField(max_length=200, blank=True)
    permalink = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(default=dict, blank=True)  # the platform's answer, raw
    error_code = models.CharField(max_length=40, blank=True)  # errors.EXPLANATIONS
    error_detail = models.TextField(blank=True)  # the platform's own words
    error_args = models.JSONField(default=dict, blank=True)
    proof = models.FileField(upload_to=proof_path, max_length=300, blank=True)
    proof_key = models.CharField(max_length=32, blank=True)
    proof_extension = models.CharField(max_length=10, blank=True)
    started_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    done_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "channel"], name="publish_job_unique_channel")
        ]
        indexes = [
            # The sweep: jobs a worker should be on, soonest first.
            models.Index(
                fields=["run_after"],
                condition=models.Q(status__in=["queued", "unknown", "running"]),
                name="publish_jobs_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.channel}"

    @property
    def done(self) -> bool:
        return self.status in DONE
