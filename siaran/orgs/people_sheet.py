"""The people template (XLSX and CSV) an administrator fills, and reading it back.

Reading changes nothing: `siaran.orgs.actions.people_import` saves what is read here.
One row per person; columns: e-mail, name, NIP, title, unit, administrator, and one column
per SOP the institution runs, headed by the SOP's id, holding the person's lane ids
separated by commas (the template's second sheet lists them).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from siaran.core.spreadsheets import csv_bytes, xlsx_bytes

MAX_ROWS = 500
MAX_BYTES = 2 * 1024 * 1024
# An XLSX is a ZIP: a small file may unpack to gigabytes (a decompression bomb).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


class SheetError(Exception):
    """The file as a whole cannot be read; nothing was saved."""


def columns() -> list[tuple[str, str, tuple[str, ...]]]:
    """(key, header in the current language, other accepted headers) of the fixed columns."""
    return [
        ("email", _("E-mail"), ("e-mail", "email", "surel", "alamat surel", "e-mail address")),
        ("name", _("Name"), ("nama", "name")),
        ("nip", "NIP", ("nip",)),
        ("title", _("Job title"), ("jabatan", "title", "job title")),
        ("unit", _("Unit"), ("unit", "unit kerja")),
        ("admin", _("Administrator"), ("administrator", "admin")),
    ]


YES = {"ya", "yes", "y", "1", "true", "x", "benar"}
NO = {"", "tidak", "no", "n", "0", "false", "bukan"}


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it (the header is row 1)
    values: dict[str, str]
    lanes: dict[str, str] = field(default_factory=dict)  # sop id: "lane, lane"


def template_xlsx(sop_lanes: list[tuple[str, str, list[tuple[str, str]]]]) -> bytes:
    """`sop_lanes`: (sop id, SOP name, [(lane id, lane name)]) of the SOPs the institution
    runs."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("People")[:31]
    headers = [header for _key, header, _others in columns()] + [sop for sop, _n, _l in sop_lanes]
    for number, header in enumerate(headers, 1):
        cell = sheet.cell(row=1, column=number, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 24
        # NIP as text: a number of 18 digits loses its last ones in a spreadsheet.
        for row in range(2, MAX_ROWS + 2):
            sheet.cell(row=row, column=number).number_format = "@"
    guide = book.create_sheet(_("Lanes")[:31])
    for number, header in enumerate((_("SOP"), _("Lane id"), _("Lane")), 1):
        guide.cell(row=1, column=number, value=header).font = Font(bold=True)
        guide.column_dimensions["ABC"[number - 1]].width = 40
    row = 2
    for sop_id, sop_name, lanes in sop_lanes:
        for lane_id, lane_name in lanes:
            for number, value in enumerate((f"{sop_id} ({sop_name})", lane_id, lane_name), 1):
                guide.cell(row=row, column=number, value=value)
            row += 1
    return xlsx_bytes(book)  # every cell kept as text, never a formula


def template_csv(sop_ids: list[str]) -> bytes:
    headers = [header for _key, header, _o in columns()] + sop_ids
    return csv_bytes(headers, [])  # a formula-like header gets its apostrophe there


def read(name: str, data: bytes, sop_ids: list[str]) -> list[Row]:
    """The filled rows of an uploaded template. SheetError when it is not one."""
    if len(data) > MAX_BYTES:
        raise SheetError(_("The file is larger than 2 MB."))
    if not data.strip():
        raise SheetError(_("The file is empty."))
    if name.lower().endswith(".xlsx") or data[:2] == b"PK":
        table = _xlsx_rows(data)
    elif name.lower().endswith((".csv", ".txt")):
        table = _csv_rows(data)
    else:
        raise SheetError(_("Upload the template as an XLSX or CSV file."))
    return _rows(table, sop_ids)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A NIP typed as a number: exact only while it fits a float's 15 digits.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value).strip()
    return text[1:] if text[:1] == "'" else text


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    unreadable = _("This file is not a spreadsheet Siaran can read.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetError(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(unreadable)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        table = []
        for values in sheet.iter_rows(values_only=True):
            table.append([_text(value) for value in values[:64]])
            if len(table) > MAX_ROWS + 1 and any(table[-1]):
                break
        book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError, TypeError):
        raise SheetError(unreadable) from None
    return table


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    # An Indonesian Excel saves CSV with semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [[_text(value) for value in values[:64]] for values in reader]
    except csv.Error:
        raise SheetError(_("This file is not a spreadsheet Siaran can read.")) from None


def _rows(table: list[list[str]], sop_ids: list[str]) -> list[Row]:
    if not table:
        raise SheetError(_("The file is empty."))
    known = {other: key for key, _header, others in columns() for other in others}
    known.update({header.lower(): key for key, header, _others in columns()})
    positions, lanes = {}, {}
    for index, header in enumerate(table[0]):
        header = header.strip().lower()
        if header in known:
            positions[known[header]] = index
        elif header in sop_ids:
            lanes[header] = index
        elif header:
            raise SheetError(
                _("Unknown column %(column)s: use the template's columns.") % {"column": header}
            )
    missing = [key for key in ("email", "name") if key not in positions]
    if missing:
        raise SheetError(_("The file needs the template's columns: e-mail and name at least."))
    rows = []
    for number, values in enumerate(table[1:], 2):
        if not any(values):
            continue
        values = values + [""] * (len(table[0]) - len(values))
        rows.append(
            Row(
                number,
                {key: values[index].strip() for key, index in positions.items()},
                {sop: values[index].strip() for sop, index in lanes.items()},
            )
        )
    if len(rows) > MAX_ROWS:
        raise SheetError(
            _("The file has more than %(count)d people: split it.") % {"count": MAX_ROWS}
        )
    return rows
