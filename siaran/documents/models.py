"""The record of every approval sheet issued: what its QR code and short code are checked
against on the public verification page."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.cases.models import Attachment, Case
from siaran.orgs.models import Person


class ApprovalSheet(models.Model):
    """One issued approval sheet of a case's content version.

    A sheet is never changed: when reviews go on, the content changes or a new version is
    made, a new sheet is issued and this one is superseded.
    """

    code = models.CharField(_("code"), max_length=10, unique=True)  # "K7Q2MX9D3P"
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approval_sheets")
    version_number = models.PositiveIntegerField()  # the content version it approves
    content_sha256 = models.CharField(max_length=64)  # siaran.cases.digest, when issued
    # The seq of the newest review decision the sheet shows: a later decision supersedes it.
    reviews_through = models.PositiveIntegerField()
    final = models.BooleanField(default=False)  # the SOP's last review has passed forward
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # The PDF as issued, kept with the case's files; empty once the archive disposed of it.
    document = models.ForeignKey(
        Attachment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("approval sheet")
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}"
