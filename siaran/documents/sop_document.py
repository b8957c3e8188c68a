"""The SOP document: an SOP definition as the official form for administrative SOPs
(SOP AP, PermenPANRB 35/2012), as a PDF and as a printable HTML page.

The form has two parts: the identity block (number, dates, ratifier, legal basis,
qualifications, related SOPs, equipment, warnings, records) and the flowchart table
(one column per lane, each step's symbol in its lane, the quality standard and remarks).
Both renderers read the same texts and paint the same `flowchart.plan`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import partial
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.html import escape as html_escape
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from siaran.core.templatetags.siaran import has_inferences, localized, step_time
from siaran.sop.model import Sop, Step

from . import flowchart
from .flowchart import CONNECTOR, DECISION, PROCESS, TERMINATOR, At, Geometry, Plan

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 28
FOOTER = 22  # room under the frame for the page footer
TABLE_WIDTH = PAGE_WIDTH - 2 * MARGIN

# Widths of the form's text columns in points: No., Kegiatan, then the lanes, then
# Kelengkapan, Waktu, Output, Keterangan. The lanes share what is left.
TEXT_WIDTHS = {"no": 20, "activity": 140, "inputs": 84, "time": 42, "output": 80, "remarks": 62}
LANE_MIN, LANE_MAX = 46, 90
HEADER_ROWS = 2


def column_widths(lanes: int) -> list[float]:
    widths = dict(TEXT_WIDTHS)
    lane = (TABLE_WIDTH - sum(widths.values())) / lanes
    if lane > LANE_MAX:  # few lanes: the activity text gets the room
        widths["activity"] += (lane - LANE_MAX) * lanes
        lane = LANE_MAX
    elif lane < LANE_MIN:  # many lanes: every text column gives up a share
        scale = (TABLE_WIDTH - LANE_MIN * lanes) / sum(widths.values())
        widths = {key: value * scale for key, value in widths.items()}
        lane = LANE_MIN
    return [
        widths["no"],
        widths["activity"],
        *[lane] * lanes,
        widths["inputs"],
        widths["time"],
        widths["output"],
        widths["remarks"],
    ]


# -- the form's texts, shared by both renderers ---------------------------------------


def _date(value) -> str:
    return formats.date_format(value, "j F Y") if value else "-"


def identity(sop: Sop) -> list[tuple[str, str]]:
    """The identity block's label and value pairs, in the form's order."""
    return [
        (_("SOP number"), sop.number),
        (_("Date made"), _date(sop.made)),
        (_("Date revised"), _date(sop.revised)),
        (_("Revision"), sop.revision or "-"),
        (_("Effective"), _date(sop.effective)),
    ]


def person_lines(person) -> list[str]:
    """A signatory as the form prints them: title, name, and the NIP when there is one."""
    lines = [person.title, person.name, f"NIP. {person.nip}" if person.nip else ""]
    return [line for line in lines if line]


def ratifier_lines(sop: Sop) -> list[str]:
    return person_lines(sop.approved_by)


def document_block(sop: Sop) -> list[tuple[str, list[str]]]:
    """Who prepared, examined and approved the SOP, each with the lines the form prints;
    a file that names only who ratified it gives that one row, as before."""
    rows = []
    if sop.prepared_by:
        rows.append((_("Prepared by"), person_lines(sop.prepared_by)))
    if sop.examined_by:
        lines = []
        for person in sop.examined_by:
            lines.append(", ".join(p for p in (person.name, person.title) if p))
            if person.nip:
                lines.append(f"NIP. {person.nip}")
        rows.append((_("Examined by"), lines))
    rows.append((_("Ratified by"), ratifier_lines(sop)))
    return rows


def sections(sop: Sop) -> list[tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]]]:
    """The form's six lists, two a row as the form prints them."""
    return [
        (
            (_("Legal basis"), sop.legal_basis),
            (_("Implementer qualifications"), sop.qualifications),
        ),
        ((_("Related SOPs"), sop.related), (_("Equipment"), sop.equipment)),
        ((_("Warnings"), sop.warnings), (_("Records"), sop.records)),
    ]


def legend() -> list[tuple[str, str, str]]:
    return [
        (TERMINATOR, _("Terminator"), _("Marks where the procedure starts and where it ends")),
        (PROCESS, _("Process"), _("Marks a step of the procedure being carried out")),
        (DECISION, _("Decision"), _("Marks a decision: yes or no")),
        ("arrow", _("Arrow"), _("Marks the direction of the procedure")),
        (CONNECTOR, _("Off-page connector"), _("Marks where the flow continues on another page")),
    ]


def inferred_note() -> str:
    # Not every file comes from a scan: the reason, where the file gives one, is listed
    # by inferred_reasons().
    return _("Inferred: not read from the form itself; the SOP file says where it comes from.")


def inferred_reasons(sop: Sop) -> list[str]:
    """The reasons the file gives for its inferred lanes and arrows, each once."""
    reasons = [
        f"{localized(lane, 'name')}: {lane.inferred_reason}"
        for lane in sop.lanes
        if lane.inferred_reason
    ]
    for step in sop.steps:
        for outcome in step.outcomes:
            if outcome.inferred_reason:
                where = f"{step.no or step.id} {localized(outcome, 'label')}"
                reasons.append(f"{where}: {outcome.inferred_reason}")
    return list(dict.fromkeys(reasons))


def step_texts(step: Step) -> dict[str, str]:
    """A step's text cells; a value the scan lost, read by the project, carries a *."""

    def mark(name: str, text: str) -> str:
        return f"{text} *" if name in step.inferred and text else text

    return {
        "no": step.no or "",
        "activity": mark("activity", localized(step, "activity")),
        "inputs": mark("inputs", ", ".join(step.inputs)),
        "time": mark("time", step_time(step)),
        "output": mark("output", step.output),
        "remarks": mark("remarks", step.remarks),
    }


def lane_heading(lane) -> tuple[str, str]:
    return localized(lane, "name") + (" *" if lane.inferred else ""), lane.holder


def _outcome_label(outcome) -> str:
    return localized(outcome, "label")


def plan_for(sop: Sop, breaks=()) -> Plan:
    geometry = Geometry(lane_width=column_widths(len(sop.lanes))[2])
    return flowchart.plan(sop, geometry, breaks, label=_outcome_label)


# -- HTML ------------------------------------------------------------------------------


def _calc(at: At, reverse: bool = False) -> str:
    """An `At` as a CSS length from the cell's near edge, or from its far edge."""
    frac, off = (1 - at.frac, -at.off) if reverse else (at.frac, at.off)
    return f"calc({frac * 100:g}% + {off:.2f}pt)"


_HEADS = {  # (width, height, points, where the tip is in the box)
    flowchart.DOWN: (6, 5, "0,0 6,0 3,5", (3, 5)),
    flowchart.UP: (6, 5, "0,5 6,5 3,0", (3, 0)),
    flowchart.LEFT: (5, 6, "5,0 5,6 0,3", (0, 3)),
    flowchart.RIGHT: (5, 6, "0,0 0,6 5,3", (5, 3)),
}


def _points(*points: tuple[float, float]) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def _svg(shape: str, w: float, h: float, text: str = "") -> str:
    """A symbol as inline SVG, w by h points; the same shapes `draw_shape` puts in the PDF."""
    if shape == TERMINATOR:
        body = f'<rect x="0.5" y="0.5" width="{w - 1:g}" height="{h - 1:g}" rx="{(h - 1) / 2:g}"/>'
    elif shape == DECISION:
        corners = _points((w / 2, 0.5), (w - 0.5, h / 2), (w / 2, h - 0.5), (0.5, h / 2))
        body = f'<polygon points="{corners}"/>'
    elif shape == CONNECTOR:
        corners = _points(
            (0.5, 0.5), (w - 0.5, 0.5), (w - 0.5, h * 0.6), (w / 2, h - 0.5), (0.5, h * 0.6)
        )
        body = f'<polygon points="{corners}"/>'
        body += f'<text x="{w / 2:g}" y="{h * 0.55:g}">{html_escape(text)}</text>'
    elif shape == "arrow":
        head = _points((w - 5, h / 2 - 2.5), (w, h / 2), (w - 5, h / 2 + 2.5))
        body = (
            f'<line x1="0" y1="{h / 2:g}" x2="{w - 4:g}" y2="{h / 2:g}"/>'
            f'<polygon style="fill:#000;stroke:none" points="{head}"/>'
        )
    else:
        body = f'<rect x="0.5" y="0.5" width="{w - 1:g}" height="{h - 1:g}"/>'
    return (
        f'<svg width="{w:g}pt" height="{h:g}pt" viewBox="0 0 {w:g} {h:g}" aria-hidden="true">'
        f"{body}</svg>"
    )


def cell_html(plan: Plan, row: int, column: int) -> SafeString:
    """What one lane cell shows: pieces of lines, arrowheads, a symbol, labels, connectors,
    each placed absolutely inside the cell so the browser may make the row any height."""
    g = plan.geometry
    parts = []
    items = plan.cell(row, column)
    for line in items["lines"]:
        if line.vertical:
            top, bottom = sorted([line.y1, line.y2], key=lambda a: (a.frac, a.off))
            style = f"left:{_calc(line.x1)};top:{_calc(top)};bottom:{_calc(bottom, reverse=True)}"
            parts.append(f'<span class="sop-line sop-line-v" style="{style}"></span>')
        else:
            left, right = sorted([line.x1, line.x2], key=lambda a: (a.frac, a.off))
            style = f"top:{_calc(line.y1)};left:{_calc(left)};right:{_calc(right, reverse=True)}"
            parts.append(f'<span class="sop-line sop-line-h" style="{style}"></span>')
        if line.head:
            w, h, points, (tx, ty) = _HEADS[line.head]
            style = f"left:calc({_calc(line.x2)} - {tx}pt);top:calc({_calc(line.y2)} - {ty}pt)"
            parts.append(
                f'<svg class="sop-head" style="{style}" width="{w}pt" height="{h}pt" '
                f'viewBox="0 0 {w} {h}" aria-hidden="true"><polygon points="{points}"/></svg>'
            )
    for symbol in items["symbols"]:
        w, h = g.size(symbol.shape)
        style = f"left:calc(50% - {w / 2:g}pt);top:calc(50% - {h / 2:g}pt)"
        step = html_escape(symbol.step_id)
        parts.append(
            f'<span class="sop-symbol sop-{symbol.shape}" data-step="{step}" style="{style}">'
            f"{_svg(symbol.shape, w, h)}</span>"
        )
        if symbol.inferred:
            style = f"left:calc(50% + {w / 2 + 1:g}pt);top:calc(50% - {h / 2 + 2:g}pt)"
            parts.append(
                f'<span class="sop-mark inferred" style="{style}" '
                f'title="{html_escape(symbol.note)}">*</span>'
            )
    for label in items["labels"]:
        if label.align == "right":
            x = f"right:{_calc(label.x, reverse=True)}"
        else:
            x = f"left:{_calc(label.x)}"
        center = " sop-label-center" if label.align == "center" else ""
        style = f"{x};top:{_calc(label.y)}"
        parts.append(
            f'<span class="sop-label{center}" style="{style}">{html_escape(label.text)}</span>'
        )
    for connector in items["connectors"]:
        size = g.connector
        style = (
            f"left:calc({_calc(connector.x)} - {size / 2:g}pt);"
            f"top:calc({_calc(connector.y)} - {size / 2:g}pt)"
        )
        parts.append(
            f'<span class="sop-symbol sop-connector" style="{style}">'
            f"{_svg(CONNECTOR, size, size, connector.text)}</span>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - built above from escaped text and numbers


def flowchart_context(sop: Sop) -> dict:
    """What `documents/flowchart_table.html` needs; the SOP's page uses it too."""
    widths = column_widths(len(sop.lanes))
    plan = plan_for(sop)
    rows = []
    for row, step in enumerate(sop.steps):
        cells = [cell_html(plan, row, column) for column in range(len(sop.lanes))]
        rows.append({"step": step, "text": step_texts(step), "cells": cells})
    return {
        "widths": [f"{w:.2f}" for w in widths],
        "width": f"{sum(widths):.2f}",
        "lanes": [lane_heading(lane) for lane in sop.lanes],
        "rows": rows,
        "min_row_height": plan.geometry.min_row_height,
    }


def render_html(sop: Sop, language: str = "id") -> str:
    """The form as one self-contained page: its styles inline, nothing fetched."""
    with translation.override(language):
        context = {
            "sop": sop,
            "language": language,
            "identity": identity(sop),
            "ratifier": ratifier_lines(sop),
            "document_block": document_block(sop),
            "sections": sections(sop),
            "legend": [
                (format_html("{}", mark_safe(_svg(*_legend_size(shape), "A"))), name, meaning)  # noqa: S308
                for shape, name, meaning in legend()
            ],
            "flow": flowchart_context(sop),
            "inferred_note": inferred_note() if has_inferences(sop) else "",
            "inferred_reasons": inferred_reasons(sop),
        }
        return render_to_string("documents/sop_document.html", context)


def _legend_size(shape: str) -> tuple[str, float, float]:
    if shape == "arrow":
        return "arrow", 30, 10
    if shape == CONNECTOR:
        return CONNECTOR, 12, 12
    w, h = Geometry(lane_width=60).size(shape)
    return shape, w, h


# -- PDF -------------------------------------------------------------------------------

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=7.5, leading=9)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7, leading=8.5)
# The time column is narrow: "sewaktu-waktu" breaks at its hyphen, not inside a word.
TIME = ParagraphStyle("time", parent=SMALL, embeddedHyphenation=1)
HEAD = ParagraphStyle("head", parent=SMALL, fontName="Helvetica-Bold", alignment=TA_CENTER)
HOLDER = ParagraphStyle("holder", parent=SMALL, alignment=TA_CENTER)
LIST = ParagraphStyle("list", parent=BODY, leftIndent=10, bulletFontSize=7.5)
LABEL = ParagraphStyle("label", parent=BODY, fontName="Helvetica-Bold")
TITLE = ParagraphStyle(
    "title", parent=BODY, fontName="Helvetica-Bold", fontSize=11, leading=14, alignment=TA_CENTER
)
INSTITUTION = ParagraphStyle(
    "institution", parent=TITLE, fontSize=10, leading=13, alignment=TA_CENTER
)
PAD_X, PAD_Y = 3, 2
GRID = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
# Label, colon, value rows inside a bordered cell: no padding of their own, tight lines.
FIELDS = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


@dataclass
class PdfDocument:
    """A rendered PDF and what its flowchart drew, so that tests can see the drawing."""

    data: bytes = b""
    pages: int = 0
    # page, step id, shape, and the symbol's centre on the page in points
    symbols: list[tuple[int, str, str, float, float]] = field(default_factory=list)
    connectors: list[tuple[int, str]] = field(default_factory=list)  # page, letter


def render_pdf(sop: Sop, language: str = "id") -> bytes:
    return build_pdf(sop, language).data


def build_pdf(sop: Sop, language: str = "id") -> PdfDocument:
    with translation.override(language):
        return _PdfBuilder(sop).build()


class _PdfBuilder:
    def __init__(self, sop: Sop) -> None:
        self.sop = sop
        self.result = PdfDocument()
        self.widths = column_widths(len(sop.lanes))
        self.frame_height = PAGE_HEIGHT - 2 * MARGIN - FOOTER

    def build(self) -> PdfDocument:
        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + FOOTER,
            title=f"SOP {self.sop.number} {localized(self.sop, 'name')}",
            author=self.sop.institution,
            subject=self.sop.number,
            creator="Siaran",
            invariant=1,  # no timestamps or random ids: the same SOP gives the same bytes
        )
        frame = Frame(
            MARGIN, MARGIN + FOOTER, TABLE_WIDTH, self.frame_height, 0, 0, 0, 0, id="body"
        )
        doc.addPageTemplates([PageTemplate(id="form", frames=[frame])])
        footer = _Footer(self.sop)
        doc.build(self.story(), canvasmaker=partial(_FooterCanvas, footer=footer))
        self.result.data = buffer.getvalue()
        self.result.pages = footer.pages
        return self.result

    def story(self) -> list[Flowable]:
        return [
            self.identity_table(),
            Spacer(0, 8),
            self.sections_table(),
            Spacer(0, 8),
            self.legend_table(),
            *self.flowchart_pages(),
        ]

    # -- the identity block

    def identity_table(self) -> Table:
        sop = self.sop
        organisation = (
            [_p(sop.parent_organisation.upper(), INSTITUTION)] if sop.parent_organisation else []
        )
        organisation.append(_p(sop.institution.upper(), INSTITUTION))
        rows = [[_p(label, LABEL), _p(":"), _p(value)] for label, value in identity(sop)]
        rows += [
            [_p(label, LABEL), _p(":"), _p("\n".join(lines))]
            for label, lines in document_block(sop)
        ]
        rows.append([_p(_("SOP name"), LABEL), _p(":"), _p(localized(sop, "name"), LABEL)])
        right = TABLE_WIDTH * 0.55
        details = Table(rows, colWidths=[90, 8, right - 98 - 2 * PAD_X])
        details.setStyle(FIELDS)
        table = Table([[organisation, details]], colWidths=[TABLE_WIDTH - right, right])
        table.setStyle(
            TableStyle(
                [
                    *GRID,
                    ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                    ("VALIGN", (1, 0), (1, 0), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
                    ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
                ]
            )
        )
        return table

    def sections_table(self) -> Table:
        def cell(title: str, items: tuple[str, ...]) -> list[Flowable]:
            paragraphs = [_p(f"{title}:", LABEL)]
            paragraphs += [
                Paragraph(escape(item), LIST, bulletText=f"{i}.") for i, item in enumerate(items, 1)
            ] or [_p("-")]
            return paragraphs

        rows = [[cell(*left), cell(*right)] for left, right in sections(self.sop)]
        table = Table(rows, colWidths=[TABLE_WIDTH / 2] * 2)
        table.setStyle(TableStyle([*GRID, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return table

    def legend_table(self) -> Table:
        rows = [[_p(_("Legend"), LABEL), "", ""]]
        for shape, name, meaning in legend():
            rows.append([_LegendSymbol(shape), _p(name), _p(meaning)])
        table = Table(rows, colWidths=[50, 100, 300], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    *GRID,
                    ("SPAN", (0, 0), (-1, 0)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ]
            )
        )
        return table

    # -- the flowchart table

    def header_rows(self) -> tuple[list[list], list[float]]:
        lanes = len(self.sop.lanes)
        first = [_p(_("No."), HEAD), _p(_("Activity"), HEAD), _p(_("Implementers"), HEAD)]
        first += [""] * (lanes - 1)
        first += [_p(_("Quality standard"), HEAD), "", "", _p(_("Remarks"), HEAD)]
        second = ["", ""]
        for name, holder in (lane_heading(lane) for lane in self.sop.lanes):
            text = f"<b>{escape(name)}</b>"
            if holder:  # in plain type, smaller: "(Kasubbag Akademik/Umum)" fits the lane
                text += f'<br/><font size="6.5">({escape(holder)})</font>'
            second.append(Paragraph(text, HOLDER))
        second += [_p(_("Inputs"), HEAD), _p(_("Time"), HEAD), _p(_("Output"), HEAD), ""]
        rows = [first, second]
        return rows, [self.row_height(row, minimum=14) for row in rows]

    def body_rows(self) -> tuple[list[list], list[float]]:
        """The step rows and the height their texts need."""
        lanes = len(self.sop.lanes)
        rows = []
        for step in self.sop.steps:
            text = step_texts(step)
            rows.append(
                [
                    _p(text["no"], SMALL),
                    _p(text["activity"]),
                    *[""] * lanes,
                    _p(text["inputs"], SMALL),
                    _p(text["time"], TIME),
                    _p(text["output"], SMALL),
                    _p(text["remarks"], SMALL),
                ]
            )
        return rows, [self.row_height(row, minimum=0) for row in rows]

    def row_height(self, row: list, minimum: float) -> float:
        tallest = 0.0
        for cell, width in zip(row, self.widths, strict=True):
            if isinstance(cell, Paragraph):
                tallest = max(tallest, cell.wrap(width - 2 * PAD_X, 10_000)[1])
        return max(minimum, tallest + 2 * PAD_Y + 1)

    def title(self) -> Paragraph:
        return _p(localized(self.sop, "name"), TITLE)

    def flowchart_pages(self) -> list[Flowable]:
        _header, header_heights = self.header_rows()
        body, text_heights = self.body_rows()
        title_height = self.title().wrap(TABLE_WIDTH, 1000)[1] + 6
        room = self.frame_height - title_height - sum(header_heights) - 2
        geometry = plan_for(self.sop).geometry
        # Rows at a page's edge grow to hold a connector, which may move the edge: grow
        # the set of edge rows until the pages stop changing (it only grows, so it stops).
        edges: set[int] = set()
        while True:
            heights = [
                max(text, geometry.edge_row_height if row in edges else geometry.min_row_height)
                for row, text in enumerate(text_heights)
            ]
            chunks = paginate(heights, room)
            found = {c[-1] for c in chunks[:-1]} | {c[0] for c in chunks[1:]}
            if found <= edges:
                break
            edges |= found
        breaks = [chunk[-1] for chunk in chunks[:-1]]
        plan = plan_for(self.sop, breaks)
        story: list[Flowable] = []
        for chunk in chunks:
            story += [PageBreak(), self.title(), Spacer(0, 6)]
            header, _heights = self.header_rows()  # fresh paragraphs: one table owns each
            table = Table(
                header + [body[row] for row in chunk],
                colWidths=self.widths,
                rowHeights=header_heights + [heights[row] for row in chunk],
            )
            table.setStyle(self.flowchart_style())
            story.append(
                _FlowchartPage(
                    table, self.widths, header_heights, chunk, heights, plan, self.result
                )
            )
        return story

    def flowchart_style(self) -> TableStyle:
        lanes = len(self.sop.lanes)
        last_lane = 1 + lanes
        return TableStyle(
            [
                *GRID,
                ("BACKGROUND", (0, 0), (-1, HEADER_ROWS - 1), colors.HexColor("#e9ecef")),
                ("SPAN", (0, 0), (0, 1)),
                ("SPAN", (1, 0), (1, 1)),
                ("SPAN", (2, 0), (last_lane, 0)),
                ("SPAN", (last_lane + 1, 0), (last_lane + 3, 0)),
                ("SPAN", (-1, 0), (-1, 1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
                ("TOPPADDING", (0, 0), (-1, -1), PAD_Y),
                ("BOTTOMPADDING", (0, 0), (-1, -1), PAD_Y),
            ]
        )


def paginate(heights: list[float], room: float) -> list[list[int]]:
    """Rows into pages, in order; a row taller than a page still gets one to itself."""
    chunks: list[list[int]] = [[]]
    used = 0.0
    for row, height in enumerate(heights):
        if chunks[-1] and used + height > room:
            chunks.append([])
            used = 0.0
        chunks[-1].append(row)
        used += height
    return chunks


class _FlowchartPage(Flowable):
    """One page of the flowchart table: the grid and texts, then the symbols and arrows
    painted over the lane cells from the plan."""

    def __init__(self, table, widths, header_heights, rows, heights, plan, result) -> None:
        super().__init__()
        self.table = table
        self.widths = widths
        self.header_heights = header_heights
        self.rows = rows
        self.row_heights = heights
        self.plan = plan
        self.result = result

    def wrap(self, available_width, available_height):
        self.width, self.height = self.table.wrap(available_width, available_height)
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 - ReportLab's name
        self.origin = (x, y)  # where the page puts us, to record where symbols land
        super().drawOn(canvas, x, y, _sW)

    def draw(self) -> None:
        canvas = self.canv
        self.table.drawOn(canvas, 0, 0)
        page = canvas.getPageNumber()
        top = self.height - sum(self.header_heights)
        for row in self.rows:
            height = self.row_heights[row]
            left = sum(self.widths[:2])
            for column in range(len(self.widths) - 6):
                width = self.widths[2 + column]
                cell = _CellPainter(canvas, left, top, width, height, self.plan.geometry)
                items = self.plan.cell(row, column)
                for line in items["lines"]:
                    cell.line(line)
                for symbol in items["symbols"]:
                    cell.symbol(symbol)
                    x = self.origin[0] + cell.x(flowchart.CENTER)
                    y = self.origin[1] + cell.y(flowchart.MIDDLE)
                    self.result.symbols.append((page, symbol.step_id, symbol.shape, x, y))
                for label in items["labels"]:
                    cell.label(label)
                for connector in items["connectors"]:
                    cell.connector(connector)
                    self.result.connectors.append((page, connector.text))
                left += width
            top -= height


class _CellPainter:
    """Draws plan pieces in one cell whose top-left corner is (left, top) on the canvas."""

    def __init__(self, canvas, left, top, width, height, geometry: Geometry) -> None:
        self.canvas = canvas
        self.left, self.top, self.width, self.height = left, top, width, height
        self.g = geometry

    def x(self, at: At) -> float:
        return self.left + at.resolve(self.width)

    def y(self, at: At) -> float:
        return self.top - at.resolve(self.height)

    def line(self, line) -> None:
        c = self.canvas
        c.setLineWidth(0.75)
        x1, y1, x2, y2 = self.x(line.x1), self.y(line.y1), self.x(line.x2), self.y(line.y2)
        c.line(x1, y1, x2, y2)
        if line.head:
            arrowhead(c, x2, y2, line.head)

    def symbol(self, symbol) -> None:
        w, h = self.g.size(symbol.shape)
        cx, cy = self.x(flowchart.CENTER), self.y(flowchart.MIDDLE)
        draw_shape(self.canvas, symbol.shape, cx, cy, w, h)
        if symbol.inferred:
            self.canvas.setFont("Helvetica", 7)
            self.canvas.drawString(cx + w / 2 + 1, cy + h / 2 - 3, "*")

    def label(self, label) -> None:
        c = self.canvas
        c.setFont("Helvetica", 6)
        x, baseline = self.x(label.x), self.y(label.y) - 6 * 0.35
        if label.align == "center":
            c.drawCentredString(x, baseline, label.text)
        elif label.align == "right":
            c.drawRightString(x, baseline, label.text)
        else:
            c.drawString(x, baseline, label.text)

    def connector(self, connector) -> None:
        size = self.g.connector
        draw_shape(
            self.canvas,
            CONNECTOR,
            self.x(connector.x),
            self.y(connector.y),
            size,
            size,
            connector.text,
        )


def arrowhead(canvas, x: float, y: float, direction: str, length=4.5, half=2.3) -> None:
    dx, dy = {
        flowchart.DOWN: (0, -1),
        flowchart.UP: (0, 1),
        flowchart.LEFT: (-1, 0),
        flowchart.RIGHT: (1, 0),
    }[direction]
    base_x, base_y = x - dx * length, y - dy * length
    path = canvas.beginPath()
    path.moveTo(x, y)
    path.lineTo(base_x + dy * half, base_y + dx * half)
    path.lineTo(base_x - dy * half, base_y - dx * half)
    path.close()
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)


def draw_shape(canvas, shape: str, cx: float, cy: float, w: float, h: float, text="") -> None:
    """A flowchart symbol centred at (cx, cy), white inside so lines under it vanish."""
    canvas.saveState()
    canvas.setLineWidth(0.9)
    canvas.setStrokeColor(colors.black)
    canvas.setFillColor(colors.white)
    if shape == TERMINATOR:
        canvas.roundRect(cx - w / 2, cy - h / 2, w, h, h / 2, stroke=1, fill=1)
    elif shape == DECISION:
        path = canvas.beginPath()
        path.moveTo(cx, cy + h / 2)
        path.lineTo(cx + w / 2, cy)
        path.lineTo(cx, cy - h / 2)
        path.lineTo(cx - w / 2, cy)
        path.close()
        canvas.drawPath(path, stroke=1, fill=1)
    elif shape == CONNECTOR:
        path = canvas.beginPath()
        path.moveTo(cx - w / 2, cy + h / 2)
        path.lineTo(cx + w / 2, cy + h / 2)
        path.lineTo(cx + w / 2, cy - h * 0.1)
        path.lineTo(cx, cy - h / 2)
        path.lineTo(cx - w / 2, cy - h * 0.1)
        path.close()
        canvas.drawPath(path, stroke=1, fill=1)
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica-Bold", 6)
        canvas.drawCentredString(cx, cy - 0.5, text)
    elif shape == "arrow":
        canvas.line(cx - w / 2, cy, cx + w / 2 - 1, cy)
        arrowhead(canvas, cx + w / 2, cy, flowchart.RIGHT)
    else:
        canvas.rect(cx - w / 2, cy - h / 2, w, h, stroke=1, fill=1)
    canvas.restoreState()


class _LegendSymbol(Flowable):
    def __init__(self, shape: str) -> None:
        super().__init__()
        _shape, self.w, self.h = _legend_size(shape)
        self.shape = shape

    def wrap(self, available_width, available_height):
        return self.w, self.h

    def draw(self) -> None:
        draw_shape(self.canv, self.shape, self.w / 2, self.h / 2, self.w, self.h, "A")


class _Footer:
    """The line under every page: the SOP's number and name, the page of how many."""

    def __init__(self, sop: Sop) -> None:
        self.left = f"{sop.number} · {localized(sop, 'name')}"
        self.note = f"* {inferred_note()}" if has_inferences(sop) else ""
        self.page_text = _("Page %(page)d of %(pages)d")
        self.pages = 0

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        self.pages = pages
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.black)
        baseline = MARGIN + 4
        canvas.drawString(MARGIN, baseline, self.left)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, baseline, self.page_text % {"page": page, "pages": pages}
        )
        if self.note:
            canvas.setFont("Helvetica-Oblique", 6.5)
            canvas.drawString(MARGIN, baseline + 9, self.note)
        canvas.restoreState()


class _FooterCanvas(Canvas):
    """Holds every page until the end so the footer can say "page 2 of 3"."""

    def __init__(self, *args, footer: _Footer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for state in self._held:
            self.__dict__.update(state)
            self._footer.draw(self, self._pageNumber, len(self._held))
            super().showPage()
        super().save()
