"""The only code that changes how an institution signs in through its own OpenID Connect
provider (an allauth SocialApp whose provider_id is the institution's slug)."""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.db import transaction
from django.utils.translation import gettext as _

from siaran.audit.actions import record
from siaran.orgs.actions import OrgError
from siaran.orgs.models import Organization, Person

PROVIDER = "openid_connect"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def oidc_app(organization: Organization) -> SocialApp | None:
    return SocialApp.objects.filter(provider=PROVIDER, provider_id=organization.slug).first()


def oidc_set(
    *, admin: Person, name: str, issuer: str, client_id: str, secret: str = ""
) -> SocialApp:
    """Sign-in through the administrator's institution's OpenID Connect provider (Keycloak
    and the like): its name on the login page, its issuer URL, and the client id and secret
    Siaran has there. A blank secret keeps the one stored."""
    if not admin.is_admin:
        raise OrgError(_("Only an administrator of your institution can do this."))
    name, issuer = " ".join((name or "").split()), (issuer or "").strip().rstrip("/")
    client_id, secret = (client_id or "").strip(), (secret or "").strip()
    if not name:
        raise OrgError(_("Give the sign-in service a name, as people know it."))
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not parts.hostname or not secure:
        raise OrgError(
            _(
                "The issuer must be an https:// address, such as https://sso.example.go.id/realms/kemenkes."
            )
        )
    if not client_id:
        raise OrgError(_("Give the client id that Siaran has at the sign-in service."))
    organization = admin.organization
    with transaction.atomic():
        app = oidc_app(organization)
        if app is None and not secret:
            raise OrgError(_("Give the client secret that Siaran has at the sign-in service."))
        app = app or SocialApp(provider=PROVIDER, provider_id=organization.slug)
        app.name, app.client_id = name[:40], client_id
        app.secret = secret or app.secret
        app.settings = {"server_url": issuer}
        app.save()
        data = {"name": app.name, "issuer": issuer, "client_id": client_id}
        record("oidc_provider_set", actor=admin, data=data)  # never the secret
    return app


def oidc_remove(*, admin: Person) -> None:
    """No more sign-in through the institution's provider; links to it go with it."""
    if not admin.is_admin:
        raise OrgError(_("Only an administrator of your institution can do this."))
    with transaction.atomic():
        app = oidc_app(admin.organization)
        if app is None:
            return
        from allauth.socialaccount.models import SocialAccount

        SocialAccount.objects.filter(provider=app.provider_id).delete()
        app.delete()
        record("oidc_provider_removed", actor=admin, data={"name": app.name})
