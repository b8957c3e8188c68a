"""Changing a case's channels while its content is made: dropping the channels the
content cannot go to (siaran.publishing.fit.channels_unfit), so that it can pass its
review and be published to the rest."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from siaran.core.templatetags.siaran import platform_label
from siaran.orgs.models import Person

from .actions import ActionError, _load_case_at_work, _moved_on, _record
from .definitions import definition
from .models import Case


def case_channels_drop(*, person: Person, case_id: int, channels: list[str]) -> Case:
    """Take `channels` off the case; only whoever may work on its current step may, and
    only before publishing starts. A case whose SOP publishes keeps at least one."""
    case, _state = _load_case_at_work(person, case_id)
    if case.status != "active":
        raise ActionError(
            ActionError.CONFLICT,
            "publishing_started",
            _("Publishing has started; the case's channels can no longer change."),
        )
    chosen = list(dict.fromkeys(channels or []))
    unknown = [c for c in chosen if c not in case.channels]
    if unknown:
        raise ActionError(
            ActionError.INVALID,
            "unknown_channel",
            _("This case does not publish to: %(channels)s.") % {"channels": ", ".join(unknown)},
        )
    if not chosen:
        raise ActionError(
            ActionError.INVALID, "no_channel", _("Choose the channels to drop from the case.")
        )
    remaining = [c for c in case.channels if c not in chosen]
    sop = definition(case.sop_version)
    if not remaining and any(step.kind == "publish" for step in sop.steps):
        raise ActionError(
            ActionError.INVALID,
            "last_channel",
            _(
                "At least one channel must remain: this SOP publishes the content. Send the "
                "content back to be changed instead."
            ),
        )
    with transaction.atomic():
        # Still as read: a decision or another change of channels meanwhile wins.
        if not Case.objects.filter(pk=case.pk, lock_version=case.lock_version).update(
            channels=remaining, lock_version=F("lock_version") + 1
        ):
            raise _moved_on()
        _record(
            person,
            case,
            "channels_dropped",
            step_id=case.current_step,
            note=", ".join(platform_label(c) for c in chosen),
            data={"dropped": chosen, "channels": remaining},
        )
    case.channels = remaining
    case.lock_version += 1
    return case
