"""Warnings to an institution's administrators about its channel accounts, by email.

The pages say the same (the Channels page and each affected case); mail reaches an
administrator who is not looking. Written in Bahasa Indonesia, the site's first language.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from siaran.core.templatetags.siaran import platform_label
from siaran.orgs.models import Person

from .models import ChannelAccount

logger = logging.getLogger("siaran.publishing")


def _admin_addresses(account: ChannelAccount) -> list[str]:
    return list(
        Person.objects.filter(organization_id=account.organization_id, is_admin=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def _send(account: ChannelAccount, subject: str, body: str) -> bool:
    addresses = _admin_addresses(account)
    if not addresses:
        logger.warning("channel %s: no administrator has an email address", account.pk)
        return False
    send_mail(subject, body, None, addresses)
    return True


def account_rejected(account_id: int) -> bool:
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        channel = f"{platform_label(account.channel)} {account.handle}".strip()
        subject = _("Siaran: %(channel)s refused the account's access") % {"channel": channel}
        body = _(
            "%(channel)s refused the access Siaran uses to post for your institution. "
            "Posts to this channel stop until an administrator reconnects the account on "
            "the Channels page (Institution > Channels) and retries them.\n\n"
            "The platform said: %(detail)s"
        ) % {"channel": channel, "detail": account.rejected_detail or "-"}
    return _send(account, subject, body)


def token_expiring(account_id: int) -> bool:
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None or account.token_expires_at is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        channel = f"{platform_label(account.channel)} {account.handle}".strip()
        when = date_format(localtime(account.token_expires_at), "j F Y H:i")
        subject = _("Siaran: the access to %(channel)s expires on %(when)s") % {
            "channel": channel,
            "when": when,
        }
        body = _(
            "The access Siaran uses to post to %(channel)s expires on %(when)s. Renew it on "
            "the platform and enter the new access on the Channels page (Institution > "
            "Channels) before then, or posts to this channel will stop."
        ) % {"channel": channel, "when": when}
    return _send(account, subject, body)
