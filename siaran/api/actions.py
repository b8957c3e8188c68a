"""The only code that changes API tokens."""

import secrets

from django.utils import timezone

from siaran.orgs.models import Person

from .models import TOKEN_LIFETIME, ApiToken


def token_issue(*, person: Person) -> str:
    """A new bearer token for `person`; only its digest is kept."""
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        person=person, digest=ApiToken.digest_of(token), expires_at=timezone.now() + TOKEN_LIFETIME
    )
    return token
