"""Sign-ins, sign-outs, failed sign-ins, second factors added or removed and passwords
changed go to the audit log; never a password, a code or a secret."""

from allauth.account import signals as account_signals
from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.dispatch import receiver

from siaran.core.clients import client_ip
from siaran.orgs.models import Person


def _ip(request) -> str:
    return client_ip(request)


def _person(user) -> Person | None:
    return getattr(user, "person", None) if user is not None else None


def _methods(request, user) -> list[str]:
    """How the person proved who they are in this sign-in, as allauth recorded it in the
    session: "password", "totp", "recovery_codes", "webauthn" (a second factor), "passkey"
    (a passkey alone) or "openid_connect:<institution>"."""
    if request is None or not hasattr(request, "session"):
        return []
    methods = []
    for entry in get_authentication_records(request, user):
        method = entry.get("method")
        if method == "socialaccount":
            methods.append(f"openid_connect:{entry.get('provider', '')}")
        elif method == "mfa" and entry.get("passwordless"):
            methods.append("passkey")
        elif method == "mfa":
            methods.append(str(entry.get("type", "mfa")))
        elif method:
            methods.append(str(method))
    return methods


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    from .actions import record

    methods = _methods(request, user)
    record(
        "login",
        actor=_person(user),
        username=user.get_username(),
        ip=_ip(request),
        data={"methods": methods} if methods else None,
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    from .actions import record

    if user is not None:
        record("logout", actor=_person(user), username=user.get_username(), ip=_ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    from .actions import record

    # allauth passes the username or the e-mail address typed; the API the username.
    username = str(credentials.get("username") or credentials.get("email") or "")
    person = (
        Person.objects.filter(Q(user__username=username) | Q(user__email__iexact=username))
        .select_related("organization")
        .first()
        if username
        else None
    )
    record(
        "login_failed",
        organization=person.organization if person else None,
        username=username,
        ip=_ip(request),
    )


@receiver(mfa_signals.authentication_failed)
def _second_factor_failed(sender, request, user, authenticator=None, **kwargs):
    from .actions import record

    kind = authenticator.type if authenticator is not None else ""
    record(
        "second_factor_failed",
        actor=_person(user),
        username=user.get_username(),
        ip=_ip(request),
        data={"type": kind},
    )


def _authenticator_event(kind):
    def handler(sender, request, user, authenticator, **kwargs):
        from .actions import record

        record(
            kind,
            actor=_person(user),
            username=user.get_username(),
            ip=_ip(request),
            data={"type": authenticator.type},
        )

    return handler


_second_factor_added = _authenticator_event("second_factor_added")
_second_factor_removed = _authenticator_event("second_factor_removed")
_second_factor_reset = _authenticator_event("second_factor_reset")
mfa_signals.authenticator_added.connect(_second_factor_added)
mfa_signals.authenticator_removed.connect(_second_factor_removed)
mfa_signals.authenticator_reset.connect(_second_factor_reset)


def _password_event(kind):
    def handler(sender, request, user, **kwargs):
        from .actions import record

        record(kind, actor=_person(user), username=user.get_username(), ip=_ip(request))

    return handler


_password_changed = _password_event("password_changed")
_password_reset = _password_event("password_reset")
_password_set = _password_event("password_set")
account_signals.password_changed.connect(_password_changed)
account_signals.password_reset.connect(_password_reset)
account_signals.password_set.connect(_password_set)
