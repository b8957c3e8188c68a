"""The SOP document: any SOP as the official SOP AP form (PermenPANRB 35/2012), in PDF
and HTML, from the command line and from the SOP's page."""

import io
import re

import pytest
from pypdf import PdfReader

from siaran.documents import flowchart
from siaran.documents.sop_document import (
    MARGIN,
    PAGE_WIDTH,
    build_pdf,
    column_widths,
    plan_for,
    render_html,
    render_pdf,
)
from siaran.sop.load import load_text
from tests.sopfiles import MINIMAL
from tests.test_commands import siaran


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text with its line breaks folded to spaces: a wrapped cell reads whole."""
    reader = PdfReader(io.BytesIO(data))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def expected_shape(sop, index: int) -> str:
    step = sop.steps[index]
    if step.kind == "review":
        return flowchart.DECISION
    if index in (0, len(sop.steps) - 1):
        return flowchart.TERMINATOR
    return flowchart.PROCESS


def long_sop(steps: int = 18):
    """An SOP too long for one page, whose last review sends work back to step 2."""
    lanes = ["pemohon", "humas", "verifikator"]
    text = MINIMAL.split("lanes:")[0].replace("id: mini", "id: panjang")
    text += "lanes:\n" + "".join(f"  - {{id: {lane}, name: Lajur {lane}}}\n" for lane in lanes)
    text += "steps:\n"
    for i in range(1, steps + 1):
        text += (
            f"  - id: s{i}\n    no: {i}\n    lane: {lanes[i % 3]}\n    time: 10 menit\n"
            f"    activity: Langkah {i}, cukup panjang untuk dua baris di kolom kegiatan\n"
        )
        if i == steps - 1:
            text += (
                "    kind: review\n    outcomes:\n"
                f"      - {{id: ya, label: Ya, next: s{steps}}}\n"
                "      - {id: tidak, label: Tidak, next: s2}\n"
            )
    return load_text(text)


@pytest.fixture(params=["rspon-medsos", "poltekkes-jkt2-publikasi"])
def sop(request, builtin):
    return builtin[request.param]


# -- PDF -------------------------------------------------------------------------------


def test_the_pdf_holds_the_whole_form(sop):
    pages = pdf_pages(render_pdf(sop))
    assert len(pages) == 2  # the identity block, then the flowchart table on one page
    identity, table = pages
    assert sop.number in identity
    assert sop.ratified_by.name in identity and f"NIP. {sop.ratified_by.nip}" in identity
    for label in ("Nomor SOP", "Tgl. Pembuatan", "Tgl. Revisi", "Tgl. Efektif"):
        assert label in identity
    for label in ("Disahkan oleh", "Nama SOP", "Dasar hukum", "Kualifikasi pelaksana"):
        assert label in identity
    for label in ("Keterkaitan", "Peralatan / perlengkapan", "Peringatan", "Pencatatan"):
        assert label in identity
    for item in (*sop.legal_basis, *sop.qualifications, *sop.equipment, *sop.warnings):
        assert " ".join(item.split()) in identity, item
    assert sop.name in table
    for label in ("Kegiatan", "Pelaksana", "Mutu baku", "Kelengkapan", "Waktu", "Output"):
        assert label in table
    for lane in sop.lanes:
        assert lane.name in table, lane.name
    starts = [table.index(step.activity) for step in sop.steps]  # in order, one a row
    assert starts == sorted(starts)
    for step, start, end in zip(sop.steps, starts, [*starts[1:], len(table)], strict=True):
        row = table[start:end]
        assert step.time_text in row and step.output in row, step.id


def test_the_dates_are_written_in_indonesian(rspon, poltekkes):
    rspon_text = pdf_pages(render_pdf(rspon))[0]
    assert "29 Januari 2021" in rspon_text and "30 Agustus 2022" in rspon_text
    assert "22 September 2022" in rspon_text
    poltekkes_text = pdf_pages(render_pdf(poltekkes))[0]
    assert "24 Januari 2025" in poltekkes_text
    assert re.search(r"Tgl\. Revisi : -", poltekkes_text)  # the form prints no revision


def test_the_english_pdf_speaks_english(poltekkes):
    identity, table = pdf_pages(render_pdf(poltekkes, "en"))
    assert "Date made" in identity and "Date revised" in identity and "SOP name" in identity
    assert "24 January 2025" in identity
    assert "Publication via the website and social media" in table
    assert "Activity" in table and "Quality standard" in table
    assert "Verify the content concept" in table
    assert "Page 2 of 2" in table


def test_one_symbol_per_step_in_its_lane_column(sop):
    document = build_pdf(sop)
    assert [s[1] for s in document.symbols] == [step.id for step in sop.steps]
    assert [s[2] for s in document.symbols] == [expected_shape(sop, i) for i in range(8)]
    widths = column_widths(len(sop.lanes))
    lanes = [lane.id for lane in sop.lanes]
    for (page, _step, _shape, x, _y), step in zip(document.symbols, sop.steps, strict=True):
        assert page == 2
        column = 2 + lanes.index(step.lane)
        left = MARGIN + sum(widths[:column])
        assert left < x < left + widths[column], step.id


def test_the_shipped_sops_fit_their_table_on_one_page(sop):
    assert build_pdf(sop).connectors == []


def test_the_same_sop_gives_the_same_bytes(poltekkes):
    assert render_pdf(poltekkes) == render_pdf(poltekkes)


def test_a_table_that_breaks_across_pages_gets_off_page_connectors():
    sop = long_sop()
    document = build_pdf(sop)
    assert document.pages == 3
    assert [s[1] for s in document.symbols] == [step.id for step in sop.steps]
    flowchart_pages = {s[0] for s in document.symbols}
    assert flowchart_pages == {2, 3}
    letters: dict[str, set[int]] = {}
    for page, letter in document.connectors:
        letters.setdefault(letter, set()).add(page)
    # One letter for the main flow down to the next page, one for the send-back to step 2
    # on the first page: each drawn at both ends.
    assert letters == {"A": {2, 3}, "B": {2, 3}}
    text = pdf_pages(document.data)
    assert "Halaman 3 dari 3" in text[2]
    assert "Kegiatan" in text[1] and "Kegiatan" in text[2]  # the header repeats


def test_few_lanes_and_a_minimal_sop_render():
    sop = load_text(MINIMAL)
    document = build_pdf(sop)
    assert document.pages == 2
    assert [s[2] for s in document.symbols] == [
        flowchart.TERMINATOR,
        flowchart.PROCESS,
        flowchart.DECISION,
        flowchart.TERMINATOR,
    ]
    assert max(s[3] for s in document.symbols) < PAGE_WIDTH - MARGIN


# -- the flowchart's plan --------------------------------------------------------------


def test_arrows_lead_from_each_step_to_where_its_outcomes_go(sop):
    plan = plan_for(sop)
    lanes = [lane.id for lane in sop.lanes]
    heads = {(line.row, line.column, line.head) for line in plan.lines if line.head}
    for step in sop.steps:
        for outcome in step.exits():
            if outcome.next is None:
                continue
            target = sop.position(outcome.next)
            column = lanes.index(sop.steps[target].lane)
            if sop.is_rework(step.id, outcome):  # into the side of an earlier step
                assert {(target, column, "left"), (target, column, "right")} & heads
            else:
                assert (target, column, "down") in heads, (step.id, outcome.id)
    # every arrowhead points at a step's symbol: none dangles in an empty cell
    symbol_cells = {(s.row, s.column) for s in plan.symbols}
    assert {(row, column) for row, column, _head in heads} <= symbol_cells


def test_decisions_label_their_branches_and_mark_the_inferred_ones(poltekkes, rspon):
    labels = [label.text for label in plan_for(poltekkes).labels]
    assert labels.count("Ya") == 4 and labels.count("Tidak*") == 4
    labels = [label.text for label in plan_for(rspon).labels]
    assert sorted(labels) == ["Tidak*", "Ya"]


def test_lines_stay_in_the_lane_columns(sop):
    plan = plan_for(sop)
    assert {line.column for line in plan.lines} <= set(range(len(sop.lanes)))
    half = plan.geometry.lane_width / 2
    for line in plan.lines:
        for at in (line.x1, line.x2):
            assert 0 <= at.resolve(plan.geometry.lane_width) <= 2 * half + 1e-9


# -- HTML ------------------------------------------------------------------------------


def test_the_html_form_draws_one_symbol_per_step(sop):
    page = render_html(sop)
    assert page.startswith("<!doctype html>") and '<html lang="id">' in page
    drawn = re.findall(r'class="sop-symbol sop-(\w+)" data-step="([\w-]+)"', page)
    assert [step for _shape, step in drawn] == [step.id for step in sop.steps]
    assert [shape for shape, _step in drawn] == [expected_shape(sop, i) for i in range(8)]
    assert page.count('class="sop-lane"') == len(sop.steps) * len(sop.lanes)
    assert page.count('class="sop-head"') >= len(sop.steps) - 1  # an arrowhead into every next step
    assert sop.number in page and sop.ratified_by.nip in page
    assert "@page { size: A4 landscape" in page
    for step in sop.steps:
        assert step.time_text in page


def test_the_html_form_fetches_nothing(sop):
    page = render_html(sop)
    assert not re.findall(r'(?:src|href)="', page)
    assert "http://" not in page and "https://" not in page


def test_the_english_html_form(rspon):
    page = render_html(rspon, "en")
    assert '<html lang="en">' in page
    assert "SOP name" in page and "Date revised" in page
    assert "Health Promotion and Marketing Installation" in page


# -- the command and the download -------------------------------------------------------


def test_the_command_writes_the_pdf_and_the_html(tmp_path):
    pdf = tmp_path / "rspon.pdf"
    result = siaran(
        "sop", "render", "rspon-medsos", "--format", "pdf", "-o", str(pdf), tmp_data=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "OT.02.02/XXXIX/8803/2022" in pdf_pages(pdf.read_bytes())[0]
    html = tmp_path / "poltekkes.html"
    result = siaran(
        "sop",
        "render",
        "poltekkes-jkt2-publikasi",
        "--format",
        "html",
        "--lang",
        "en",
        "-o",
        str(html),
        tmp_data=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert '<html lang="en">' in html.read_text(encoding="utf-8")


def test_the_command_fails_cleanly(tmp_path):
    out = tmp_path / "x.pdf"
    result = siaran(
        "sop", "render", "tidak-ada", "--format", "pdf", "-o", str(out), tmp_data=tmp_path
    )
    assert result.returncode != 0
    assert "tidak-ada" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    result = siaran(
        "sop", "render", "rspon-medsos", "--format", "docx", "-o", str(out), tmp_data=tmp_path
    )
    assert result.returncode != 0
    assert "docx" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.usefixtures("public_sops")
def test_the_sop_page_offers_the_downloads(client):
    page = client.get("/sop/rspon-medsos/").content.decode()
    assert 'href="/sop/rspon-medsos/document.pdf"' in page and "Unduh PDF" in page
    assert 'href="/sop/rspon-medsos/document.html"' in page
    assert page.count('class="sop-symbol') == 8  # the page draws the same flowchart


@pytest.mark.usefixtures("public_sops")
def test_the_downloads(client):
    response = client.get("/sop/poltekkes-jkt2-publikasi/document.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="sop-poltekkes-jkt2-publikasi.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    response = client.get("/sop/poltekkes-jkt2-publikasi/document.html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" in response["Content-Disposition"]
    assert "OT.02.02/F.XXXIV/0764/2025" in response.content.decode()


@pytest.mark.usefixtures("public_sops")
def test_the_download_follows_the_readers_language(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/sop/rspon-medsos/document.pdf")
    assert 'filename="sop-rspon-medsos-en.pdf"' in response["Content-Disposition"]
    assert "Date revised" in pdf_pages(response.content)[0]


@pytest.mark.usefixtures("public_sops")
def test_an_unknown_sop_has_no_document(client):
    assert client.get("/sop/tidak-ada/document.pdf").status_code == 404
    assert client.get("/sop/tidak-ada/document.html").status_code == 404


# -- the document block and the reasons for inferences ---------------------------------

BLOCK = MINIMAL.replace(
    'ratified_by:\n  name: Direktur Uji\n  title: Direktur\n  nip: "197001011995031001"\n',
    """prepared_by: {name: Rina Staf, title: Staf Humas}
examined_by:
  - {name: Budi Kabag, title: Kepala Bagian Umum, nip: "197501012000031002"}
  - {name: Sari Wakil, title: Wakil Rektor II}
approved_by: {name: Andi Rektor, title: Rektor}
""",
).replace(
    "{id: tidak, label: Tidak, next: design}",
    "{id: tidak, label: Tidak, next: design, inferred: Dibaca dari praktik unit}",
)


def test_the_document_block_is_printed_on_the_pdf_and_the_html():
    sop = load_text(BLOCK)
    first = pdf_pages(render_pdf(sop))[0]
    for text in (
        "Disusun oleh",
        "Rina Staf",
        "Diperiksa oleh",
        "Budi Kabag, Kepala Bagian Umum",
        "NIP. 197501012000031002",
        "Sari Wakil, Wakil Rektor II",
        "Disahkan oleh",
        "Andi Rektor",
    ):
        assert text in first, text
    assert first.count("NIP") == 1  # no empty NIP for those who have none
    page = render_html(sop)
    assert "Disusun oleh" in page and "Diperiksa oleh" in page and "Sari Wakil" in page
    assert page.count("NIP.") == 1
    # The inference gives its reason, and no scan is blamed for a file never scanned.
    assert "Dibaca dari praktik unit" in page
    assert "pindaian" not in page.lower() and "scan" not in page.lower()


def test_the_sop_page_and_the_command_show_the_document_block():
    from django.template.loader import render_to_string

    from siaran.core.management.commands.sop import render_table
    from siaran.documents.sop_document import flowchart_context

    sop = load_text(BLOCK)
    page = render_to_string("core/sop_detail.html", {"sop": sop, "flow": flowchart_context(sop)})
    assert "Rina Staf, Staf Humas" in page
    assert "Budi Kabag, Kepala Bagian Umum · NIP 197501012000031002" in page
    assert "Andi Rektor, Rektor</dd>" in page  # no "NIP" with nothing after it
    table = render_table(sop)
    assert "Sari Wakil, Wakil Rektor II" in table and "Andi Rektor, Rektor" in table
    assert "* Dibaca dari praktik unit" in table.replace("3 Tidak: ", "")


def test_an_open_ended_step_reads_sewaktu_waktu_on_the_form():
    sop = load_text(MINIMAL.replace("time: 15 menit", "time: sewaktu-waktu"))
    # The narrow time column breaks it at its hyphen.
    assert "sewaktu- waktu" in pdf_pages(render_pdf(sop))[1]
    assert "any time" in pdf_pages(render_pdf(sop, "en"))[1]
