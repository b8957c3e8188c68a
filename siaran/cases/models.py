"""A case is one publication moving through one pinned SOP version."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.orgs.models import Organization, Person, SopVersion, Unit

STATUSES = [
    ("active", _("in progress")),
    ("publishing", _("publishing")),  # at the publish step, waiting for its channels
    ("completed", _("completed")),
    ("published", _("published")),
    ("withdrawn", _("withdrawn")),
    ("cancelled", _("cancelled")),
]


class Case(models.Model):
    # Every index of this table is written again by each transition (PostgreSQL cannot
    # update a row in place when an indexed column changes), so the foreign keys that no
    # query looks cases up by carry no index of their own: the organisation and the
    # creator lead composite indexes below, and cases are never listed by SOP version or
    # by who claimed their step.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    sop_version = models.ForeignKey(
        SopVersion, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
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
    last_hash = models.CharField(max_length=64, blank=True)  # hash of that event: the chain's head
    # The open step visit, kept on the case so that a transition writes one case row and
    # its timeline rows, and the inbox reads one table. Empty or null once closed.
    current_lane = models.CharField(max_length=64, blank=True)
    current_round = models.PositiveIntegerField(default=0)  # 1 the first time, 2 after a rework
    current_since = models.DateTimeField(null=True, blank=True)
    current_due = models.DateTimeField(null=True, blank=True)  # on the institution's calendar
    # When the open step's lane is reminded, and when its lateness is escalated; each is
    # cleared once done. Set by the transition itself, so that a step change queues no
    # task: the step timers (siaran.notifications) read these.
    remind_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims",
        db_index=False,
    )
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="cases_started", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["created_by", "-created_at"], name="cases_started_by"),
            # The inbox: open steps of my lanes, soonest due first.
            models.Index(
                fields=["organization", "sop_id", "current_lane", "current_due"],
                condition=models.Q(status="active"),
                name="open_steps_by_lane",
            ),
            # The step timers: what falls due next.
            models.Index(
                fields=["remind_at"], condition=models.Q(status="active"), name="cases_remind_at"
            ),
            models.Index(
                fields=["escalate_at"],
                condition=models.Q(status="active"),
                name="cases_escalate_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CaseEvent(models.Model):
    """The case's timeline and audit chain: every start, decision, send-back and end, every
    comment, file, content save, claim and download of a file.

    A `step_done` event is also the record of the finished step visit: its lane, when it
    began, when it was due and when it ended (`at`), for time taken against the standard.
    Each event carries the hash of the one before it (`siaran.audit.chain`), so that an
    edited, removed or reordered row is found by `siaran audit verify`.
    """

    # What an event's hash covers, by attribute name; the same for writers and verifier.
    HASHED = (
        "case_id",
        "seq",
        "kind",
        "step_id",
        "outcome",
        "actor_id",
        "on_behalf_of_id",
        "note",
        "round",
        "to_step",
        "at",
        "lane_id",
        "started_at",
        "due_at",
        "seconds_taken",
        "data",
    )

    # Every transition writes two or three rows here. The case's events are found through
    # the unique (case, seq) index, so the case needs none of its own; nothing looks
    # events up by whom an acting official stood in for.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    step_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    note = models.TextField(blank=True)
    round = models.PositiveIntegerField(default=0)
    to_step = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    lane_id = models.CharField(max_length=64, blank=True)  # step_done: the visit's lane
    started_at = models.DateTimeField(null=True, blank=True)  # step_done: the visit began
    due_at = models.DateTimeField(null=True, blank=True)  # step_done: it was due
    # step_done: clock seconds from start to end, kept so that reports aggregate a number
    seconds_taken = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)  # e.g. a file's name and SHA-256
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

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
    # The media's order as the editor set it, by attachment id; the first image is the
    # main one (the approval sheet's thumbnail, a carousel's cover). Empty: upload order.
    media_order = models.JSONField(default=list, blank=True)
    # Set when the SOP's last review passes: from then on the version cannot change, and
    # what is published must still have this content SHA-256 (siaran.cases.digest).
    approved_sha256 = models.CharField(max_length=64, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="version_unique_number")
        ]

    def ordered_media(self) -> list["Attachment"]:
        """The version's images and videos in the editor's order (upload order until the
        editor moves one); the first image is the main one."""
        files = sorted(self.media.all(), key=lambda a: a.pk)
        place = {pk: i for i, pk in enumerate(self.media_order or [])}
        return sorted(files, key=lambda a: place.get(a.pk, len(place)))

    @property
    def frozen(self) -> bool:
        return bool(self.approved_sha256)


def attachment_path(attachment: "Attachment", _filename: str) -> str:
    # The uploaded name is never trusted: files are stored by case and a random key.
    return f"cases/{attachment.case_id}/{attachment.key}{attachment.extension}"


def preview_path(attachment: "Attachment", _filename: str) -> str:
    return f"cases/{attachment.case_id}/{attachment.key}-preview.jpg"


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
    # The SOP document this file is (its `documents` id: a signed request form), when it
    # was attached as one a step `requires`; empty for content and other letters.
    output = models.CharField(max_length=64, blank=True)
    # What was read of an image or a video on upload (siaran.cases.media), for previews
    # and the platforms' rules; null when it could not be read.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # A small JPEG for pages on a phone: the image scaled down, or a video's poster frame.
    preview = models.FileField(upload_to=preview_path, max_length=300, blank=True)
    # A copy made for the platforms from an uploaded file they cannot take (a PNG poster
    # as JPEG for Instagram): `original` is the uploaded file, which stays the content.
    original = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="renditions"
    )


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
