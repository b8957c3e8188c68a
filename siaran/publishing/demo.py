"""The demo's channel accounts: every API channel points at a local sandbox.

`siaran demo` connects them to the sandboxes at SIARAN_SANDBOX_URL (http://127.0.0.1:8701
unless set) and `siaran sandbox` (started by `make run`) serves them there, so a
newcomer's demo publishes end to end with no internet and no real platform. A channel
without a sandbox is posted by hand.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from siaran.cases.models import Case
from siaran.orgs.models import Person

from . import actions
from .connectors import for_channel
from .models import ChannelAccount
from .sandbox import SANDBOXES, sandbox_urls

SANDBOX_TOKEN = "sandbox-token"  # noqa: S105 - accepted by every sandbox, by design
WORDPRESS_LOGIN = {"username": "siaran", "application_password": "abcd efgh ijkl mnop qrst uvwx"}


def connect(admin: Person, channels: dict[str, str]) -> None:
    """Point each of `channels` (channel -> handle) at its sandbox, unless already set."""
    urls = sandbox_urls(settings.SIARAN_SANDBOX_URL)
    for channel, handle in channels.items():
        if ChannelAccount.objects.filter(
            organization=admin.organization_id, channel=channel
        ).exists():
            continue
        connector = for_channel(channel)
        if connector.name not in SANDBOXES:
            actions.channel_account_save(
                admin=admin, channel=channel, connector="manual", handle=handle
            )
            continue
        credentials = (
            WORDPRESS_LOGIN
            if connector.name == "wordpress"
            else {f.key: SANDBOX_TOKEN for f in connector.credential_fields}
        )
        actions.channel_account_save(
            admin=admin,
            channel=channel,
            connector=connector.name,
            handle=handle,
            account_id=SANDBOXES[connector.name].demo_account_id(admin.organization_id),
            base_url=urls[connector.name],
            credentials=credentials,
        )


def posted_by_hand(case: Case, person: Person, now: dt.datetime | None = None) -> Case:
    """The demo's finished cases are recorded as posted by hand on each channel, with a
    link and a screenshot, so that none waits on a platform (nor posts to a sandbox when
    `make run` starts)."""
    for job in case.publish_jobs.exclude(status__in=["succeeded", "manual_done"]):
        buffer = io.BytesIO()
        Image.new("RGB", (540, 960), (240, 240, 240)).save(buffer, "PNG")
        actions.publication_done_by_hand(
            person=person,
            case_id=case.pk,
            channel=job.channel,
            permalink=f"https://demo.siaran.id/{job.channel}/{case.pk}",
            screenshot=SimpleUploadedFile("bukti.png", buffer.getvalue(), "image/png"),
            now=now,
        )
    case.refresh_from_db()
    return case
