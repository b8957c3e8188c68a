"""Read queries of API tokens."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from siaran.orgs.models import Person

from .models import ApiToken


def tokens_of(person: Person) -> list[ApiToken]:
    """A person's tokens that still open the API, newest first."""
    return _live(ApiToken.objects.filter(person=person))


def institution_tokens(admin: Person) -> list[ApiToken]:
    """Every live token of the administrator's institution, with whose it is."""
    rows = ApiToken.objects.filter(person__organization_id=admin.organization_id)
    return _live(rows.select_related("person__user"))


def _live(rows: QuerySet[ApiToken]) -> list[ApiToken]:
    """Not expired, and issued under the owner's current password (models.ApiToken)."""
    rows = rows.filter(expires_at__gt=timezone.now(), person__user__is_active=True)
    return [
        row
        for row in rows.select_related("person__user")
        if constant_time_compare(row.password_hash, row.person.user.get_session_auth_hash())
    ]
