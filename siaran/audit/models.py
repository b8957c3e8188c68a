"""The audit log beside the case timelines.

What happens to a case is chained on the case's own timeline (`cases.CaseEvent`, one
chain per case, so two cases never wait for each other). Everything else (logins,
failed logins, changes of people, lanes, settings, SOPs, channels) is chained here, one
chain per institution. A daily anchor per institution seals the heads of all its chains,
so that dropping a whole case, or the end of a chain, is found too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from siaran.orgs.models import Organization, Person


class AuditChain(models.Model):
    """The head of one institution's chain (or of the chain of logins nobody owns)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"org:{self.organization_id}" if self.organization_id else "global"


class AuditEvent(models.Model):
    chain = models.ForeignKey(AuditChain, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # as typed, for failed logins
    ip = models.CharField(max_length=45, blank=True)
    data = models.JSONField(default=dict, blank=True)  # never a secret or a password
    at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_unique_seq")
        ]

    def content(self) -> dict:
        """What the hash covers."""
        return {
            "chain": str(self.chain_id),
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor_id,
            "username": self.username,
            "ip": self.ip,
            "data": self.data,
            "at": self.at,
        }


class AuditAnchor(models.Model):
    """One institution's seal for one day: the head of every chain it had then."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    heads = models.JSONField()  # {"case:<id>": [seq, hash], "org": [seq, hash]}
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="audit_anchor_per_day")
        ]

    def content(self) -> dict:
        return {
            "organization": self.organization_id,
            "day": self.day,
            "heads": self.heads,
            "created_at": self.created_at,
        }
