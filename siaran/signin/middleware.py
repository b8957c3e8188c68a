"""A person whom their institution requires to use a second factor, and who has none, sets
one up (an authenticator app or a passkey) before anything else."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from siaran.orgs.selectors import needs_second_factor

# What such a person may still open: sign-in and its settings (where the second factor is
# set up, under /accounts/), the language switch and static files. The API signs in with
# its own tokens.
_OPEN = ("/accounts/", "/i18n/", "/static/", "/api/")


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_OPEN) and _must_set_up(request):
            messages.warning(
                request,
                _(
                    "Your institution requires a second factor to sign in. Set up an "
                    "authenticator app or a passkey to continue."
                ),
            )
            return redirect("signin:security")
        return self.get_response(request)


def _must_set_up(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    person = getattr(user, "person", None)
    if person is None or person.organization.second_factor == "nobody":
        return False  # the common case costs no query: the person comes with the user
    # Who has a factor (most, once set up) costs one query, not the lanes' reading.
    return not is_mfa_enabled(user) and needs_second_factor(person)
