"""The only code that changes API tokens."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaran.audit.actions import record
from siaran.orgs.models import Person

from .models import TOKEN_LIFETIME, TOKENS_PER_PERSON, ApiToken


class TokenError(Exception):
    """Why a token could not be revoked; nothing changed."""


def token_issue(*, person: Person, name: str = "") -> str:
    """A new bearer token for `person`; only its digest is kept. Beyond the cap, the
    person's oldest tokens go: thirty logins of a script leave ten tokens, not thirty."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    expires = now + TOKEN_LIFETIME
    with transaction.atomic():
        ApiToken.objects.filter(person=person, expires_at__lte=now).delete()
        ApiToken.objects.create(
            person=person,
            digest=ApiToken.digest_of(token),
            name=" ".join(name.split())[:100],
            expires_at=expires,
            password_hash=person.user.get_session_auth_hash(),
        )
        keep = ApiToken.objects.filter(person=person).values_list("pk", flat=True)
        dropped = ApiToken.objects.filter(person=person).exclude(
            pk__in=list(keep[:TOKENS_PER_PERSON])
        )
        data = {"expires_at": expires.isoformat(), "dropped": dropped.count()}  # no token
        dropped.delete()
        record("api_token_issued", actor=person, data=data)
    return token


def token_revoke(*, person: Person, token_id: int) -> None:
    """Revoke a token: its owner may, and an administrator of the owner's institution."""
    row = ApiToken.objects.filter(
        pk=token_id, person__organization_id=person.organization_id
    ).first()
    if row is None or (row.person_id != person.pk and not person.is_admin):
        raise TokenError(_("No such token."))
    with transaction.atomic():
        row.delete()
        data = {"token": token_id, "owner": row.person_id}
        record("api_token_revoked", actor=person, data=data)


def token_revoke_current(*, person: Person, token: str) -> None:
    """The token a request came with, revoked by that request (logging a script out)."""
    row = ApiToken.objects.filter(digest=ApiToken.digest_of(token), person=person).first()
    if row is not None:
        token_revoke(person=person, token_id=row.pk)
