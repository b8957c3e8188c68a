import datetime as dt
import hashlib

from django.db import models
from django.utils import timezone

from siaran.orgs.models import Person

TOKEN_LIFETIME = dt.timedelta(days=30)


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def person_for(cls, token: str) -> Person | None:
        row = (
            cls.objects.filter(digest=cls.digest_of(token), expires_at__gt=timezone.now())
            .select_related("person__organization", "person__user")
            .first()
        )
        if row is None or not row.person.user.is_active:
            return None
        return row.person
