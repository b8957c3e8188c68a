"""Helpers for tests that publish: images, a case at its publish step, sandboxes."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from siaran.cases import actions as case_actions
from siaran.cases.models import Case
from siaran.publishing import actions
from siaran.publishing.models import PublishJob


def image(width: int = 1080, height: int = 1080, kind: str = "JPEG", name: str = "") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(buffer, kind)
    return buffer.getvalue()


def upload(data: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def screenshot() -> SimpleUploadedFile:
    return upload(image(400, 800, "PNG"), "bukti.png", "image/png")


def finish_by_hand(case: Case, person, *, only_by_hand: bool = False) -> Case:
    """Record every channel (or those posted by hand) of a publishing case as posted."""
    pending = PublishJob.objects.filter(case=case).exclude(status__in=["succeeded", "manual_done"])
    if only_by_hand:
        pending = pending.filter(connector="manual")
    for job in pending:
        actions.publication_done_by_hand(
            person=person,
            case_id=case.pk,
            channel=job.channel,
            permalink=f"https://example.org/{job.channel}/1",
            screenshot=screenshot(),
        )
    case.refresh_from_db()
    return case


def connect(admin, channel: str, connector: str, url: str = "", **fields) -> None:
    """Point an institution's channel at a sandbox (or make it by hand)."""
    credentials = fields.pop("credentials", None)
    if credentials is None and connector == "wordpress":
        credentials = {
            "username": "siaran",
            "application_password": "abcd efgh ijkl mnop qrst uvwx",
        }
    elif credentials is None and connector != "manual":
        credentials = {"access_token": "sandbox-token"}
    actions.channel_account_save(
        admin=admin,
        channel=channel,
        connector=connector,
        base_url=url,
        credentials=credentials or {},
        account_id=fields.pop(
            "account_id", "" if connector in ("wordpress", "manual") else "17841400000000001"
        ),
        **fields,
    )


def at_publish_step(person, title: str = "Dies Natalis Poltekkes Jakarta II") -> Case:
    """The demo's Poltekkes case waiting at its upload step, with a poster attached."""
    case = Case.objects.get(title=title)
    assert case.current_step == "upload"
    case_actions.attachment_add(
        person=person, case_id=case.pk, upload=upload(image(1200, 630), "poster.jpg")
    )
    return case
