"""Login with Django's own user model, by username or e-mail address (allauth's backend);
every signed-in request also needs the person."""

import functools

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.db import connection

from siaran.core.sql import Table

from .models import Organization, Person


class PersonBackend(AuthenticationBackend):
    """Loads the user's person and institution in the same query as the user: every page
    and every action of a signed-in user reads them."""

    def get_user(self, user_id):
        user = _user_with_person(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _user_with_person(user_id):
    """What select_related("person__organization").filter(pk=user_id).first() reads, in a
    statement written once: on every page, compiling that query cost more than running
    it (bench/README.md, figure 3). Rows come back through the ORM's own converters."""
    users, people, organizations, sql = _tables()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = users.from_row(row)
    row = row[len(users.attnames) :]
    person = None
    if row[0] is not None:  # the person's id: a user without a person (an admin) has none
        person = people.from_row(row)
        organization = organizations.from_row(row[len(people.attnames) :])
        Person._meta.get_field("organization").set_cached_value(person, organization)
        Person._meta.get_field("user").set_cached_value(person, user)
    # Cached as select_related caches it: None makes user.person raise DoesNotExist.
    Person._meta.get_field("user").remote_field.set_cached_value(user, person)
    return user


@functools.cache
def _tables():
    users, people, organizations = Table(get_user_model()), Table(Person), Table(Organization)
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {users.columns('u')}, {people.columns('p')}, {organizations.columns('o')}"  # noqa: S608 (our names)
        f" FROM {users.name} u"
        f" LEFT JOIN {people.name} p ON p.{quote('user_id')} = u.{quote('id')}"
        f" LEFT JOIN {organizations.name} o ON o.{quote('id')} = p.{quote('organization_id')}"
        f" WHERE u.{quote('id')} = %s"
    )
    return users, people, organizations, sql
