"""Logins, logouts and failed logins go to the audit log; never the password."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from siaran.core.clients import client_ip
from siaran.orgs.models import Person


def _ip(request) -> str:
    return client_ip(request)


def _person(user) -> Person | None:
    return getattr(user, "person", None) if user is not None else None


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    from .actions import record

    record("login", actor=_person(user), username=user.get_username(), ip=_ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    from .actions import record

    if user is not None:
        record("logout", actor=_person(user), username=user.get_username(), ip=_ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from .actions import record

    username = str(credentials.get("username", ""))
    person = Person.objects.filter(user__username=username).select_related("organization")
    person = person.first()
    record(
        "login_failed",
        organization=person.organization if person else None,
        username=username,
        ip=_ip(request),
    )
