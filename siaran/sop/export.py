"""A definition as plain JSON-ready values: what `siaran sop show --json` and the API give."""

from __future__ import annotations

import datetime as dt

from .model import Person, Sop, Step


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _person(person: Person) -> dict:
    return {"name": person.name, "title": person.title, "nip": person.nip}


def sop_as_json(sop: Sop) -> dict:
    return {
        "id": sop.id,
        "name": sop.name,
        "name_en": sop.name_en,
        "number": sop.number,
        "institution": sop.institution,
        "parent_organisation": sop.parent_organisation,
        "made": _date(sop.made),
        "revision": sop.revision,
        "revised": _date(sop.revised),
        "effective": _date(sop.effective),
        "ratified_by": _person(sop.ratified_by),
        "approved_by": _person(sop.approved_by),
        "prepared_by": _person(sop.prepared_by) if sop.prepared_by else None,
        "examined_by": [_person(person) for person in sop.examined_by],
        "legal_basis": list(sop.legal_basis),
        "qualifications": list(sop.qualifications),
        "related": list(sop.related),
        "equipment": list(sop.equipment),
        "warnings": list(sop.warnings),
        "records": list(sop.records),
        "separate_duties": [list(pair) for pair in sop.separate_duties],
        "documents": [
            {"id": d.id, "label": d.label, "label_en": d.label_en} for d in sop.documents
        ],
        "lanes": [
            {
                "id": lane.id,
                "name": lane.name,
                "name_en": lane.name_en,
                "holder": lane.holder,
                "inferred": lane.inferred,
                "inferred_reason": lane.inferred_reason,
            }
            for lane in sop.lanes
        ],
        "steps": [_step(step) for step in sop.steps],
    }


def _step(step: Step) -> dict:
    data = {
        "id": step.id,
        "no": step.no,
        "activity": step.activity,
        "activity_en": step.activity_en,
        "lane": step.lane,
        "kind": step.kind,
        "inputs": list(step.inputs),
        "duration": step.time.iso(),
        "open_ended": step.time.open_ended,
        "time": step.time_text,
        "output": step.output,
        "remarks": step.remarks,
        "outcomes": [
            {
                "id": outcome.id,
                "label": outcome.label,
                "label_en": outcome.label_en,
                "next": outcome.next,
                "note_required": outcome.note_required,
                "inferred": outcome.inferred,
                "inferred_reason": outcome.inferred_reason,
            }
            for outcome in step.outcomes
        ],
        "next": step.next,
        "channels": [
            {"platform": c.platform, "handle": c.handle, "name": c.name, "url": c.url}
            for c in step.channels
        ],
        "assignment": step.assignment,
        "signs_approval_sheet": step.signs_approval_sheet,
        "edits_content": step.edits_content,
        "inferred": list(step.inferred),
        "inference_note": step.inference_note,
        "requires": list(step.requires),
    }
    if step.kind == "review":
        del data["next"]  # a review leads on through its outcomes; null would mean "ends"
    return data
