"""The archive's record of each case: its retention class under the institution's
retention schedule (JRA, Jadwal Retensi Arsip), the decisions taken at its review date,
and consent for content that shows a patient or a child (UU 27/2022)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.cases.models import Attachment, Case
from siaran.orgs.models import Organization, Person

PERMANENT = "permanen"
DESTROY = "musnah"
REASSESS = "dinilai-kembali"
DISPOSITIONS = [
    (PERMANENT, _("keep permanently")),
    (DESTROY, _("destroy")),
    (REASSESS, _("assess again")),
]


class RetentionClass(models.Model):
    """One line of the institution's retention schedule (JRA)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="retention_classes"
    )
    code = models.CharField(_("code"), max_length=40)  # the classification code, "HM.02"
    name = models.CharField(_("name"), max_length=200)
    active_years = models.PositiveSmallIntegerField(_("active years"))
    inactive_years = models.PositiveSmallIntegerField(_("inactive years"))
    disposition = models.CharField(_("final disposition"), max_length=20, choices=DISPOSITIONS)
    basis = models.CharField(_("basis"), max_length=300, blank=True)  # the regulation it follows
    # Cases nobody classified take this one.
    is_default = models.BooleanField(_("default for new cases"), default=False)

    class Meta:
        verbose_name = _("retention class")
        ordering = ["organization", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="retention_code_unique"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(is_default=True),
                name="retention_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def total_years(self) -> int:
        return self.active_years + self.inactive_years


class CaseRecord(models.Model):
    """How the archive holds one case. Absent until someone classifies it or flags it:
    then its class is the institution's default and no consent is needed."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="record")
    retention_class = models.ForeignKey(
        RetentionClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_on = models.DateField(null=True, blank=True)  # set by a decision to keep it longer
    kept_permanently = models.BooleanField(default=False)
    disposed_at = models.DateTimeField(null=True, blank=True)
    # The content shows a patient or a child: its final review needs a consent record.
    needs_consent = models.BooleanField(_("shows a patient or a child"), default=False)


class RecordEvent(models.Model):
    """Every change to a case's record: append-only, never deleted, not even by disposal.

    `data` keeps what the change needs to be understood later: the class chosen, the new
    review date, and for a disposal the list of what was destroyed.
    """

    CLASSIFIED = "classified"
    CONSENT_FLAGGED = "consent_flagged"
    CONSENT_CLEARED = "consent_cleared"
    CONSENT_RECORDED = "consent_recorded"
    EXTENDED = "extended"
    KEPT = "kept_permanently"
    DISPOSED = "disposed"
    KINDS = [
        (CLASSIFIED, _("retention class set")),
        (CONSENT_FLAGGED, _("flagged: shows a patient or a child")),
        (CONSENT_CLEARED, _("consent flag cleared")),
        (CONSENT_RECORDED, _("consent recorded")),
        (EXTENDED, _("kept until a later review")),
        (KEPT, _("kept permanently")),
        (DISPOSED, _("disposed of")),
    ]

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="record_events")
    kind = models.CharField(max_length=20, choices=KINDS)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "at", "pk"]


class ConsentRecord(models.Model):
    """A signed consent (a PDF or a photo of the form) for content showing a patient or a
    child. Its file is kept with the case but is never part of the content's media."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    attachment = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("whose consent"), max_length=200)
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "pk"]
