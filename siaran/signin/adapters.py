"""allauth's adapters: nobody signs up on their own, and an institution's OpenID Connect
provider signs in only that institution's people, matched by a verified e-mail address."""

from __future__ import annotations

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from siaran.orgs.models import Organization, Person

log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People are invited by their institution's administrator.
        return False

    def send_mail(self, template_prefix, email, context) -> None:
        """allauth sends its mails (a password reset) inside the request: a mail server
        that is down must not answer the person with a server error. The page says what
        it always says (whether the address is known stays unsaid); the log says why."""
        try:
            super().send_mail(template_prefix, email, context)
        except (OSError, smtplib.SMTPException):
            log.exception("The %s mail could not be sent", template_prefix)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        """Each institution's provider has the institution's slug as its id. The person
        signed in is one of that institution's, whose address the provider says it has
        verified; anyone else is refused with a sentence, and nothing is created."""
        organization = Organization.objects.filter(slug=sociallogin.account.provider).first()
        if organization is None:
            raise ImmediateHttpResponse(_refused(request, None, ""))
        if sociallogin.is_existing:
            person = Person.objects.filter(user=sociallogin.user).first()
            if person is None or person.organization_id != organization.pk:
                raise ImmediateHttpResponse(_refused(request, organization, ""))
            return
        verified = [a.email for a in sociallogin.email_addresses if a.verified and a.email]
        person = None
        if verified:
            person = (
                Person.objects.filter(
                    organization=organization,
                    user__is_active=True,
                    user__email__iexact=verified[0],
                )
                .select_related("user")
                .first()
            )
        if person is None:
            shown = verified[0] if verified else ""
            raise ImmediateHttpResponse(_refused(request, organization, shown))
        # The first sign-in through the provider links its account to the person; later
        # ones find the link (is_existing above).
        sociallogin.connect(request, person.user)


def _refused(request, organization: Organization | None, email: str):
    from siaran.audit.actions import record

    record(
        "login_failed",
        organization=organization,
        username=email,
        ip=request.META.get("REMOTE_ADDR", "") or "",
        data={"method": "openid_connect"},
    )
    context = {"organization": organization, "email": email}
    return render(request, "signin/refused.html", context, status=403)
