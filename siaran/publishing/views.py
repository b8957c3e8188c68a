"""Pages for publishing: a case's channels, the administrator's channel accounts, and the
signed media links platforms fetch. Every change goes through `actions`."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
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

from . import actions, crypto, oauth
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
    channel_connector = for_channel(channel).name
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
            # The platform's own authorization page, when this install has an app there.
            "oauth_platform": channel_connector in oauth.PLATFORMS,
            "oauth_ready": oauth.client(channel_connector) is not None,
            "oauth_env": f"SIARAN_OAUTH_{channel_connector.upper()}_CLIENT_ID",
            "connectors": [c for c in REGISTRY.values() if c.channel == channel or c is Manual],
            "form": request.POST,
            "tab": "channels",
        },
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# -- connecting through the platform's authorization page (OAuth 2.0) -----------------------

PENDING = "channel_oauth"  # session: state -> {"channel", "verifier", "redirect_uri", "at"}
CHOICES = "channel_oauth_pages"  # session: the Pages granted, encrypted, while one is chosen
PENDING_SECONDS = 900  # an authorization not finished within it is started again


def _return_uri(request: HttpRequest) -> str:
    """The one address every platform sends the administrator back to (registered with
    each platform's app as its redirect URI)."""
    path = reverse("publishing:oauth_return")
    base = settings.SIARAN_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@login_required
@require_POST
def channel_connect(request: HttpRequest, channel: str):
    """Send the administrator to the platform's authorization page.

    The `state` is random, kept in this session only and used once; the PKCE verifier
    never leaves the server (the platform sees only its S256 challenge)."""
    _admin(request)
    if channel not in PLATFORMS:
        raise Http404
    client = oauth.client(for_channel(channel).name)
    if client is None:
        messages.error(
            request,
            _("This installation has no app on this platform: enter an access token below."),
        )
        return redirect("publishing:channel", channel)
    now = time.time()
    pending = {
        state: entry
        for state, entry in request.session.get(PENDING, {}).items()
        if now - entry.get("at", 0) < PENDING_SECONDS
    }
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    redirect_uri = _return_uri(request)
    pending[state] = {
        "channel": channel,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "at": now,
    }
    request.session[PENDING] = pending
    return redirect(
        oauth.authorize_url(client, redirect_uri=redirect_uri, state=state, verifier=verifier)
    )


@login_required
def channel_oauth_return(request: HttpRequest):
    """Where the platform sends the administrator back, with a code or a refusal."""
    admin = _admin(request)
    pending = request.session.get(PENDING, {})
    entry = pending.pop(request.GET.get("state", ""), None)
    request.session[PENDING] = pending  # used once, whatever happens next
    if entry is None or time.time() - entry.get("at", 0) >= PENDING_SECONDS:
        messages.error(
            request,
            _(
                "This connection was not started here, was already used or took too long. "
                "Nothing was changed: start it again."
            ),
        )
        return redirect("publishing:channels")
    channel = entry["channel"]
    code = request.GET.get("code", "")
    if request.GET.get("error") or not code:
        messages.error(
            request,
            _("The platform did not give Siaran access (%(reason)s). Nothing was changed.")
            % {"reason": request.GET.get("error_description") or request.GET.get("error") or "-"},
        )
        return redirect("publishing:channel", channel)
    client = oauth.client(for_channel(channel).name)
    if client is None:
        raise Http404
    try:
        tokens = oauth.exchange(
            client, code=code, redirect_uri=entry["redirect_uri"], verifier=entry["verifier"]
        )
        if client.platform.meta:
            return _meta_pages_granted(request, admin, channel, client, tokens)
        account_id, handle = oauth.identity(client, tokens)
    except (oauth.Refused, oauth.Unavailable) as error:
        messages.error(
            request,
            _("The platform did not accept the connection: %(detail)s") % {"detail": error},
        )
        return redirect("publishing:channel", channel)
    return _connected(
        request,
        lambda: actions.channel_account_authorize(
            admin=admin,
            channel=channel,
            tokens=tokens,
            handle=handle,
            account_id=account_id,
            base_url=client.api_url,
        ),
        channel,
    )


def _meta_pages_granted(request, admin, channel, client, tokens):
    """Facebook Login granted some Pages: connect the one, or let the administrator choose."""
    choices = [
        {
            "id": page["ig_id"] if channel == "instagram" else page["page_id"],
            "name": f"@{page['ig_username']}" if channel == "instagram" else page["page_name"],
            "page": page["page_name"],
            "token": page["page_token"],
        }
        for page in oauth.meta_pages(client, tokens.access_token)
        if channel != "instagram" or page["ig_id"]
    ]
    if not choices:
        messages.error(
            request,
            _("No Facebook Page was allowed, or none has an Instagram business account.")
            if channel == "instagram"
            else _("No Facebook Page was allowed."),
        )
        return redirect("publishing:channel", channel)
    if len(choices) == 1:
        return _meta_connect(request, admin, channel, client, choices[0])
    request.session[CHOICES] = {
        "channel": channel,
        "at": time.time(),
        "choices": crypto.encrypt({"choices": json.dumps(choices)}),  # Page tokens: secrets
    }
    return redirect("publishing:oauth_choose", channel)


def _meta_connect(request, admin, channel, client, choice):
    return _connected(
        request,
        lambda: actions.channel_account_authorize(
            admin=admin,
            channel=channel,
            # A Page token got from a long-lived user token does not expire.
            tokens=oauth.Tokens(access_token=choice["token"]),
            handle=choice["name"],
            account_id=choice["id"],
            base_url=client.api_url,
        ),
        channel,
    )


def _connected(request, call, channel: str):
    try:
        account = call()
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("publishing:channel", channel)
    messages.success(
        request,
        _("Connected: %(channel)s %(name)s.")
        % {"channel": _platform_label(channel), "name": account.handle},
    )
    return redirect("publishing:channels")


def _platform_label(channel: str) -> str:
    from siaran.core.templatetags.siaran import platform_label

    return platform_label(channel)


@login_required
def channel_oauth_choose(request: HttpRequest, channel: str):
    """Which of the granted Pages (or their Instagram accounts) the channel posts to."""
    admin = _admin(request)
    held = request.session.get(CHOICES) or {}
    if held.get("channel") != channel or time.time() - held.get("at", 0) >= PENDING_SECONDS:
        messages.error(request, _("Start the connection again."))
        return (
            redirect("publishing:channel", channel)
            if channel in PLATFORMS
            else redirect("publishing:channels")
        )
    choices = json.loads(crypto.decrypt(held["choices"])["choices"])
    if request.method == "POST":
        chosen = next((c for c in choices if c["id"] == request.POST.get("account")), None)
        if chosen is None:
            messages.error(request, _("Choose one of the accounts."))
        else:
            del request.session[CHOICES]
            client = oauth.client(for_channel(channel).name)
            if client is None:
                raise Http404
            return _meta_connect(request, admin, channel, client, chosen)
    return render(
        request,
        "publishing/channel_choose.html",
        {
            "channel": channel,
            "choices": [{k: c[k] for k in ("id", "name", "page")} for c in choices],
            "tab": "channels",
        },
    )
