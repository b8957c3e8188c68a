"""A case is one publication moving through one pinned SOP version."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.orgs.models import Organization, Person, SopVersion, Unit

STATUSES = [
    ("active", _("in progress")),
    ("completed", _("completed")),
    ("published", _("published")),
    ("withdrawn", _("withdrawn")),
    ("cancelled", _("cancelled")),
]


class Case(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="cases")
    sop_version = models.ForeignKey(SopVersion, on_delete=models.PROTECT, related_name="cases")
    sop_id = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    requesting_unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    channels = models.JSONField(_("target channels"), default=list, blank=True)
    desired_date = models.DateField(_("desired publication date"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=STATUSES, default="active")
    state = models.JSONField(default=dict)  # siaran.sop.engine.CaseState.as_dict()
    current_step = models.CharField(max_length=64, blank=True)  # for queries; "" when closed
    rework_count = models.PositiveIntegerField(default=0)
    lock_version = models.PositiveIntegerField(default=0)  # bumped by every transition
    last_event = models.PositiveIntegerField(default=0)  # seq of the newest timeline event
    # The open step visit; a page or client names it so that a stale click changes nothing.
    current_run = models.ForeignKey(
        "StepRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases_started")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        indexes = [models.Index(fields=["organization", "status", "-created_at"])]

    def __str__(self) -> str:
        return self.title


class StepRun(models.Model):
    """One visit of a case to a step: who may act, when it is due, how it ended."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="runs")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    sop_id = models.CharField(max_length=64)
    step_id = models.CharField(max_length=64)
    lane_id = models.CharField(max_length=64)
    round = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step_id"],
                condition=models.Q(finished_at__isnull=True),
                name="one_open_run_per_step",
            )
        ]
        indexes = [
            # The inbox: open runs of my lanes, soonest due first.
            models.Index(
                fields=["organization", "sop_id", "lane_id", "due_at"],
                condition=models.Q(finished_at__isnull=True),
                name="open_runs_by_lane",
            )
        ]


class CaseEvent(models.Model):
    """The case's timeline: every start, decision, send-back, comment and upload."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    step_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    round = models.PositiveIntegerField(default=0)
    to_step = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_unique_seq")]


class ContentVersion(models.Model):
    """The content as written at one moment; a rework starts a new version."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=300)
    narrative = models.TextField(_("narrative"), blank=True)
    captions = models.JSONField(_("captions per channel"), default=dict, blank=True)
    hashtags = models.CharField(_("hashtags"), max_length=500, blank=True)
    media = models.ManyToManyField("Attachment", blank=True, related_name="in_versions")
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="version_unique_number")
        ]


def attachment_path(attachment: "Attachment", _filename: str) -> str:
    # The uploaded name is never trusted: files are stored by case and a random key.
    return f"cases/{attachment.case_id}/{attachment.key}{attachment.extension}"


class Attachment(models.Model):
    KINDS = [("document", _("document")), ("image", _("image")), ("video", _("video"))]
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)  # shown, cleaned, never a path
    kind = models.CharField(max_length=10, choices=KINDS)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    step_id = models.CharField(max_length=64, blank=True)


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    mentions = models.ManyToManyField(Person, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class SeenVersion(models.Model):
    """The content version a person last saw, so a reviewer sees what changed since."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="seen_version_unique")
        ]
