"""Checks every chain and every anchor; names the first thing that does not hold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.cases.models import Case, CaseEvent
from siaran.orgs.models import Organization

from .chain import GENESIS, digest
from .models import AuditAnchor, AuditChain

# The nightly anchor of a day is made after midnight; a day is missing only once the
# night after the next has passed too.
GRACE_DAYS = 2


def first_break(copies: list[dict] | None = None) -> str | None:
    """A sentence naming the first broken event or anchor, or None when all hold.
    `copies`: anchors kept outside Siaran (audit.actions.anchor_document), compared too."""
    return next(problems(copies), None)


def problems(copies: list[dict] | None = None) -> Iterator[str]:
    yield from _case_chains()
    yield from _audit_chains()
    yield from _anchors()
    yield from _anchor_days()
    if copies is not None:
        yield from _against_copies(copies)


def _case_chains() -> Iterator[str]:
    heads = {
        pk: (seq, head)
        for pk, seq, head in Case.objects.values_list("pk", "last_event", "last_hash")
    }
    rows = CaseEvent.objects.order_by("case_id", "seq").values(
        *CaseEvent.HASHED, "prev_hash", "hash"
    )
    seen: set[int] = set()
    case_id, expected, previous = None, 1, GENESIS
    for row in rows.iterator(chunk_size=2000):
        if row["case_id"] != case_id:
            if case_id is not None:
                yield from _chain_end(case_id, expected - 1, previous, heads)
            case_id, expected, previous = row["case_id"], 1, GENESIS
            seen.add(case_id)
        name = _("case %(case)s, event %(seq)s (%(kind)s at %(at)s)") % {
            "case": row["case_id"],
            "seq": row["seq"],
            "kind": row["kind"],
            "at": row["at"].isoformat(timespec="seconds"),
        }
        if row["case_id"] not in heads:
            yield _("%(event)s: its case is gone.") % {"event": name}
        if row["seq"] != expected:
            yield _("%(event)s: event %(expected)s is missing or out of order.") % {
                "event": name,
                "expected": expected,
            }
        elif row["prev_hash"] != previous:
            yield _("%(event)s: it does not follow the event before it.") % {"event": name}
        elif digest(previous, {k: row[k] for k in CaseEvent.HASHED}) != row["hash"]:
            yield _("%(event)s: its content was changed.") % {"event": name}
        expected, previous = row["seq"] + 1, row["hash"]
    if case_id is not None:
        yield from _chain_end(case_id, expected - 1, previous, heads)
    for pk, (seq, _head) in sorted(heads.items()):
        if pk not in seen and seq:
            yield _("case %(case)s: its events are missing.") % {"case": pk}


def _chain_end(case_id, last_seq, last_hash, heads) -> Iterator[str]:
    if case_id in heads and heads[case_id] != (last_seq, last_hash):
        yield _("case %(case)s: its events after event %(seq)s are missing or changed.") % {
            "case": case_id,
            "seq": last_seq,
        }


def _audit_chains() -> Iterator[str]:
    for chain in AuditChain.objects.order_by("pk"):
        expected, previous = 1, GENESIS
        for event in chain.events.order_by("seq").iterator():
            name = _("audit event %(seq)s of %(chain)s (%(kind)s at %(at)s)") % {
                "seq": event.seq,
                "chain": chain,
                "kind": event.kind,
                "at": event.at.isoformat(timespec="seconds"),
            }
            if event.seq != expected:
                yield _("%(event)s: event %(expected)s is missing or out of order.") % {
                    "event": name,
                    "expected": expected,
                }
            elif event.prev_hash != previous:
                yield _("%(event)s: it does not follow the event before it.") % {"event": name}
            elif digest(previous, event.content()) != event.hash:
                yield _("%(event)s: its content was changed.") % {"event": name}
            expected, previous = event.seq + 1, event.hash
        if (chain.last_seq, chain.last_hash) != (expected - 1, previous):
            yield _("%(chain)s: its events after event %(seq)s are missing or changed.") % {
                "chain": chain,
                "seq": expected - 1,
            }


def _anchors() -> Iterator[str]:
    cases = {f"case:{pk}" for pk in Case.objects.values_list("pk", flat=True)}
    event_hashes = {
        (f"case:{case_id}", seq): hash_
        for case_id, seq, hash_ in CaseEvent.objects.values_list("case_id", "seq", "hash")
    }
    org_chains = {c.organization_id: c for c in AuditChain.objects.all()}
    org_hashes = {
        (chain.organization_id, seq): hash_
        for chain in org_chains.values()
        for seq, hash_ in chain.events.values_list("seq", "hash")
    }
    anchors = AuditAnchor.objects.order_by("organization_id", "day")
    organization, previous = None, GENESIS
    for anchor in anchors:
        if anchor.organization_id != organization:
            organization, previous = anchor.organization_id, GENESIS
        name = _("the anchor of %(day)s of institution %(org)s") % {
            "day": anchor.day.isoformat(),
            "org": anchor.organization_id,
        }
        if anchor.prev_hash != previous:
            yield _("%(anchor)s: an anchor before it is missing or changed.") % {"anchor": name}
        elif digest(previous, anchor.content()) != anchor.hash:
            yield _("%(anchor)s: its content was changed.") % {"anchor": name}
        previous = anchor.hash
        for chain, (seq, head) in sorted(anchor.heads.items()):
            if chain == "org":
                found = org_hashes.get((anchor.organization_id, seq)) if seq else GENESIS
            elif chain not in cases:
                yield _("%(anchor)s: %(chain)s is gone.") % {"anchor": name, "chain": chain}
                continue
            else:
                found = event_hashes.get((chain, seq))
            if found != head:
                yield _("%(anchor)s: %(chain)s no longer holds event %(seq)s as sealed.") % {
                    "anchor": name,
                    "chain": chain,
                    "seq": seq,
                }


def _anchor_days() -> Iterator[str]:
    """Every institution has anchors from its first day on, one for each day: deleting an
    institution's anchors (to drop a whole case unseen) leaves a day without one."""
    days: dict[int, set] = {}
    for organization_id, day in AuditAnchor.objects.values_list("organization_id", "day"):
        days.setdefault(organization_id, set()).add(day)
    last_due = timezone.localdate() - dt.timedelta(days=GRACE_DAYS)
    for organization in Organization.objects.order_by("pk"):
        sealed = days.get(organization.pk)
        if not sealed:
            yield _("Institution %(org)s has no audit anchor at all.") % {"org": organization}
            continue
        day, missing = min(sealed), []
        while day <= last_due:
            if day not in sealed:
                missing.append(day)
            day += dt.timedelta(days=1)
        if missing:
            yield _(
                "Institution %(org)s has no audit anchor for %(count)d days, the first "
                "%(first)s and the last %(last)s."
            ) % {
                "org": organization,
                "count": len(missing),
                "first": missing[0].isoformat(),
                "last": missing[-1].isoformat(),
            }


def _against_copies(copies: list[dict]) -> Iterator[str]:
    """Each anchor kept outside Siaran is in the database as it was sent."""
    stored = {
        (organization_id, day.isoformat()): hash_
        for organization_id, day, hash_ in AuditAnchor.objects.values_list(
            "organization_id", "day", "hash"
        )
    }
    for copy in copies:
        key = (copy.get("organization_id"), copy.get("day"))
        name = _("the anchor of %(day)s of institution %(org)s") % {
            "day": copy.get("day"),
            "org": copy.get("organization_id"),
        }
        if key not in stored:
            yield _("%(anchor)s, kept outside, is missing from the database.") % {"anchor": name}
        elif stored[key] != copy.get("hash"):
            yield _("%(anchor)s differs from the copy kept outside.") % {"anchor": name}
