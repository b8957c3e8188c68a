"""The only code that changes API tokens."""

import secrets

from django.utils import timezone

from siaran.audit.actions import record
from siaran.orgs.models import Person

from .models import TOKEN_LIFETIME, ApiToken


def token_issue(*, person: Person) -> str:
    """A new bearer token for `person`; only its digest is kept."""
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + TOKEN_LIFETIME
    ApiToken.objects.create(person=person, digest=ApiToken.digest_of(token), expires_at=expires)
    record("api_token_issued", actor=person, data={"expires_at": expires.isoformat()})  # no token
    return token
