"""The monitoring report as a spreadsheet: the monitoring form on the first sheet, one
row per step, then sheets of the full statistics, for those who work on in Excel.

Times on the statistics sheets are Excel durations ([h]:mm), so they sum and sort.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from siaran.core.spreadsheets import xlsx_bytes
from siaran.core.templatetags.siaran import lane_name

from . import form
from .selectors import Monitoring

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="E9ECEF")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
DURATION = "[h]:mm"
CHECK = "✓"


def render_xlsx(report: Monitoring, language: str = "id", evaluator=None) -> bytes:
    with translation.override(language):
        workbook = Workbook()
        _form_sheet(workbook.active, report, evaluator)
        _steps_sheet(workbook.create_sheet(_("Statistics")), report)
        _people_sheet(workbook.create_sheet(_("Lanes and people")), report)
        _channels_sheet(workbook.create_sheet(_("Channels")), report)
        workbook.properties.title = _("SOP implementation monitoring form")
        workbook.properties.creator = "Siaran"
        return xlsx_bytes(workbook)


def _cell(sheet, row: int, column: int, value, *, bold=False, head=False, align=WRAP, fmt=None):
    cell = sheet.cell(row=row, column=column, value=value)
    cell.border = BOX
    cell.alignment = CENTER if head else align
    if bold or head:
        cell.font = BOLD
    if head:
        cell.fill = HEAD_FILL
    if fmt:
        cell.number_format = fmt
    return cell


def _widths(sheet, widths: list[float]) -> None:
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _form_sheet(sheet, report: Monitoring, evaluator) -> None:
    """Tabel 7 of the regulation: No, procedure, assessment (runs well / does not), notes,
    action to take, evaluator's initials; the identity above, the signature below."""
    sheet.title = _("Monitoring form")
    _widths(sheet, [6, 48, 14, 14, 48, 40, 12])
    sheet.merge_cells("A1:G1")
    title = sheet.cell(row=1, column=1, value=_("SOP IMPLEMENTATION MONITORING FORM"))
    title.font = Font(bold=True, size=13)
    title.alignment = Alignment(horizontal="center")
    row = 3
    for label, value in form.identity(report):
        sheet.cell(row=row, column=1, value=label).font = BOLD
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        sheet.cell(row=row, column=3, value=value)
        sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=7)
        row += 1
    row += 1
    header = row
    for column, label in (
        (1, _("No.")),
        (2, _("Procedure / activity")),
        (3, _("Assessment of how it is applied")),
        (5, _("Notes on the assessment")),
        (6, _("Action to be taken")),
        (7, _("Evaluator's initials")),
    ):
        _cell(sheet, header, column, label, head=True)
    _cell(sheet, header, 4, None, head=True)
    _cell(sheet, header + 1, 3, _("Runs well"), head=True)
    _cell(sheet, header + 1, 4, _("Does not run well"), head=True)
    for column in (1, 2, 5, 6, 7):
        _cell(sheet, header + 1, column, None, head=True)
        sheet.merge_cells(
            start_row=header, start_column=column, end_row=header + 1, end_column=column
        )
    sheet.merge_cells(start_row=header, start_column=3, end_row=header, end_column=4)
    row = header + 2
    for item in form.form_rows(report):
        _cell(sheet, row, 1, item.number, align=CENTER)
        activity = item.activity
        if item.lane:
            activity += f"\n({item.lane} · {item.standard})"
        _cell(sheet, row, 2, activity)
        good = CHECK if item.runs_well is True else None
        bad = CHECK if item.runs_well is False else None
        _cell(sheet, row, 3, good, align=CENTER)
        _cell(sheet, row, 4, bad, align=CENTER)
        notes = item.notes if item.runs_well is not None else f"{item.assessment}. {item.notes}"
        _cell(sheet, row, 5, notes)
        _cell(sheet, row, 6, item.action)
        _cell(sheet, row, 7, None)
        row += 1
    row += 1
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
    note = sheet.cell(row=row, column=1, value=form.rule_text())
    note.alignment = WRAP
    note.font = Font(italic=True, size=9)
    sheet.row_dimensions[row].height = 42
    row += 2
    for line in form.signature_lines(report, evaluator):
        sheet.cell(row=row, column=5, value=line)
        row += 1
    sheet.freeze_panes = sheet.cell(row=header + 2, column=1)
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.print_title_rows = f"{header}:{header + 1}"


def _duration(seconds) -> dt.timedelta | None:
    return None if seconds is None else dt.timedelta(seconds=round(seconds))


def _steps_sheet(sheet, report: Monitoring) -> None:
    _widths(sheet, [6, 46, 24, 14, 10, 10, 10, 12, 12, 10, 10, 12, 10, 10, 10, 10, 40, 20])
    row = 1
    for label, value in form.summary(report):
        sheet.cell(row=row, column=1, value=label).font = BOLD
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        sheet.cell(row=row, column=3, value=value)
        row += 1
    row += 1
    headers = [
        _("No."),
        _("Activity"),
        _("Lane"),
        _("Time standard"),
        _("Finished"),
        _("Cases"),
        _("Repeats"),
        _("Median"),
        _("90th percentile"),
        _("Within standard"),
        _("Late"),
        _("Share within"),
        _("Sent back"),
        _("Redone"),
        _("Open now"),
        _("Overdue now"),
        _("Most time taken (median)"),
        _("Assessment"),
    ]
    for column, label in enumerate(headers, 1):
        _cell(sheet, row, column, label, head=True)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=3)
    for step in report.steps:
        row += 1
        slowest = "; ".join(f"{p.name} ({form.duration(p.median)})" for p in step.slowest)
        values = [
            step.number,
            form.step_activity(step),
            lane_name(report.sop, step.step.lane) if step.step else "",
            form.step_standard(step),
            step.visits,
            step.cases,
            step.visits - step.cases,
            _duration(step.median),
            _duration(step.p90),
            step.within,
            step.late,
            step.share,
            step.sent_back,
            step.returned,
            step.open_now,
            step.overdue_now,
            slowest,
            form.assessment(step.runs_well, step.open_ended),
        ]
        for column, value in enumerate(values, 1):
            fmt = DURATION if column in (8, 9) else "0%" if column == 12 else None
            _cell(sheet, row, column, value, fmt=fmt)
    row += 2
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=12)
    note = sheet.cell(row=row, column=1, value=form.rule_text() + " " + form.cases_text())
    note.alignment = WRAP
    sheet.row_dimensions[row].height = 60


def _people_sheet(sheet, report: Monitoring) -> None:
    _widths(sheet, [40, 28, 12, 10, 12, 12, 12, 12])
    row = 1
    sheet.cell(row=row, column=1, value=_("Per lane")).font = Font(bold=True, size=12)
    row += 1
    for column, label in enumerate(
        [
            _("Lane"),
            _("People"),
            _("Finished"),
            _("Late"),
            _("Share within"),
            _("Open now"),
            _("Overdue now"),
        ],
        1,
    ):
        _cell(sheet, row, column, label, head=True)
    for lane in report.lanes:
        row += 1
        values = [
            lane_name(report.sop, lane.lane_id),
            lane.people,
            lane.visits,
            lane.late,
            lane.share,
            lane.open_now,
            lane.overdue_now,
        ]
        for column, value in enumerate(values, 1):
            _cell(sheet, row, column, value, fmt="0%" if column == 5 else None)
    row += 2
    sheet.cell(row=row, column=1, value=_("Per person")).font = Font(bold=True, size=12)
    row += 1
    for column, label in enumerate(
        [
            _("Name"),
            _("Lanes"),
            _("Finished"),
            _("Late"),
            _("Share within"),
            _("As Plh./Plt."),
            _("Sent back"),
        ],
        1,
    ):
        _cell(sheet, row, column, label, head=True)
    for person in report.people:
        row += 1
        values = [
            person.name + (f" ({person.title})" if person.title else ""),
            ", ".join(lane_name(report.sop, lane) for lane in person.lanes),
            person.visits,
            person.late,
            person.share,
            person.for_others,
            person.sent_back,
        ]
        for column, value in enumerate(values, 1):
            _cell(sheet, row, column, value, fmt="0%" if column == 5 else None)


def _channels_sheet(sheet, report: Monitoring) -> None:
    channels = report.channels
    _widths(sheet, [20] + [12] * (len(channels.months) + 1))
    sheet.cell(row=1, column=1, value=_("Posts per channel per month")).font = Font(
        bold=True, size=12
    )
    _cell(sheet, 2, 1, _("Channel"), head=True)
    for column, month in enumerate(channels.months, 2):
        _cell(sheet, 2, column, form.month_label(month), head=True)
    _cell(sheet, 2, len(channels.months) + 2, _("Total"), head=True)
    for row, platform in enumerate(channels.platforms, 3):
        _cell(sheet, row, 1, form.channel_label(platform))
        for column, count in enumerate(channels.counts[platform], 2):
            _cell(sheet, row, column, count)
        _cell(sheet, row, len(channels.months) + 2, channels.totals[platform], bold=True)
    note_row = len(channels.platforms) + 4
    sheet.cell(row=note_row, column=1, value=form.channels_text()).alignment = Alignment(
        wrap_text=False
    )
