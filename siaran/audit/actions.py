"""The only code that writes the audit log: events outside a case's timeline, and anchors.

Case events are chained by `siaran.cases.actions` on each case's own timeline.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from siaran.cases.models import Case
from siaran.orgs.models import Organization, Person

from .chain import GENESIS, digest
from .models import AuditAnchor, AuditChain, AuditEvent


def record(
    kind: str,
    *,
    organization: Organization | None = None,
    actor: Person | None = None,
    username: str = "",
    ip: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append an event to its institution's chain (or to the chain of logins that name
    nobody). Never pass a secret or a password in `data`."""
    if organization is None and actor is not None:
        organization = actor.organization
    with transaction.atomic():
        chain, _created = AuditChain.objects.get_or_create(organization=organization)
        # One institution's events other than case work are few: they may queue here.
        chain = AuditChain.objects.select_for_update().get(pk=chain.pk)
        event = AuditEvent(
            chain=chain,
            seq=chain.last_seq + 1,
            kind=kind,
            actor=actor,
            username=username[:150],
            ip=ip[:45],
            data=data or {},
            at=timezone.now(),
            prev_hash=chain.last_hash,
        )
        event.hash = digest(event.prev_hash, event.content())
        event.save()
        chain.last_seq, chain.last_hash = event.seq, event.hash
        chain.save(update_fields=["last_seq", "last_hash"])
    return event


def anchor(organization: Organization, day: dt.date | None = None) -> AuditAnchor:
    """Seal the day: the head of every chain of `organization` that changed since its last
    anchor, chained to that anchor. Once a day is sealed it stays as it was."""
    now = timezone.now()
    day = day or timezone.localdate(now)
    existing = AuditAnchor.objects.filter(organization=organization, day=day).first()
    if existing is not None:
        return existing
    previous = (
        AuditAnchor.objects.filter(organization=organization, day__lt=day).order_by("-day").first()
    )
    cases = Case.objects.filter(organization=organization, last_event__gt=0)
    if previous is not None:
        cases = cases.filter(updated_at__gte=previous.created_at)
    heads = {
        f"case:{pk}": [seq, head]
        for pk, seq, head in cases.values_list("pk", "last_event", "last_hash")
    }
    chain = AuditChain.objects.filter(organization=organization).first()
    if chain is not None:
        heads["org"] = [chain.last_seq, chain.last_hash]
    sealed = AuditAnchor(
        organization=organization,
        day=day,
        heads=heads,
        prev_hash=previous.hash if previous else GENESIS,
        created_at=now,
    )
    sealed.hash = digest(sealed.prev_hash, sealed.content())
    sealed.save()
    return sealed


def anchor_all(day: dt.date | None = None) -> list[AuditAnchor]:
    return [anchor(organization, day) for organization in Organization.objects.order_by("pk")]
