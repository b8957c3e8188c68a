"""The only code that writes the audit log: events outside a case's timeline, and anchors.

Case events are chained by `siaran.cases.actions` on each case's own timeline.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def anchor_first(organization: Organization) -> AuditAnchor | None:
    """An institution's first anchor, sealed when it is created (or, for one made before
    anchors were, when Siaran is upgraded): from then on every day has one, and `siaran
    audit verify` reports an institution without any. It is dated the day before, so
    that the night's anchor of the first day is the next one."""
    if AuditAnchor.objects.filter(organization=organization).exists():
        return None
    return anchor(organization, timezone.localdate() - dt.timedelta(days=1))


def anchor_through(organization: Organization, day: dt.date) -> list[AuditAnchor]:
    """Seal every day after the institution's last anchor through `day`: a night the
    worker missed is sealed late rather than left out. Returns the anchors made."""
    last = (
        AuditAnchor.objects.filter(organization=organization)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    sealed, next_day = [], day if last is None else last + dt.timedelta(days=1)
    while next_day <= day:
        sealed.append(anchor(organization, next_day))
        next_day += dt.timedelta(days=1)
    return sealed


def anchor_document(sealed: AuditAnchor) -> dict:
    """An anchor as the copy kept outside Siaran (mailed to the internal control unit),
    which `siaran audit verify --anchors FILE` compares with the database."""
    return {
        "siaran_anchor": 1,
        "organization": sealed.organization.slug,
        "organization_id": sealed.organization_id,
        "day": sealed.day.isoformat(),
        "created_at": sealed.created_at.isoformat(),
        "heads": sealed.heads,
        "prev_hash": sealed.prev_hash,
        "hash": sealed.hash,
    }


def anchor_mail(sealed: AuditAnchor) -> bool:
    """Send the anchor to the address the institution names for it (its internal control
    unit, SPI). A copy out of reach of whoever runs the database is what makes deleting
    anchors, then a whole case, visible. False when no address is set."""
    organization = sealed.organization
    if not organization.audit_email:
        return False
    document = json.dumps(anchor_document(sealed), indent=2, ensure_ascii=False)
    with translation.override("id"):
        subject = _("[Siaran] Audit anchor of %(day)s, %(org)s") % {
            "day": sealed.day.isoformat(),
            "org": organization,
        }
        body = _(
            "Attached is the seal of Siaran's audit trail of %(org)s for %(day)s: the last "
            "event of every record that changed, as sealed that night. Keep these mails. "
            "Whoever runs Siaran can check the database against them with: siaran audit "
            "verify --anchors FILE. A record changed or deleted after it was sealed is then "
            "named, even if its anchors were deleted too."
        ) % {"org": organization.name, "day": sealed.day.isoformat()}
    message = mail.EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[organization.audit_email],
    )
    name = f"siaran-anchor-{organization.slug}-{sealed.day.isoformat()}.json"
    message.attach(name, document, "application/json")
    message.send()
    return True
