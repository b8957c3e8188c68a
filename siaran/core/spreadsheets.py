"""The one way Siaran writes spreadsheets, XLSX and CSV: no cell is ever a formula.

Names, notes and comments are typed by people. A spreadsheet program runs a cell that
begins with "=", "+", "-" or "@" as a formula (CSV or formula injection), which can fetch
addresses or run commands on the reader's machine. Every export goes through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """Text that a spreadsheet would read as a formula gets a leading apostrophe, which
    makes it text there (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(fields: list[str], rows: Iterable[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    # A byte-order mark, so that Excel reads the Indonesian text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(workbook) -> bytes:
    """The workbook as a file, every cell openpyxl took for a formula (a string beginning
    with "=") stored as the text it is: it reads exactly as typed and never runs."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
