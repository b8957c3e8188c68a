"""Does the content fit the case's channels? Asked while it is made and at its review.

Each channel's platform has rules (its connector's `Rules`); an image it refuses as
uploaded may go as a rendition that fits (siaran.cases.media), so what is left after
renditions is what people must act on: change the content (send it back), or drop the
channel from the case (siaran.cases.channels.case_channels_drop).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from siaran.cases.actions import ActionError
from siaran.cases.models import Case, ContentVersion
from siaran.core.templatetags.siaran import platform_label

from .models import ChannelAccount
from .rules import Problem
from .selectors import channel_problems


def channels_unfit(case: Case, version: ContentVersion | None) -> dict[str, list[Problem]]:
    """The case's channels the content cannot go to as it is, each with its problems
    after renditions, in the case's order; channels the content fits are left out.

    Channels posted by hand are listed too: a person posting a poster to YouTube by
    hand meets the same rule (it needs a video)."""
    return {channel: found for channel, found in channel_problems(case, version).items() if found}


def channels_by_hand(case: Case) -> set[str]:
    """The case's channels a person posts and records by hand: the `manual` channel, and
    any whose institution has no account for it or posts it by hand (as
    `publishing.actions._prepare` makes their jobs)."""
    accounts = {
        a.channel: a for a in ChannelAccount.objects.filter(organization_id=case.organization_id)
    }
    return {
        c for c in case.channels if c == "manual" or accounts.get(c) is None or accounts[c].by_hand
    }


def content_fit_refusal(
    case: Case, version: ContentVersion | None, unfit: dict[str, list[Problem]] | None = None
) -> ActionError | None:
    """Why a review may not pass the content on (422 `content_breaks_rules`): a channel
    Siaran posts through the platform's API would refuse it. None when it fits; channels
    posted by hand are not checked. `unfit`: `channels_unfit` already worked out (the
    case page has it)."""
    by_hand = channels_by_hand(case)
    unfit = channels_unfit(case, version) if unfit is None else unfit
    unfit = {c: p for c, p in unfit.items() if c not in by_hand}
    if not unfit:
        return None
    reasons = "; ".join(
        f"{platform_label(channel)}: {' '.join(str(p) for p in found)}"
        for channel, found in unfit.items()
    )
    return ActionError(
        ActionError.INVALID,
        "content_breaks_rules",
        _(
            "The content cannot be published to %(channels)s as it is (%(reasons)s). Send it "
            "back to be changed, or drop these channels from the case first."
        )
        % {"channels": ", ".join(platform_label(c) for c in unfit), "reasons": reasons},
    )
