"""The second factor where allauth's pages do not ask for it: a program trading a password
for an API token. Whoever has one gives its code too; whoever must have one and has none
gets no token, as they get no page."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext as _

from siaran.orgs.selectors import needs_second_factor


def token_refusal(person, code: str) -> tuple[str, str] | None:
    """Why `person`, whose password was right, gets no API token: (code, sentence), or
    None. `code`: the six digits of their authenticator app."""
    user = person.user
    if is_mfa_enabled(user):
        app = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if app is None:
            return (
                "second_factor_app_required",
                _(
                    "You sign in with a passkey, which a program cannot use: set up an "
                    "authenticator app on the Account page to get an API token."
                ),
            )
        if not code:
            return (
                "second_factor_required",
                _('Send the code of your authenticator app too (field "code").'),
            )
        if not TOTP(app).validate_code(code.strip()):
            return ("second_factor_wrong", _("The authenticator code is wrong or used."))
        return None
    if needs_second_factor(person):
        return (
            "second_factor_setup",
            _("Your institution requires a second factor: set one up on the Account page first."),
        )
    return None
