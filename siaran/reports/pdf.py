"""The monitoring report as a PDF in the layout of the monitoring form (PermenPANRB
35/2012, Tabel 7 "Monitoring Pelaksanaan SOP AP"), in the SOP document's house style:
the form with one row per step and the evaluator's signature, then the full statistics.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from siaran.core.templatetags.siaran import lane_name, localized
from siaran.documents.sop_document import (
    BODY,
    GRID,
    HEAD,
    LABEL,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SMALL,
    TABLE_WIDTH,
    TITLE,
)

from . import form
from .selectors import Monitoring

FOOTER = 22
NOTE = ParagraphStyle("note", parent=SMALL, fontName="Helvetica-Oblique")
CENTERED = ParagraphStyle("centered", parent=BODY, alignment=1)
HEAD_FILL = colors.HexColor("#e9ecef")


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_pdf(report: Monitoring, language: str = "id", evaluator=None) -> bytes:
    with translation.override(language):
        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + FOOTER,
            title=_("SOP implementation monitoring form") + f" · {report.sop.number}",
            author=report.organization.name,
            subject=localized(report.sop, "name"),
            creator="Siaran",
            invariant=1,  # the same report gives the same bytes
        )
        frame = Frame(
            MARGIN,
            MARGIN + FOOTER,
            TABLE_WIDTH,
            PAGE_HEIGHT - 2 * MARGIN - FOOTER,
            0,
            0,
            0,
            0,
            id="body",
        )
        doc.addPageTemplates([PageTemplate(id="report", frames=[frame])])
        footer = (
            f"{report.sop.number} · {localized(report.sop, 'name')} · {form.period_text(report)}"
        )
        page_text = _("Page %(page)d of %(pages)d")

        def canvas(*args, **kwargs):
            return _NumberedCanvas(*args, footer=footer, page_text=page_text, **kwargs)

        doc.build(_story(report, evaluator), canvasmaker=canvas)
        return buffer.getvalue()


def _story(report: Monitoring, evaluator) -> list[Flowable]:
    story: list[Flowable] = [
        _p(_("SOP IMPLEMENTATION MONITORING FORM"), TITLE),
        Spacer(0, 8),
        _identity(report),
        Spacer(0, 8),
        _form_table(report),
        Spacer(0, 4),
        KeepTogether([_p(form.rule_text(), NOTE), Spacer(0, 8), _signature(report, evaluator)]),
        PageBreak(),
        _p(_("Full statistics"), TITLE),
        Spacer(0, 6),
        _summary(report),
        Spacer(0, 8),
        _steps_table(report),
        Spacer(0, 3),
        _p(form.cases_text(), NOTE),
        Spacer(0, 10),
        _lanes_table(report),
        Spacer(0, 10),
        _people_table(report),
        Spacer(0, 10),
        _channels_table(report),
        Spacer(0, 3),
        _p(form.channels_text(), NOTE),
    ]
    return story


def _identity(report: Monitoring) -> Table:
    rows = [[_p(label, LABEL), _p(value)] for label, value in form.identity(report)]
    table = Table(rows, colWidths=[130, TABLE_WIDTH - 130], hAlign="LEFT")
    table.setStyle(TableStyle([*GRID, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _form_table(report: Monitoring) -> Table:
    widths = [26, 200, 62, 62, 210, 160, 0]
    widths[-1] = TABLE_WIDTH - sum(widths)
    rows = [
        [
            _p(_("No."), HEAD),
            _p(_("Procedure / activity"), HEAD),
            _p(_("Assessment of how it is applied"), HEAD),
            "",
            _p(_("Notes on the assessment"), HEAD),
            _p(_("Action to be taken"), HEAD),
            _p(_("Evaluator's initials"), HEAD),
        ],
        ["", "", _p(_("Runs well"), HEAD), _p(_("Does not run well"), HEAD), "", "", ""],
        # The form numbers its columns 1 to 6: the assessment's two boxes share the 3.
        [_p("1", HEAD), _p("2", HEAD), _p("3", HEAD), "", *[_p(n, HEAD) for n in "456"]],
    ]
    for item in form.form_rows(report):
        activity = escape(item.activity)
        if item.lane:
            activity += (
                f'<br/><font size="6.5">{escape(item.lane)} · {escape(item.standard)}</font>'
            )
        notes = item.notes if item.runs_well is not None else f"{item.assessment}. {item.notes}"
        rows.append(
            [
                _p(str(item.number), CENTERED),
                Paragraph(activity, BODY),
                _Check() if item.runs_well is True else "",
                _Check() if item.runs_well is False else "",
                _p(notes, SMALL),
                _p(item.action, SMALL),
                "",
            ]
        )
    table = Table(rows, colWidths=widths, repeatRows=3)
    table.setStyle(
        TableStyle(
            [
                *GRID,
                ("BACKGROUND", (0, 0), (-1, 2), HEAD_FILL),
                ("SPAN", (2, 0), (3, 0)),
                ("SPAN", (2, 2), (3, 2)),
                *[("SPAN", (c, 0), (c, 1)) for c in (0, 1, 4, 5, 6)],
                ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
                ("VALIGN", (0, 3), (-1, -1), "TOP"),
                ("VALIGN", (2, 3), (3, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _signature(report: Monitoring, evaluator) -> Table:
    lines = [_p(line, BODY) for line in form.signature_lines(report, evaluator)]
    table = Table([[line] for line in lines], colWidths=[220], hAlign="RIGHT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _summary(report: Monitoring) -> Table:
    cells = form.summary(report)
    row = [
        Paragraph(f"{escape(label)}<br/><b>{escape(value)}</b>", SMALL) for label, value in cells
    ]
    table = Table([row], colWidths=[TABLE_WIDTH / len(cells)] * len(cells))
    table.setStyle(TableStyle(GRID))
    return table


def _grid(rows: list[list], widths: list[float], numeric_from: int) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *GRID,
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
                ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
                ("FONTSIZE", (0, 1), (-1, -1), 7),
            ]
        )
    )
    return table


def _steps_table(report: Monitoring) -> Table:
    head = [
        _("No."),
        _("Activity"),
        _("Lane"),
        _("Time standard"),
        _("Finished"),
        _("Cases"),
        _("Median"),
        _("90th percentile"),
        _("Share within"),
        _("Late"),
        _("Sent back"),
        _("Open now"),
        _("Most time taken (median)"),
    ]
    rows = [[_p(text, HEAD) for text in head]]
    for step in report.steps:
        slowest = "\n".join(f"{p.name} ({form.duration(p.median)})" for p in step.slowest)
        rows.append(
            [
                _p(str(step.number), SMALL),
                _p(form.step_activity(step), SMALL),
                _p(lane_name(report.sop, step.step.lane) if step.step else "", SMALL),
                _p(form.step_standard(step), SMALL),
                str(step.visits),
                str(step.cases),
                _p(form.duration(step.median), SMALL),
                _p(form.duration(step.p90), SMALL),
                form.percent(step.share),
                str(step.late),
                str(step.sent_back),
                str(step.open_now),
                _p(slowest, SMALL),
            ]
        )
    widths = [24, 156, 80, 48, 44, 36, 52, 52, 42, 32, 38, 38, 0]
    widths[-1] = TABLE_WIDTH - sum(widths)
    return _grid(rows, widths, numeric_from=4)


def _lanes_table(report: Monitoring) -> Table:
    head = [
        _("Lane"),
        _("People"),
        _("Finished"),
        _("Late"),
        _("Share within"),
        _("Open now"),
        _("Overdue now"),
    ]
    rows = [[_p(text, HEAD) for text in head]]
    for lane in report.lanes:
        rows.append(
            [
                _p(lane_name(report.sop, lane.lane_id), SMALL),
                str(lane.people),
                str(lane.visits),
                str(lane.late),
                form.percent(lane.share),
                str(lane.open_now),
                str(lane.overdue_now),
            ]
        )
    return _grid(rows, [260] + [70] * 6, numeric_from=1)


def _people_table(report: Monitoring) -> Table:
    head = [
        _("Name"),
        _("Lanes"),
        _("Finished"),
        _("Late"),
        _("Share within"),
        _("As Plh./Plt."),
        _("Sent back"),
    ]
    rows = [[_p(text, HEAD) for text in head]]
    for person in report.people:
        rows.append(
            [
                _p(person.name + (f"\n{person.title}" if person.title else ""), SMALL),
                _p(", ".join(lane_name(report.sop, lane) for lane in person.lanes), SMALL),
                str(person.visits),
                str(person.late),
                form.percent(person.share),
                str(person.for_others),
                str(person.sent_back),
            ]
        )
    return _grid(rows, [200, 250] + [60] * 5, numeric_from=2)


def _channels_table(report: Monitoring) -> Table:
    channels = report.channels
    head = [_("Channel"), *[form.month_label(m) for m in channels.months], _("Total")]
    rows = [[_p(text, HEAD) for text in head]]
    for platform in channels.platforms:
        rows.append(
            [
                _p(form.channel_label(platform), SMALL),
                *[str(n) for n in channels.counts[platform]],
                str(channels.totals[platform]),
            ]
        )
    first = 110
    rest = min(70, (TABLE_WIDTH - first) / (len(channels.months) + 1))
    return _grid(rows, [first] + [rest] * (len(channels.months) + 1), numeric_from=1)


class _Check(Flowable):
    """A tick in the box, drawn: the standard PDF fonts have no check mark that every
    viewer shows."""

    size = 9

    def wrap(self, available_width, available_height):
        self.x = (available_width - self.size) / 2
        return available_width, self.size

    def draw(self) -> None:
        s, x = self.size, self.x
        self.canv.setLineWidth(1.4)
        path = self.canv.beginPath()
        path.moveTo(x, s * 0.5)
        path.lineTo(x + s * 0.38, s * 0.1)
        path.lineTo(x + s, s * 0.95)
        self.canv.drawPath(path, stroke=1, fill=0)


class _NumberedCanvas(Canvas):
    """Holds every page until the end so the footer can say "page 2 of 3"."""

    def __init__(self, *args, footer: str, page_text: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._page_text = page_text
        self._held: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._held)
        for state in self._held:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7)
            self.drawString(MARGIN, MARGIN + 4, self._footer)
            text = self._page_text % {"page": self._pageNumber, "pages": pages}
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN + 4, text)
            super().showPage()
        super().save()
