"""Pages for publishing: a case's channels, the administrator's channel accounts, and the
signed media links platforms fetch. Every change goes through `actions`."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.cases.actions import ActionError
from siaran.cases.definitions import definition
from siaran.cases.downloads import PROOF, download, stored_file_headers
from siaran.cases.models import Attachment
from siaran.cases.selectors import visible_cases
from siaran.orgs.models import Person
from siaran.sop.model import PLATFORMS

from . import actions
from .connectors import REGISTRY, Manual, caption_limits, for_channel
from .media import attachment_from_link
from .models import JOB_STATUSES, ChannelAccount, PublishJob
from .selectors import EXPIRY_WARNING, accounts_needing_care, channel_problems, publications_of


def case_page(case, content, can_act: bool) -> dict:
    """What the case page shows of publishing: each channel's state and the rules.

    `channels_unfit` and `can_drop_channels` are for publishing/_channel_fit.html: the
    channels the content cannot go to, and whether the reader may drop them now (at a
    step that makes the content, with a channel left)."""
    labels = dict(JOB_STATUSES)
    publications = publications_of(case)
    for publication in publications:
        publication["label"] = labels[publication["status"]]
    problems = channel_problems(case, content) if can_act else {}
    unfit = {channel: found for channel, found in problems.items() if found}
    return {
        "publications": publications,
        "channel_problems": problems,
        "channels_unfit": unfit,
        "can_drop_channels": bool(
            unfit
            and case.status == "active"
            and len(unfit) < len(case.channels)
            and definition(case.sop_version).edits_content(case.current_step)
        ),
        "caption_limits": caption_limits(),
    }


def publish_choices(request: HttpRequest) -> tuple[list[str] | None, dt.datetime | None]:
    """The channels and time chosen on a publish step's form; None, None elsewhere."""
    if not request.POST.get("choose_channels"):
        return None, None
    at = request.POST.get("at", "").strip()
    return request.POST.getlist("channels"), dt.datetime.fromisoformat(at) if at else None


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


def _act(request: HttpRequest, call, success: str) -> None:
    try:
        call()
    except ActionError as error:
        if error.status == ActionError.NOT_FOUND:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def publication_retry(request: HttpRequest, case_id: int, channel: str):
    _act(
        request,
        lambda: actions.publication_retry(
            person=_person(request), case_id=case_id, channel=channel
        ),
        _("Siaran tries this channel again."),
    )
    return redirect("cases:detail", case_id)


@login_required
@require_POST
def publication_done(request: HttpRequest, case_id: int, channel: str):
    _act(
        request,
        lambda: actions.publication_done_by_hand(
            person=_person(request),
            case_id=case_id,
            channel=channel,
            permalink=request.POST.get("permalink", ""),
            screenshot=request.FILES.get("screenshot"),
        ),
        _("Recorded: this channel was posted by hand."),
    )
    return redirect("cases:detail", case_id)


@login_required
def proof_download(request: HttpRequest, case_id: int, channel: str):
    """The screenshot of a post made by hand, for whoever may see the case."""
    case = visible_cases(_person(request)).filter(pk=case_id).first()
    job = PublishJob.objects.filter(case=case, channel=channel).first() if case else None
    if job is None or not job.proof:
        raise Http404
    return download(
        person=_person(request),
        case=case,
        what=PROOF,
        name=f"{channel}{job.proof_extension}",
        content_type=_proof_type(job.proof_extension),
        body=job.proof.open("rb"),
        inline=True,
        ref=channel,
    )


def _proof_type(extension: str) -> str:
    return {".png": "image/png", ".webp": "image/webp"}.get(extension, "image/jpeg")


def media_link(request: HttpRequest, token: str):
    """A case's image or video for a platform to fetch (Instagram does), by a signed,
    expiring link: the platform cannot log in, and nothing else is reachable this way."""
    attachment_id = attachment_from_link(token.split(".", 1)[0])
    attachment = Attachment.objects.filter(pk=attachment_id, kind__in=["image", "video"]).first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    return stored_file_headers(response)


# -- the administrator's channel accounts ---------------------------------------------------


def _admin(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None or not person.is_admin:
        raise PermissionDenied(_("Only an administrator of your institution can do this."))
    return person


@login_required
def channels(request: HttpRequest):
    admin = _admin(request)
    accounts = {
        a.channel: a for a in ChannelAccount.objects.filter(organization=admin.organization)
    }
    now = timezone.now()
    rows = [
        {
            "channel": channel,
            "account": accounts.get(channel),
            "connectors": [c for c in REGISTRY.values() if c.channel == channel or c is Manual],
            "expiring": bool(
                accounts.get(channel)
                and accounts[channel].token_expires_at
                and accounts[channel].token_expires_at < now + EXPIRY_WARNING
            ),
        }
        for channel in PLATFORMS
    ]
    return render(
        request,
        "publishing/channels.html",
        {"rows": rows, "tab": "channels", "care": accounts_needing_care(admin.organization, now)},
    )


@login_required
def channel_edit(request: HttpRequest, channel: str):
    admin = _admin(request)
    if channel not in PLATFORMS:
        raise Http404
    account = ChannelAccount.objects.filter(
        organization=admin.organization, channel=channel
    ).first()
    chosen = request.POST.get("connector") or request.GET.get("connector")
    connector = REGISTRY.get(chosen or (account.connector if account else "")) or for_channel(
        channel
    )
    if request.method == "POST":
        if request.POST.get("remove"):
            actions.channel_account_remove(admin=admin, channel=channel)
            messages.success(request, _("Channel disconnected."))
            return redirect("publishing:channels")
        if request.POST.get("check"):
            try:
                name = actions.channel_account_check(admin=admin, channel=channel)
            except ActionError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Connected: the platform knows this account as %(name)s.") % {"name": name},
                )
            return redirect("publishing:channel", channel)
        try:
            expires = request.POST.get("token_expires_at", "").strip()
            actions.channel_account_save(
                admin=admin,
                channel=channel,
                connector=connector.name,
                handle=request.POST.get("handle", ""),
                account_id=request.POST.get("account_id", ""),
                base_url=request.POST.get("base_url", ""),
                credentials={
                    f.key: request.POST.get(f"credential_{f.key}", "")
                    for f in connector.credential_fields
                },
                token_expires_at=_aware(dt.datetime.fromisoformat(expires)) if expires else None,
            )
        except ValueError:
            messages.error(request, _("Write the date as YYYY-MM-DD."))
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("publishing:channels")
    return render(
        request,
        "publishing/channel_edit.html",
        {
            "channel": channel,
            "account": account,
            "connector": connector,
            "connectors": [c for c in REGISTRY.values() if c.channel == channel or c is Manual],
            "form": request.POST,
            "tab": "channels",
        },
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value
