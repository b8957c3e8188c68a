"""Pages of API tokens: a person's own, and an administrator's view of the institution's."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.core import ids
from siaran.orgs.models import Person

from .actions import TokenError, token_revoke
from .selectors import institution_tokens, tokens_of


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


@login_required
def my_tokens(request: HttpRequest):
    person = _person(request)
    context = {"tokens": tokens_of(person), "institution": False}
    return render(request, "api/tokens.html", context)


@login_required
def institution_token_list(request: HttpRequest):
    person = _person(request)
    if not person.is_admin:
        raise PermissionDenied(_("Only an administrator of your institution can do this."))
    context = {"tokens": institution_tokens(person), "institution": True}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest):
    person = _person(request)
    try:
        token_revoke(person=person, token_id=ids.number(request.POST.get("token"), 0))
    except TokenError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The token is revoked: it no longer opens the API."))
    if request.POST.get("back") == "institution" and person.is_admin:
        return redirect("api:institution-tokens")
    return redirect("api:my-tokens")
