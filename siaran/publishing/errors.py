"""What went wrong with a publish job, told to the operator in their own language.

A job keeps the kind of trouble (`error_code`), the platform's own words
(`error_detail`) and any values (`error_args`); the explanation is written when read,
so an officer reading in Bahasa Indonesia and one reading in English both understand.
"""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rules import Problem

EXPLANATIONS = {
    "rules": gettext_lazy("Not sent: the content breaks this platform's rules."),
    "token_rejected": gettext_lazy(
        "The platform no longer accepts this account's access (it expired or was revoked). "
        "An administrator must reconnect the account on the Channels page, then retry."
    ),
    "token_expired": gettext_lazy(
        "This account's access has expired. An administrator must reconnect the account on "
        "the Channels page, then retry."
    ),
    "permission": gettext_lazy(
        "The account is not allowed to post this. An administrator must grant the "
        "publishing permission to Siaran's access on the platform, then retry."
    ),
    "bad_media": gettext_lazy(
        "The platform rejected the image or video, or a file of the post is missing. Check "
        "its format, size and proportions."
    ),
    "rejected": gettext_lazy("The platform refused the post."),
    "no_account": gettext_lazy(
        "This institution has no account for this channel. An administrator must connect "
        "one on the Channels page, or post it by hand and record the link."
    ),
    "no_credentials": gettext_lazy(
        "The account for this channel has no access key yet. An administrator must enter it "
        "on the Channels page, then retry."
    ),
    "case_closed": gettext_lazy("Not sent: the case was withdrawn or cancelled."),
    "content_changed": gettext_lazy(
        "Not sent: the content differs from what was approved (its SHA-256 does not match "
        "the approval sheet's). Nothing is published until the content is reviewed again."
    ),
    "no_public_url": gettext_lazy(
        "Not sent: the platform fetches the media from Siaran, but Siaran's public address "
        "(SIARAN_BASE_URL) is not set. Ask the system administrator to set it, then retry."
    ),
    "gave_up": gettext_lazy(
        "The platform kept failing; Siaran stopped after %(attempts)d attempts. Retry later, "
        "or post it by hand and record the link."
    ),
    # Not failures: the job waits and carries on by itself.
    "rate_limited": gettext_lazy(
        "The platform asked Siaran to slow down; it tries again at %(when)s."
    ),
    "server": gettext_lazy("The platform had a problem; Siaran tries again at %(when)s."),
    "network": gettext_lazy("The platform could not be reached; Siaran tries again at %(when)s."),
    "quota": gettext_lazy(
        "The account has used its posting allowance for now; Siaran posts at %(when)s."
    ),
    "processing": gettext_lazy(
        "The platform is still processing the video; Siaran checks again at %(when)s."
    ),
    "unknown": gettext_lazy(
        "The platform did not answer after receiving the post. Siaran is asking the platform "
        "whether it was published before it tries again, so it is never posted twice."
    ),
}


# Failures of the content itself: sending it again fails the same way, so no retry is
# offered; the content must change (send the case back), the channel go, or a person post
# it by hand. Every other failure (access, permission, the platform refusing for a reason
# of its own, giving up after transient trouble) may be retried once it is fixed.
NOT_RETRYABLE = frozenset({"rules", "bad_media"})


def retryable(job) -> bool:
    """May a retry fix this failure? Not when the content itself is refused."""
    return job.error_code not in NOT_RETRYABLE


def explain(job) -> str:
    """The job's trouble in the reader's language, with the platform's words, or ""."""
    if not job.error_code:
        return ""
    values = dict(job.error_args or {})
    if job.run_after:
        values.setdefault("when", date_format(localtime(job.run_after), "j M Y H:i"))
    values.setdefault("when", "-")
    values.setdefault("attempts", job.attempts)
    template = EXPLANATIONS.get(job.error_code)
    text = str(template) % values if template else job.error_code
    problems = [str(Problem.from_dict(p)) for p in values.get("problems", [])]
    if problems:
        text += " " + " ".join(problems)
    if job.error_detail:
        text += " " + _('The platform said: "%(detail)s"') % {"detail": job.error_detail}
    return text
