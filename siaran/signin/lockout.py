"""django-axes with allauth's login form: whom a failure counts against, and the page a
locked-out person sees, which says when the lockout ends."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone

from siaran.orgs.models import Person


def username(request, credentials: dict | None = None) -> str:
    """The username a login attempt is for: allauth passes "username" or "email" (its form
    field is "login"); an address is turned into its person's username, so that a person
    is locked out once, whichever they typed."""
    credentials = credentials or {}
    login = credentials.get("username") or credentials.get("email")
    if not login and request is not None:
        data = getattr(request, "data", None) or request.POST
        login = data.get("login") or data.get("username") or ""
    login = str(login or "").strip()
    if "@" in login:
        user = get_user_model().objects.filter(email__iexact=login).only("username").first()
        if user is not None:
            return user.get_username()
    return login


def ends_at(name: str, ip: str | None) -> dt.datetime:
    """When the lockout of `name` (from `ip`) ends: its last counted failure plus the
    cool-off time."""
    cool_off = get_cool_off() or dt.timedelta(0)
    attempts = AccessAttempt.objects.filter(username=name)
    if ip:
        attempts = attempts.filter(ip_address=ip)
    last = attempts.aggregate(last=Max("attempt_time"))["last"] or timezone.now()
    return last + cool_off


def response(request, original_response=None, credentials: dict | None = None):
    """The lockout page (HTTP 429), with the time it ends in the person's time zone (their
    institution's), or the site's for a name that is nobody's."""
    name = username(request, credentials)
    until = ends_at(name, getattr(request, "axes_ip_address", None))
    person = Person.objects.filter(user__username=name).select_related("organization").first()
    zone_name = person.organization.time_zone if person else settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    context = {"until": timezone.localtime(until, zone), "zone": zone.key}
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    return render(request, "registration/locked_out.html", context, status=status)
