"""Whether the navigation bar shows the reports, without a query on every page.

The answer (`selectors.reportable_sops`) is kept in the session for a few minutes: the
link costs one query per person now and then, not one per page, and a new lane seat
shows the link within minutes. The pages themselves check on every request.
"""

from __future__ import annotations

import time

from django.utils.functional import SimpleLazyObject

from . import selectors

SESSION_KEY = "siaran_reports"
FRESH_FOR = 600  # seconds


def reports(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"siaran_reports": SimpleLazyObject(lambda: _may_see_reports(request))}


def _may_see_reports(request) -> bool:
    person = getattr(request.user, "person", None)
    if person is None:
        return False
    if person.is_admin:
        return True
    kept = request.session.get(SESSION_KEY)
    now = time.time()
    if kept and kept[0] == person.pk and now - kept[1] < FRESH_FOR:
        return kept[2]
    allowed = bool(selectors.reportable_sops(person))
    request.session[SESSION_KEY] = [person.pk, now, allowed]
    return allowed
