"""The approval sheet (lembar pengesahan): who approved which content, on one A4 page.

It shows the institution, the SOP's name and number, the case, the approved content
version with its SHA-256 (`siaran.cases.digest`) and a thumbnail of its main image, and
one row per review step of the SOP: the SOP's role (the lane), the person's name, NIP
and title ("Plh." when standing in), the outcome, the date and time, and the note. A QR
code and a short code lead to the public verification page.

Which reviews a sheet shows: those of the content version reviewed last. A "no" starts a
new version, so the version of a review decision is 1 + the send-backs before it, and a
sheet's rows are the newest decision of each review step between that version's start
and the next send-back. A step not decided yet is an empty row: such a sheet is
provisional; it is final once the SOP's last review step has passed forward.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    HRFlowable,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from siaran.cases.digest import content_sha256
from siaran.cases.models import Case, CaseEvent, ContentVersion
from siaran.core.templatetags.siaran import platform_label
from siaran.sop import engine
from siaran.sop.model import Sop, Step

from .sop_document import (
    FIELDS,
    GRID,
    HEAD,
    INSTITUTION,
    LABEL,
    PAD_X,
    PAD_Y,
    SMALL,
    TITLE,
    _FooterCanvas,
    _p,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 36
FOOTER = 18
WIDTH = PAGE_WIDTH - 2 * MARGIN
THUMBNAIL = 120  # points, the longer side of the main image's thumbnail
QR_SIZE = 92  # points: about 3.2 cm, read easily by a phone from a printed page
MONO = ParagraphStyle("mono", parent=SMALL, fontName="Courier", fontSize=7, leading=8.5)
# The review table: No., role, name/NIP/title, outcome, date and time, note.
REVIEW_WIDTHS = [20, 92, 150, 52, 78, WIDTH - 392]


@dataclass(frozen=True)
class ReviewRow:
    """One review step of the SOP on the sheet; empty fields while it is not decided."""

    step: Step
    role: str
    name: str = ""
    nip: str = ""
    title: str = ""
    standing_in_for: str = ""  # the name of whom a Plh. stood in for
    outcome: str = ""
    forward: bool = False
    at: dt.datetime | None = None
    note: str = ""

    @property
    def decided(self) -> bool:
        return bool(self.outcome)


@dataclass(frozen=True)
class SheetContent:
    """Everything a sheet shows about its case, read at one moment."""

    case: Case
    sop: Sop
    version: ContentVersion
    content_sha256: str
    rows: tuple[ReviewRow, ...]
    reviews_through: int  # seq of the newest decision shown
    final: bool


def review_steps(sop: Sop) -> list[Step]:
    return [step for step in sop.steps if step.kind == "review"]


def last_review_step(sop: Sop) -> Step | None:
    steps = review_steps(sop)
    return steps[-1] if steps else None


def passes_final_review(sop: Sop, events) -> bool:
    """Do `events` (of one transition) leave the SOP's last review step going forward?"""
    last = last_review_step(sop)
    if last is None:
        return False
    return any(
        event.kind == engine.STEP_DONE
        and event.step == last.id
        and (outcome := last.outcome(event.outcome)) is not None
        and not sop.is_rework(last.id, outcome)
        for event in events
    )


def sheet_content(case: Case, sop: Sop) -> SheetContent | None:
    """The sheet of the version reviewed last; None while no review is done, and once the
    case's content has been disposed of."""
    steps = {step.id: step for step in review_steps(sop)}
    events = list(
        case.events.filter(kind__in=(engine.STEP_DONE, engine.SENT_BACK))
        .select_related("actor", "on_behalf_of")
        .order_by("seq")
    )
    reviews = [e for e in events if e.kind == engine.STEP_DONE and e.step_id in steps]
    if not reviews:
        return None
    newest = reviews[-1]
    send_backs = [e.seq for e in events if e.kind == engine.SENT_BACK]
    before = [seq for seq in send_backs if seq < newest.seq]
    after = [seq for seq in send_backs if seq > newest.seq]
    start, end = (before[-1] if before else 0), (after[0] if after else None)
    decided: dict[str, CaseEvent] = {}
    for event in reviews:
        if event.seq > start and (end is None or event.seq < end):
            decided[event.step_id] = event  # the newest decision of the step counts
    rows = tuple(_row(sop, step, decided.get(step.id)) for step in steps.values())
    # A version is made by each send-back, so it exists, unless the case was disposed of.
    version = case.versions.prefetch_related("media").filter(number=len(before) + 1).first()
    if version is None:
        return None
    last = rows[-1]
    return SheetContent(
        case=case,
        sop=sop,
        version=version,
        content_sha256=content_sha256(version),
        rows=rows,
        reviews_through=newest.seq,
        final=last.decided and last.forward,
    )


def _row(sop: Sop, step: Step, event: CaseEvent | None) -> ReviewRow:
    role = sop.lane(step.lane).name
    if event is None:
        return ReviewRow(step=step, role=role)
    outcome = step.outcome(event.outcome)
    actor, stood_in = event.actor, event.on_behalf_of
    title = actor.title if actor else ""
    if stood_in is not None:  # "Plh. Direktur Utama": the office held, not the stand-in's own
        title = f"Plh. {stood_in.title or stood_in.name}"
    return ReviewRow(
        step=step,
        role=role,
        name=actor.name if actor else "",
        nip=actor.nip if actor else "",
        title=title,
        standing_in_for=stood_in.name if stood_in else "",
        outcome=outcome.label if outcome else event.outcome,
        forward=outcome is not None and not sop.is_rework(step.id, outcome),
        at=event.at,
        note=event.note,
    )


# -- PDF -------------------------------------------------------------------------------


def render_sheet(
    content: SheetContent, *, code: str, url: str, issued_at: dt.datetime, thumbnail=None
) -> bytes:
    """The sheet as PDF bytes, always in Indonesian: it is the institution's record."""
    with translation.override("id"):
        return _SheetBuilder(content, code, url, issued_at, thumbnail).build()


def when(value: dt.datetime, zone: str) -> str:
    """ "24 Januari 2026 14.05 WIB": the institution's own clock, with its zone's name."""
    local = localtime(value, ZoneInfo(zone))
    return f"{formats.date_format(local, 'j F Y H:i')} {local.tzname()}"


def display_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def thumbnail_of(version: ContentVersion, box: float = THUMBNAIL) -> Image | None:
    """The version's main image (its first), small; None when it has none or it cannot
    be read."""
    image = next((f for f in version.ordered_media() if f.kind == "image"), None)
    if image is None:
        return None
    # The preview made on upload when there is one: the same picture, already small.
    source = image.preview if image.preview else image.file
    try:
        with source.open("rb") as file:
            picture = PILImage.open(file)
            picture.draft("RGB", (600, 600))  # a large JPEG decodes at a fraction of its size
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            picture.thumbnail((600, 600))
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return None
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    scale = box / max(picture.size)
    return Image(buffer, width=picture.width * scale, height=picture.height * scale)


def qr_code(url: str, size: float = QR_SIZE) -> Drawing:
    """ReportLab's own QR widget, scaled to `size` points with its quiet zone around it."""
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


class _SheetBuilder:
    def __init__(self, content: SheetContent, code, url, issued_at, thumbnail) -> None:
        self.c = content
        self.code = code
        self.url = url
        self.issued_at = issued_at
        self.thumbnail = thumbnail
        self.zone = content.case.organization.time_zone

    def build(self) -> bytes:
        buffer = io.BytesIO()
        case = self.c.case
        doc = BaseDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + FOOTER,
            title=f"{_('Approval sheet')} {display_code(self.code)} · {case.title}",
            author=case.organization.name,
            subject=self.c.content_sha256,
            creator="Siaran",
            invariant=1,  # the same sheet gives the same bytes
        )
        frame = Frame(MARGIN, MARGIN + FOOTER, WIDTH, PAGE_HEIGHT - 2 * MARGIN - FOOTER, 0, 0, 0, 0)
        doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame])])
        footer = _SheetFooter(
            f"{_('Approval sheet')} {display_code(self.code)} · "
            + _("case %(id)s") % {"id": case.pk}
        )
        doc.build(self.story(), canvasmaker=partial(_FooterCanvas, footer=footer))
        return buffer.getvalue()

    def story(self) -> list:
        return [
            *self.header(),
            Spacer(0, 8),
            self.identity(),
            Spacer(0, 10),
            self.reviews(),
            Spacer(0, 12),
            self.verification(),
        ]

    def header(self) -> list:
        organization = self.c.case.organization
        lines = [_p(organization.parent.upper(), INSTITUTION)] if organization.parent else []
        lines.append(_p(organization.name.upper(), TITLE))
        lines += [
            HRFlowable(width="100%", thickness=1.2, color=colors.black, spaceBefore=4),
            Spacer(0, 6),
            _p(_("APPROVAL SHEET FOR PUBLICATION CONTENT"), TITLE),
            _p(f"No. {display_code(self.code)} · {self.status_text()}", HEAD),
        ]
        return lines

    def status_text(self) -> str:
        if self.c.final:
            return _("final: every review step has passed")
        return _("provisional: not every review step has passed yet")

    def identity(self) -> Table:
        case, sop, version = self.c.case, self.c.sop, self.c.version
        channels = ", ".join(str(platform_label(c)) for c in case.channels) or "-"
        pairs = [
            (_("SOP"), sop.name),
            (_("SOP number"), sop.number),
            (_("Case"), f"#{case.pk} {case.title}"),
            (_("Requesting unit"), case.requesting_unit.name if case.requesting_unit else "-"),
            (_("Channels"), channels),
            (_("Content version"), f"v{version.number} · {version.title}"),
        ]
        rows = [[_p(label, LABEL), _p(":"), _p(value)] for label, value in pairs]
        rows.append([_p(_("Content SHA-256"), LABEL), _p(":"), _p(self.c.content_sha256, MONO)])
        picture = self.thumbnail or _p(_("No image in this content version."), SMALL)
        right = THUMBNAIL + 2 * PAD_X + 4
        details = Table(rows, colWidths=[92, 8, WIDTH - right - 100 - 2 * PAD_X])
        details.setStyle(FIELDS)
        table = Table([[details, picture]], colWidths=[WIDTH - right, right])
        table.setStyle(
            TableStyle(
                [
                    *GRID,
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (1, 0), (1, 0), "CENTER"),
                    ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
                    ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
                ]
            )
        )
        return table

    def reviews(self) -> Table:
        head = [
            _("No."),
            _("Role in the SOP"),
            _("Name, NIP and title"),
            _("Outcome"),
            _("Date and time"),
            _("Note"),
        ]
        rows = [[_p(text, HEAD) for text in head]]
        for number, row in enumerate(self.c.rows, 1):
            if row.decided:
                person = f"<b>{escape(row.name)}</b>"
                if row.nip:
                    person += f"<br/>NIP. {escape(row.nip)}"
                if row.title:
                    person += f"<br/>{escape(row.title)}"
                if row.standing_in_for:
                    person += "<br/>" + escape(
                        _("standing in for %(name)s") % {"name": row.standing_in_for}
                    )
                cells = [
                    Paragraph(person, SMALL),
                    _p(row.outcome, LABEL),
                    _p(when(row.at, self.zone), SMALL),
                    _p(row.note, SMALL),
                ]
            else:
                cells = [_p(_("not decided yet"), SMALL), _p("-"), _p("-"), _p("")]
            rows.append([_p(str(number), SMALL), _p(row.role, SMALL), *cells])
        table = Table(rows, colWidths=REVIEW_WIDTHS, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    *GRID,
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
                    ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
                    ("TOPPADDING", (0, 0), (-1, -1), PAD_Y + 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), PAD_Y + 1),
                ]
            )
        )
        return table

    def verification(self) -> Table:
        texts = [
            _p(_("Verify this sheet"), LABEL),
            _p(
                _(
                    "Scan the QR code or open the address below, or enter the code on the "
                    "verification page. It says whether this sheet matches the archive."
                )
            ),
            Paragraph(f'<link href="{escape(self.url)}">{escape(self.url)}</link>', MONO),
            _p(_("Code: %(code)s") % {"code": display_code(self.code)}, LABEL),
            _p(
                _(
                    "Issued by Siaran on %(when)s. Each decision above was recorded in "
                    "Siaran by the person named, at the time shown."
                )
                % {"when": when(self.issued_at, self.zone)},
                SMALL,
            ),
        ]
        table = Table([[qr_code(self.url), texts]], colWidths=[QR_SIZE + 8, WIDTH - QR_SIZE - 8])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return table


class _SheetFooter:
    """The line under every page, as `sop_document._FooterCanvas` asks of a footer."""

    def __init__(self, left: str) -> None:
        self.left = left
        self.page_text = _("Page %(page)d of %(pages)d")
        self.pages = 0

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        self.pages = pages
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(MARGIN, MARGIN + 4, self.left)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, MARGIN + 4, self.page_text % {"page": page, "pages": pages}
        )
        canvas.restoreState()
