"""Checks every chain and every anchor; names the first thing that does not hold."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from siaran.cases.models import Case, CaseEvent

from .chain import GENESIS, digest
from .models import AuditAnchor, AuditChain


def first_break() -> str | None:
    """A sentence naming the first broken event or anchor, or None when all hold."""
    return next(problems(), None)


def problems() -> Iterator[str]:
    yield from _case_chains()
    yield from _audit_chains()
    yield from _anchors()


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
