import datetime as dt
import hashlib

from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from siaran.orgs.models import Person

TOKEN_LIFETIME = dt.timedelta(days=30)
TOKENS_PER_PERSON = 10  # beyond it, issuing a token drops the person's oldest
LAST_USE_STEP = dt.timedelta(minutes=1)  # "last used" is kept to the minute, not per request


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The user's session hash (an HMAC of the password hash) when the token was issued: a
    # new password ends every token, as it ends every session.
    password_hash = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def person_for(cls, token: str) -> Person | None:
        now = timezone.now()
        row = (
            cls.objects.filter(digest=cls.digest_of(token), expires_at__gt=now)
            .select_related("person__organization", "person__user")
            .first()
        )
        if row is None or not row.person.user.is_active:
            return None
        if not constant_time_compare(row.password_hash, row.person.user.get_session_auth_hash()):
            return None
        if row.last_used_at is None or now - row.last_used_at > LAST_USE_STEP:
            cls.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.person
