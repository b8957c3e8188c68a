"""What a person is told: a step due soon, a step overdue, a mention in a comment, a post
that failed or could not be confirmed; a step that is now theirs, a case sent back to
them; a request of theirs approved or published."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.cases.models import Case
from siaran.orgs.models import Person

KINDS = [
    ("reminder", _("reminder")),
    ("escalation", _("escalation")),
    ("mention", _("mention")),
    ("post_failed", _("post failed")),
    ("post_unknown", _("post unconfirmed")),
    ("turn", _("your turn")),
    ("sent_back", _("sent back")),
    ("approved", _("approved")),
    ("published", _("published")),
]


class Notification(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=KINDS)
    # The step visit a reminder, escalation, turn or send-back is about: the case's
    # `lock_version` while the step was open (for approved and published, after the
    # transition). A task may run twice; one notification per visit, kind and person.
    visit = models.PositiveIntegerField(null=True, blank=True)
    step_id = models.CharField(max_length=64, blank=True)
    lane_id = models.CharField(max_length=64, blank=True)  # the late lane, for escalations
    due_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # who mentioned, sent back or approved
    # The step's activity, the comment mentioning, the channel of a post, the reason of a
    # send-back, or a published case's channels and links ("channel link" a line each).
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)  # sent alone or in a digest

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "case", "kind", "visit"],
                condition=models.Q(visit__isnull=False),
                name="notification_once_per_visit",
            )
        ]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="notification_by_person"),
            # The digest's work: what has not been mailed yet.
            models.Index(
                fields=["created_at"],
                condition=models.Q(mailed_at__isnull=True),
                name="notification_unmailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id} -> {self.person_id}"
