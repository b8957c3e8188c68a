"""The monitoring report page and its downloads, and the leaders' dashboard.

Who may see them is `selectors.reportable_sops`; every figure is scoped to the person's
own institution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from siaran.core import sops
from siaran.core.templatetags.siaran import lane_name, localized, platform_label
from siaran.orgs.models import Person
from siaran.sop.model import Sop

from . import form, selectors
from .pdf import render_pdf
from .selectors import Period, PeriodError, parse_period
from .xlsx import render_xlsx


def _person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied(_("Your account is not linked to an institution."))
    return person


@dataclass
class ReportRequest:
    person: Person
    sop: Sop
    choices: list[Sop]  # every SOP the person may see reports of
    today: dt.date
    period: Period
    error: str = ""


def _report_request(request: HttpRequest) -> ReportRequest:
    """Who asks, about which SOP and which period; 403 for anyone the reports are not for."""
    person = _person(request)
    running = (sops.running(person.organization, s) for s in selectors.reportable_sops(person))
    choices = [sop for sop in running if sop]
    if not choices:
        raise PermissionDenied(
            _(
                "Reports are for the institution's administrators and the people of the SOP's "
                "review lanes."
            )
        )
    wanted = request.GET.get("sop") or choices[0].id
    sop = next((s for s in choices if s.id == wanted), None)
    if sop is None:
        raise PermissionDenied(_("You may not see reports of this SOP."))
    zone = person.organization.time_zone
    today = timezone.localtime(timezone.now(), ZoneInfo(zone)).date()
    try:
        period = parse_period(request.GET.get("from", ""), request.GET.get("to", ""), zone, today)
        error = ""
    except PeriodError as problem:
        period, error = Period.last_30_days(zone, today), str(problem)
    return ReportRequest(person, sop, choices, today, period, error)


def _query(sop: Sop, period: Period) -> str:
    return urlencode(
        {"sop": sop.id, "from": period.first.isoformat(), "to": period.last.isoformat()}
    )


def _presets(asked: ReportRequest) -> list[tuple[str, str, bool]]:
    """Quick periods: (label, query, chosen). Six months is how often the regulation asks
    for monitoring."""
    today, zone = asked.today, asked.period.zone
    this_month = Period.month_of(today, zone)
    last_month = Period.month_of(this_month.first - dt.timedelta(days=1), zone)
    half_year = Period((this_month.first - dt.timedelta(days=152)).replace(day=1), today, zone)
    periods = [
        (_("Last 30 days"), Period.last_30_days(zone, today)),
        (_("This month"), Period(this_month.first, today, zone)),
        (_("Last month"), last_month),
        (_("Last 6 months"), half_year),
        (_("This year"), Period(today.replace(month=1, day=1), today, zone)),
    ]
    return [(label, _query(asked.sop, period), period == asked.period) for label, period in periods]


@login_required
def monitoring(request: HttpRequest):
    asked = _report_request(request)
    report = selectors.monitoring(asked.person.organization, asked.sop, asked.period)
    query = _query(asked.sop, asked.period)
    return render(
        request,
        "reports/monitoring.html",
        {
            "asked": asked,
            "report": report,
            "rows": list(zip(report.steps, form.form_rows(report), strict=True)),
            "summary": form.summary(report),
            "identity": form.identity(report),
            "period_text": form.period_text(report),
            "rule": form.rule_text(),
            "cases_text": form.cases_text(),
            "channels_text": form.channels_text(),
            "presets": _presets(asked),
            "xlsx_url": f"{reverse('reports:monitoring-xlsx')}?{query}",
            "pdf_url": f"{reverse('reports:monitoring-pdf')}?{query}",
            "lane_rows": [(lane_name(report.sop, lane.lane_id), lane) for lane in report.lanes],
            "people_rows": [
                (person, ", ".join(lane_name(report.sop, lane) for lane in person.lanes))
                for person in report.people
            ],
            "channel_rows": [
                (platform_label(p), report.channels.counts[p], report.channels.totals[p])
                for p in report.channels.platforms
            ],
            "months": [form.month_label(m) for m in report.channels.months],
            "charts": monitoring_charts(report),
        },
    )


def monitoring_charts(report: selectors.Monitoring) -> dict:
    """What the page's charts draw, as JSON for `json_script`: labels and numbers only."""
    steps = report.steps
    labels = [f"{s.number}" for s in steps]
    titles = [form.step_activity(s) for s in steps]
    minutes = [None if s.median is None else round(s.median / 60, 1) for s in steps]
    p90 = [None if s.p90 is None else round(s.p90 / 60, 1) for s in steps]
    return {
        "compliance": {
            "labels": labels,
            "titles": titles,
            "datasets": [
                {"label": _("Within the time standard"), "data": [s.within for s in steps]},
                {"label": _("Late"), "data": [s.late for s in steps]},
            ],
        },
        "times": {
            "labels": labels,
            "titles": titles,
            "unit": _("minutes"),
            "datasets": [
                {"label": _("Median"), "data": minutes},
                {"label": _("90th percentile"), "data": p90},
            ],
        },
        "lanes": {
            "labels": [lane_name(report.sop, lane.lane_id) for lane in report.lanes],
            "datasets": [
                {"label": _("Finished within"), "data": [x.visits - x.late for x in report.lanes]},
                {"label": _("Finished late"), "data": [x.late for x in report.lanes]},
                {"label": _("Open now"), "data": [x.open_now for x in report.lanes]},
            ],
        },
        "channels": {
            "labels": [form.month_label(m) for m in report.channels.months],
            "datasets": [
                {"label": platform_label(p), "data": report.channels.counts[p]}
                for p in report.channels.platforms
            ],
        },
    }


def _download(request: HttpRequest, format: str) -> HttpResponse:
    asked = _report_request(request)
    if asked.error:  # a hand-made address: show the page, which says what is wrong
        return redirect(f"{reverse('reports:monitoring')}?{request.GET.urlencode()}")
    report = selectors.monitoring(asked.person.organization, asked.sop, asked.period)
    language = "en" if (get_language() or "").startswith("en") else "id"
    name = f"monitoring-{asked.sop.id}-{asked.period.first:%Y%m%d}-{asked.period.last:%Y%m%d}"
    if format == "xlsx":
        data = render_xlsx(report, language, evaluator=asked.person)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = render_pdf(report, language, evaluator=asked.person)
        content_type = "application/pdf"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response


@login_required
def monitoring_xlsx(request: HttpRequest):
    return _download(request, "xlsx")


@login_required
def monitoring_pdf(request: HttpRequest):
    return _download(request, "pdf")


@login_required
def dashboard(request: HttpRequest):
    asked = _report_request(request)
    board = selectors.dashboard(asked.person.organization, asked.sop)
    zone = ZoneInfo(asked.period.zone)
    overdue = [
        {
            "case": item,
            "activity": localized(item.step, "activity") if item.step else item.lane_id,
            "lane": lane_name(asked.sop, item.lane_id),
            "due": formats.date_format(timezone.localtime(item.due, zone), "j M Y H:i"),
            "late_by": form.duration(item.late_by.total_seconds()),
        }
        for item in board.overdue
    ]
    over = board.bottleneck_seconds
    in_flight = board.in_flight
    return render(
        request,
        "reports/dashboard.html",
        {
            "asked": asked,
            "board": board,
            "overdue": overdue,
            "in_flight_total": sum(count for _s, count, _late in in_flight),
            "published_total": sum(board.published.totals.values()),
            "published": [
                (platform_label(p), board.published.totals[p]) for p in board.published.platforms
            ],
            "bottleneck_activity": form.step_activity(board.bottleneck) if board.bottleneck else "",
            "bottleneck_over": form.duration(board.bottleneck.seconds_over)
            if board.bottleneck
            else "",
            "month": form.month_label(board.published.months[0]),
            "monitoring_url": f"{reverse('reports:monitoring')}?sop={asked.sop.id}",
            "charts": {
                "in_flight": {
                    "labels": [str(s.number) for s, _c, _l in in_flight],
                    "titles": [form.step_activity(s) for s, _c, _l in in_flight],
                    "datasets": [
                        {"label": _("On time"), "data": [c - late for _s, c, late in in_flight]},
                        {"label": _("Overdue"), "data": [late for _s, _c, late in in_flight]},
                    ],
                },
                "over": {
                    "labels": [str(s.number) for s, _c, _l in in_flight],
                    "titles": [form.step_activity(s) for s, _c, _l in in_flight],
                    "unit": _("hours"),
                    "datasets": [
                        {
                            "label": _("Time over the standard"),
                            "data": [
                                round(over.get(s.step_id, 0) / 3600, 1) for s, _c, _l in in_flight
                            ],
                        }
                    ],
                },
                "published": {
                    "labels": [platform_label(p) for p in board.published.platforms],
                    "datasets": [
                        {
                            "label": _("Published this month"),
                            "data": [board.published.totals[p] for p in board.published.platforms],
                        }
                    ],
                },
            },
        },
    )
