"""A person's own sign-in page, and the institution administrator's: who must use a second
factor, and the institution's own OpenID Connect provider."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from siaran.orgs import actions as org_actions
from siaran.orgs.actions import OrgError
from siaran.orgs.models import SECOND_FACTOR_RULES
from siaran.orgs.selectors import needs_second_factor
from siaran.orgs.views import _admin

from . import actions


@login_required
def security(request):
    """The person's own sign-in: their password, authenticator app, passkeys and recovery
    codes, and whether their institution requires a second factor of them."""
    authenticators = {kind: [] for kind in ("totp", "webauthn", "recovery_codes")}
    for authenticator in Authenticator.objects.filter(user=request.user).order_by("pk"):
        authenticators.setdefault(authenticator.type, []).append(authenticator)
    person = getattr(request.user, "person", None)
    links = SocialAccount.objects.filter(user=request.user).order_by("pk")
    context = {
        "authenticators": authenticators,
        "required": person is not None and needs_second_factor(person),
        "links": links,
    }
    return render(request, "signin/security.html", context)


@login_required
def institution(request):
    admin = _admin(request)
    if request.method == "POST":
        form = request.POST.get("form", "")
        try:
            if form == "second_factor":
                org_actions.second_factor_set(admin=admin, rule=request.POST.get("rule", ""))
                messages.success(request, _("Saved: who must use a second factor."))
            elif form == "oidc":
                actions.oidc_set(
                    admin=admin,
                    name=request.POST.get("name", ""),
                    issuer=request.POST.get("issuer", ""),
                    client_id=request.POST.get("client_id", ""),
                    secret=request.POST.get("secret", ""),
                )
                messages.success(request, _("Saved: the institution's sign-in service."))
            elif form == "oidc_remove":
                actions.oidc_remove(admin=admin)
                messages.success(request, _("The sign-in service is removed."))
        except OrgError as error:
            messages.error(request, str(error))
        else:
            return redirect("signin:institution")
    app = actions.oidc_app(admin.organization)
    posted = request.POST if request.method == "POST" else {}
    context = {
        "tab": "signin",
        "organization": admin.organization,
        "rules": SECOND_FACTOR_RULES,
        "app": app,
        "name": posted.get("name", app.name if app else ""),
        "issuer": posted.get("issuer", (app.settings or {}).get("server_url", "") if app else ""),
        "client_id": posted.get("client_id", app.client_id if app else ""),
        "callback": request.build_absolute_uri(
            f"/accounts/oidc/{admin.organization.slug}/login/callback/"
        ),
    }
    return render(request, "signin/institution.html", context)
