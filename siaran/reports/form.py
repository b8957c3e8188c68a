"""The monitoring form of PermenPANRB 35/2012 ("Formulir Monitoring Pelaksanaan SOP"),
filled from a monitoring report: one row per step with its assessment, the figures as
the notes, and a suggested action. The page, the spreadsheet and the PDF read these.

The assessment rule: a step "runs well" (berjalan dengan baik) when at least 80 % of its
visits finished in the period were finished within the time standard; below that it
"does not run well". A step nobody finished in the period is not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from siaran.core.templatetags.siaran import lane_name, localized, platform_label, step_time

from .selectors import GOOD_SHARE, Monitoring, StepFigures

# Suggest looking into send-backs when at least this share of a step's visits said no.
MANY_REWORKS = 0.3


def duration(seconds: float | None) -> str:
    """Clock time in words, to the minute: "45 minutes", "2 hours 5 minutes", "3 days 4
    hours" (days of 24 hours here: this is time taken, not a working-day standard)."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def period_text(report: Monitoring) -> str:
    first, last = report.period.first, report.period.last
    return f"{formats.date_format(first, 'j F Y')} – {formats.date_format(last, 'j F Y')}"


def rule_text() -> str:
    return _(
        "Assessment: a step runs well when at least %(share)s of its visits finished in the "
        "period were finished within the time standard (on the institution's working days "
        "and hours). Times are clock times to the nearest minute; the median and the 90th "
        "percentile are those of Excel's MEDIAN and PERCENTILE.INC."
    ) % {"share": percent(GOOD_SHARE)}


def assessment(runs_well: bool | None, open_ended: bool = False) -> str:
    if open_ended:
        return _("No time standard (any time)")
    if runs_well is None:
        return _("Not carried out in the period")
    return _("Runs well") if runs_well else _("Does not run well")


def step_activity(step: StepFigures) -> str:
    if step.step is None:
        return _("%(step)s (a step of an earlier version of the SOP)") % {"step": step.step_id}
    return localized(step.step, "activity")


def step_standard(step: StepFigures) -> str:
    return step_time(step.step) if step.step else "–"


def notes(step: StepFigures) -> str:
    """The figures behind the assessment, in a sentence or three."""
    if not step.visits:
        text = _("No visit of this step finished in the period.")
    elif step.open_ended:
        text = _(
            "%(visits)d finished, with no time standard (any time); median %(median)s, "
            "90th percentile %(p90)s."
        ) % {"visits": step.visits, "median": duration(step.median), "p90": duration(step.p90)}
    else:
        text = _(
            "%(visits)d finished, %(within)d (%(share)s) within the time standard of "
            "%(standard)s; median %(median)s, 90th percentile %(p90)s."
        ) % {
            "visits": step.visits,
            "within": step.within,
            "share": percent(step.share),
            "standard": step_standard(step),
            "median": duration(step.median),
            "p90": duration(step.p90),
        }
    if step.sent_back:
        text += " " + ngettext(
            "Sent work back %(n)d time.", "Sent work back %(n)d times.", step.sent_back
        ) % {"n": step.sent_back}
    if step.returned:
        text += " " + ngettext(
            "Redone %(n)d time after a send-back.",
            "Redone %(n)d times after a send-back.",
            step.returned,
        ) % {"n": step.returned}
    return text


def action(step: StepFigures, sop) -> str:
    """A plain suggestion where something needs looking at; empty for the evaluator."""
    suggestions = []
    if step.runs_well is False:
        lane = lane_name(sop, step.step.lane) if step.step else ""
        slow = [p.name for p in step.slowest if p.late][:2]
        text = _("Find out with %(lane)s why %(late)d of %(visits)d ran past the standard") % {
            "lane": lane or _("the lane"),
            "late": step.late,
            "visits": step.visits,
        }
        if slow:
            text += " " + _("(most time taken: %(people)s)") % {"people": ", ".join(slow)}
        suggestions.append(text + "; " + _("review the workload or the time standard."))
    if step.visits and step.sent_back / step.visits >= MANY_REWORKS:
        suggestions.append(_("Agree with the makers what this review expects, to send back less."))
    return " ".join(suggestions)


@dataclass
class FormRow:
    number: int
    activity: str
    lane: str
    standard: str
    runs_well: bool | None
    assessment: str
    notes: str
    action: str


def form_rows(report: Monitoring) -> list[FormRow]:
    """One row per step of the SOP, in the form's order."""
    return [
        FormRow(
            number=step.number,
            activity=step_activity(step),
            lane=lane_name(report.sop, step.step.lane) if step.step else "",
            standard=step_standard(step),
            runs_well=step.runs_well,
            assessment=assessment(step.runs_well, step.open_ended),
            notes=notes(step),
            action=action(step, report.sop),
        )
        for step in report.steps
    ]


def identity(report: Monitoring) -> list[tuple[str, str]]:
    """The form's heading: whose SOP, which, and over what period."""
    return [
        (_("Institution"), report.organization.name),
        (_("SOP name"), localized(report.sop, "name")),
        (_("SOP number"), report.sop.number),
        (_("Period monitored"), period_text(report)),
        (_("Date of monitoring"), formats.date_format(report_date(report), "j F Y")),
    ]


def report_date(report: Monitoring):
    """The day the report was made, on the institution's clock."""
    return timezone.localtime(report.generated, ZoneInfo(report.organization.time_zone)).date()


def signature_lines(report: Monitoring, evaluator=None) -> list[str]:
    """The evaluator's signature block: the date, room to sign, name and NIP. Filled with
    the person who downloaded it, when known; dotted lines for a hand otherwise."""
    dots = "." * 40
    lines = [formats.date_format(report_date(report), "j F Y"), _("Evaluator,")]
    if evaluator is not None and evaluator.title:
        lines.append(evaluator.title)
    lines += ["", "", ""]
    lines.append(evaluator.name if evaluator is not None else dots)
    nip = evaluator.nip if evaluator is not None and evaluator.nip else "." * 24
    lines.append(f"NIP. {nip}")
    return lines


def cases_text() -> str:
    return _(
        "Cases: cases that reached the step for the first time in the period; repeats: "
        "visits after a send-back. A visit counts in the period in which it finished."
    )


def channels_text() -> str:
    return _(
        "Until publishing runs through publish jobs, a published case counts as one post on "
        "each of its target channels, in the month it was published."
    )


def summary(report: Monitoring) -> list[tuple[str, str]]:
    """The period in figures, for the page's cards and the statistics sheet."""
    return [
        (_("Cases started"), str(report.started)),
        (_("Cases published"), str(report.ended.get("published", 0))),
        (_("Steps finished"), str(report.visits)),
        (_("Within the time standard"), percent(report.share)),
        (_("Send-backs"), str(report.reworks)),
        (
            _("Steps running well"),
            _("%(good)d of %(steps)d")
            % {"good": report.steps_running_well, "steps": len(report.steps)},
        ),
    ]


def month_label(month) -> str:
    return formats.date_format(month, "F Y")


def channel_label(platform: str) -> str:
    return platform_label(platform)
