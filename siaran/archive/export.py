"""A case as one ZIP file: everything the archive holds about it, for an auditor.

The ZIP is streamed as it is written: a file is read from storage a megabyte at a time
and leaves at once, so a case with 2 GB of video costs no memory and no disk. Its
contents (README.txt inside says the same):

    README.txt                      what is where, and how to check the content digest
    case.json                       the case, its SOP, retention, consent and record log
    timeline.csv, timeline.json     every start, decision, send-back and end
    comments.json                   the comments
    published_links.csv, .json      where the content was published
    proofs/<channel>.<ext>          the screenshot proving each post made by hand
    approval-sheets/<code>.pdf      every approval sheet issued, and approval-sheets.json
    versions/v<n>/content.json      each content version, its digest and its media
    files/<n>-<name>                every file once: media, letters, consents
    manifest.json                   each entry's size and SHA-256, written last
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.utils import timezone

from siaran.cases.definitions import definition
from siaran.cases.digest import SCHEME, content_document, content_sha256
from siaran.cases.models import Attachment, Case
from siaran.core.spreadsheets import csv_bytes
from siaran.documents.models import ApprovalSheet
from siaran.documents.verification import verify

from .models import ConsentRecord, RecordEvent
from .selectors import retention_of

CHUNK = 2**20
# Already compressed: stored as they are, so a video is not squeezed for nothing.
STORED_TYPES = ("image/", "video/", "application/pdf")

PUBLISHED_LINK_FIELDS = [
    "channel",
    "account",
    "url",
    "post_id",
    "published_at",
    "published_by",
    "proof",
    "content_sha256",  # of the approved version the post was made from
]


def _published_jobs(case: Case) -> list:
    from siaran.publishing.models import PublishJob

    jobs = PublishJob.objects.filter(case=case, published_at__isnull=False)
    jobs = jobs.select_related("account", "started_by", "done_by")
    return list(jobs.order_by("published_at", "pk"))


def _proof_path(job) -> str:
    """Where a post made by hand keeps its screenshot in the ZIP; "" without one."""
    return f"proofs/{job.channel}{job.proof_extension}" if job.proof else ""


def published_links(jobs: list) -> list[dict]:
    """Where the case's content was published, one row per post (PUBLISHED_LINK_FIELDS):
    each channel published through its platform or recorded by hand, with its proof."""
    return [
        {
            "channel": job.channel,
            "account": str(job.account) if job.account else "",
            "url": job.permalink,
            "post_id": job.platform_id,
            "published_at": job.published_at.isoformat(),
            "published_by": (job.done_by or job.started_by).name,
            "proof": _proof_path(job),
            "content_sha256": job.content_sha256,
        }
        for job in jobs
    ]


class _Sink:
    """A write-only file for ZipFile that hands on what was written: the ZIP streams."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def export_name(case: Case) -> str:
    return f"siaran-case-{case.pk}.zip"


def export_stream(case: Case) -> Iterator[bytes]:
    """The case's ZIP, chunk by chunk. Read what the case holds before the first chunk."""
    plan = _Plan(case)
    return plan.stream()


class _Plan:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.zone = ZoneInfo(case.organization.time_zone)
        self.sop = definition(case.sop_version)
        # The case's own files; renditions made for the platforms (cases.media) are copies.
        self.files = list(
            Attachment.objects.filter(case=case, original=None)
            .select_related("uploaded_by")
            .order_by("pk")
        )
        self.sheets = list(
            ApprovalSheet.objects.filter(case=case).select_related("document").order_by("pk")
        )
        sheet_files = {sheet.document_id for sheet in self.sheets}
        self.paths = {}
        for number, file in enumerate((f for f in self.files if f.pk not in sheet_files), 1):
            self.paths[file.pk] = f"files/{number:03d}-{file.name}"
        for sheet in self.sheets:
            if sheet.document_id:
                self.paths[sheet.document_id] = f"approval-sheets/{sheet.code}.pdf"
        self.published = _published_jobs(case)
        self.manifest: list[dict] = []

    # -- writing

    def stream(self) -> Iterator[bytes]:
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.documents():
                self._add_bytes(archive, name, data)
                yield sink.take()
            for file in self.files:
                yield from self._add_file(
                    archive, sink, self.paths[file.pk], file.file, file.uploaded_at, file
                )
            for job in self.published:
                if job.proof:
                    yield from self._add_file(
                        archive, sink, _proof_path(job), job.proof, job.published_at
                    )
            self._add_bytes(archive, "manifest.json", _json(self.manifest_document()))
        yield sink.take()

    def _info(self, name: str, when: dt.datetime | None = None) -> zipfile.ZipInfo:
        local = timezone.localtime(when or timezone.now(), self.zone)
        return zipfile.ZipInfo(name, date_time=local.timetuple()[:6])

    def _add_bytes(self, archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        archive.writestr(self._info(name), data)
        self.manifest.append(
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )

    def _add_file(self, archive, sink: _Sink, name: str, stored, when, file=None):
        """A stored file as entry `name`, streamed; `file`, the attachment it is, says its
        size, type and recorded SHA-256 (a proof screenshot has none of these)."""
        info = self._info(name, when)
        if file is not None:
            info.file_size = file.size  # tells zipfile ahead whether the entry needs ZIP64
        # Media are compressed already; a proof is a screenshot (JPEG, PNG or WebP).
        media = file is None or file.content_type.startswith(STORED_TYPES)
        info.compress_type = zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED
        digest, size = hashlib.sha256(), 0
        try:
            source = stored.open("rb")
        except OSError:
            entry = {"path": name, "missing": True}
            if file is not None:
                entry["recorded_sha256"] = file.sha256
            self.manifest.append(entry)
            return
        with source, archive.open(info, "w") as target:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
                yield sink.take()
        entry = {"path": name, "size": size, "sha256": digest.hexdigest()}
        if file is not None and entry["sha256"] != file.sha256:  # not what was uploaded
            entry["recorded_sha256"] = file.sha256
        self.manifest.append(entry)
        yield sink.take()

    # -- the documents

    def documents(self) -> list[tuple[str, bytes]]:
        events = self.timeline()
        links = published_links(self.published)
        return [
            ("README.txt", README.encode("utf-8")),
            ("case.json", _json(self.case_document())),
            ("timeline.json", _json(events)),
            ("timeline.csv", csv_bytes(TIMELINE_FIELDS, events)),
            ("comments.json", _json(self.comments())),
            ("published_links.json", _json(links)),
            ("published_links.csv", csv_bytes(PUBLISHED_LINK_FIELDS, links)),
            ("approval-sheets.json", _json(self.sheet_list())),
            *self.versions(),
        ]

    def when(self, value: dt.datetime | None) -> str | None:
        return timezone.localtime(value, self.zone).isoformat() if value else None

    def person(self, person) -> dict | None:
        if person is None:
            return None
        return {"name": person.name, "nip": person.nip, "title": person.title}

    def case_document(self) -> dict:
        case, sop = self.case, self.sop
        retention = retention_of(case)
        consents = ConsentRecord.objects.filter(case=case).select_related("recorded_by")
        record_events = RecordEvent.objects.filter(case=case).select_related("person")
        return {
            "id": case.pk,
            "title": case.title,
            "description": case.description,
            "institution": case.organization.name,
            "sop": {
                "id": sop.id,
                "name": sop.name,
                "number": sop.number,
                "definition_sha256": case.sop_version.sha256,
            },
            "status": case.status,
            "requesting_unit": case.requesting_unit.name if case.requesting_unit else None,
            "channels": case.channels,
            "desired_date": case.desired_date.isoformat() if case.desired_date else None,
            "created_by": self.person(case.created_by),
            "created_at": self.when(case.created_at),
            "closed_at": self.when(case.closed_at),
            "rework_count": case.rework_count,
            "retention": {
                "class": retention.retention_class.code if retention.retention_class else None,
                "class_name": retention.retention_class.name if retention.retention_class else None,
                "review_on": retention.review_on.isoformat() if retention.review_on else None,
                "phase": retention.phase,
            },
            "consent": {
                "shows_patient_or_child": bool(retention.record and retention.record.needs_consent),
                "records": [
                    {
                        "subject": consent.subject,
                        "file": self.paths.get(consent.attachment_id),
                        "recorded_by": self.person(consent.recorded_by),
                        "recorded_at": self.when(consent.recorded_at),
                    }
                    for consent in consents
                ],
            },
            "record_events": [
                {
                    "kind": event.kind,
                    "at": self.when(event.at),
                    "by": self.person(event.person),
                    "reason": event.reason,
                    "data": event.data,
                }
                for event in record_events
            ],
            "files": [
                {
                    "path": self.paths.get(file.pk),
                    "name": file.name,
                    "kind": file.kind,
                    "content_type": file.content_type,
                    "size": file.size,
                    "sha256": file.sha256,
                    "uploaded_by": self.person(file.uploaded_by),
                    "uploaded_at": self.when(file.uploaded_at),
                    "step": file.step_id,
                }
                for file in self.files
            ],
        }

    def timeline(self) -> list[dict]:
        steps = {step.id: step for step in self.sop.steps}
        rows = []
        events = self.case.events.select_related("actor", "on_behalf_of").order_by("seq")
        for event in events:
            step = steps.get(event.step_id)
            actor, stood_in = event.actor, event.on_behalf_of
            rows.append(
                {
                    "seq": event.seq,
                    "at": self.when(event.at),
                    "kind": event.kind,
                    "step": event.step_id,
                    "step_no": step.no if step and step.no else "",
                    "activity": step.activity if step else "",
                    "lane": self.sop.lane(step.lane).name if step else "",
                    "outcome": event.outcome,
                    "actor": actor.name if actor else "",
                    "actor_nip": actor.nip if actor else "",
                    "actor_title": actor.title if actor else "",
                    "plh_for": stood_in.name if stood_in else "",
                    "note": event.note,
                    "round": event.round,
                    "to_step": event.to_step,
                    "started_at": self.when(event.started_at) or "",
                    "due_at": self.when(event.due_at) or "",
                    "seconds_taken": event.seconds_taken if event.seconds_taken is not None else "",
                }
            )
        return rows

    def comments(self) -> list[dict]:
        return [
            {"at": self.when(c.created_at), "by": self.person(c.author), "text": c.text}
            for c in self.case.comments.select_related("author").order_by("pk")
        ]

    def sheet_list(self) -> list[dict]:
        return [
            {
                "code": sheet.display_code,
                "file": self.paths.get(sheet.document_id),
                "version": sheet.version_number,
                "content_sha256": sheet.content_sha256,
                "pdf_sha256": sheet.pdf_sha256,
                "final": sheet.final,
                "issued_at": self.when(sheet.issued_at),
                "status_at_export": verify(sheet.code).state,
            }
            for sheet in self.sheets
        ]

    def versions(self) -> list[tuple[str, bytes]]:
        found = []
        for version in self.case.versions.prefetch_related("media").select_related("created_by"):
            media = version.ordered_media()
            document = {
                "number": version.number,
                "created_by": self.person(version.created_by),
                "created_at": self.when(version.created_at),
                "content": content_document(version),
                "sha256": content_sha256(version),
                "media_files": [self.paths.get(file.pk) for file in media],
            }
            found.append((f"versions/v{version.number}/content.json", _json(document)))
        return found

    def manifest_document(self) -> dict:
        return {
            "case": self.case.pk,
            "exported_at": self.when(timezone.now()),
            "entries": self.manifest,
        }


TIMELINE_FIELDS = [
    "seq",
    "at",
    "kind",
    "step",
    "step_no",
    "activity",
    "lane",
    "outcome",
    "actor",
    "actor_nip",
    "actor_title",
    "plh_for",
    "note",
    "round",
    "to_step",
    "started_at",
    "due_at",
    "seconds_taken",
]


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


README = f"""Siaran: the archive of one case

case.json                    the case, its SOP, retention, consent and record log
timeline.csv, timeline.json  every start, decision, send-back and end, with who and when
comments.json                the comments
published_links.csv, .json   where the content was published
proofs/                      the screenshot proving each post made by hand
approval-sheets/             every approval sheet issued (PDF); approval-sheets.json lists
                             them, with whether each still matched the archive at export
versions/v<n>/content.json   each content version: its text, its media, its SHA-256
files/                       every file of the case once: media, letters, consents
manifest.json                the size and SHA-256 of every entry, as exported

The content SHA-256 printed on an approval sheet is the SHA-256 of the "content" object
of versions/v<n>/content.json written as canonical JSON: keys sorted, no spaces
(separators "," and ":"), characters as they are (not escaped), UTF-8. Its "scheme" is
{SCHEME}; "media" lists the SHA-256 of each media file, in the order they were added.
In Python: hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True,
separators=(",", ":")).encode()).hexdigest()
"""
