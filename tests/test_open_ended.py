"""A step with no time standard ("sewaktu-waktu"): no due time, no reminder, no
escalation; shown as "any time" on the pages and left out of the on-time figures."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from siaran.cases import actions
from siaran.core import sops
from siaran.orgs import calendar as org_calendar
from siaran.orgs.models import Person
from siaran.reports import form, selectors
from siaran.sop.load import load_text
from tests.test_pages import login

JAKARTA = ZoneInfo("Asia/Jakarta")
FRIDAY = dt.datetime(2026, 11, 20, 14, tzinfo=JAKARTA)
PRODUCE_TIME = "    output: Video/Poster\n"


@pytest.fixture
def open_ended_produce(monkeypatch):
    """RSPON's SOP with its "produce" step (IPKP's) open-ended, as the deployment's file."""
    org_calendar._built.clear()
    shipped = sops.catalog()
    text = shipped.texts["rspon-medsos"]
    old = "    time: 1 hari\n" + PRODUCE_TIME
    assert text.count(old) == 1
    text = text.replace(old, "    time: sewaktu-waktu\n" + PRODUCE_TIME)
    sop = load_text(text, "rspon-medsos.yaml")
    patched = dataclasses.replace(
        shipped,
        sops={**shipped.sops, "rspon-medsos": sop},
        texts={**shipped.texts, "rspon-medsos": text},
    )
    monkeypatch.setattr(sops, "catalog", lambda: patched)
    yield sop
    org_calendar._built.clear()


def person(username: str) -> Person:
    return Person.objects.select_related("organization", "user").get(user__username=username)


def produce_started(start: dt.datetime):
    unit = person("rspon-unit-kerja")
    case = actions.case_start(person=unit, sop_id="rspon-medsos", title="Sewaktu", now=start)
    return actions.case_decide(person=unit, case_id=case.pk, outcome="done", now=start)


@pytest.mark.django_db
def test_an_open_ended_step_has_no_due_time_reminder_or_escalation(demo, open_ended_produce):
    case = produce_started(FRIDAY)
    assert case.current_step == "produce"
    assert (case.current_due, case.remind_at, case.escalate_at) == (None, None, None)
    # The next step has its standard again (15 menit), counted from when produce ends.
    ipkp = person("rspon-ipkp")
    monday = dt.datetime(2026, 11, 23, 9, tzinfo=JAKARTA)
    case = actions.case_decide(person=ipkp, case_id=case.pk, outcome="done", now=monday)
    assert case.current_step == "receive-letter"
    assert case.current_due == monday + dt.timedelta(minutes=15)
    assert case.remind_at is not None and case.escalate_at is not None
    event = case.events.get(kind="step_done", step_id="produce")
    assert event.due_at is None


@pytest.mark.django_db
def test_pages_say_any_time_for_an_open_ended_step(client, demo, open_ended_produce):
    case = produce_started(dt.datetime.now(JAKARTA) - dt.timedelta(days=30))
    login(client, "rspon-ipkp")
    client.cookies["django_language"] = "en"
    # The English pages leave the language active in this thread: restore it after.
    with translation.override(translation.get_language()):
        inbox = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sewaktu" in inbox and "due any time" in inbox
    assert "Time standard: any time · due <strong>any time</strong>" in page
    assert "Overdue" not in page  # a month waiting is not late without a standard


@pytest.mark.django_db
def test_reports_leave_open_ended_steps_out_of_the_on_time_figures(demo, open_ended_produce):
    case = produce_started(FRIDAY)
    ipkp = person("rspon-ipkp")
    # A week later: late by any standard, but there is none.
    later = FRIDAY + dt.timedelta(days=7)
    actions.case_decide(person=ipkp, case_id=case.pk, outcome="done", now=later)
    organization = ipkp.organization
    period = selectors.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))  # not the demo's
    report = selectors.monitoring(organization, open_ended_produce, period, now=later)
    produce = next(s for s in report.steps if s.step_id == "produce")
    assert produce.visits == 1 and produce.late == 0
    assert produce.open_ended and produce.share is None and produce.runs_well is None
    request = next(s for s in report.steps if s.step_id == "request")
    assert report.visits == sum(s.visits for s in report.steps if s is not produce)
    assert request.visits >= 1
    lane = next(x for x in report.lanes if x.lane_id == "ipkp")
    assert lane.visits == 0  # produce is IPKP's only visit here, and it has no standard
    with translation.override("id"):
        row = next(r for r in form.form_rows(report) if r.number == produce.number)
    assert row.assessment == "Tanpa waktu baku (sewaktu-waktu)"
    assert "tanpa waktu baku" in row.notes


@pytest.mark.django_db
def test_the_report_files_show_an_open_ended_step_as_such(demo, open_ended_produce):
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from siaran.reports.pdf import render_pdf
    from siaran.reports.xlsx import render_xlsx

    case = produce_started(FRIDAY)
    ipkp = person("rspon-ipkp")
    later = FRIDAY + dt.timedelta(days=7)
    actions.case_decide(person=ipkp, case_id=case.pk, outcome="done", now=later)
    period = selectors.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    report = selectors.monitoring(ipkp.organization, open_ended_produce, period, now=later)
    text = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(render_pdf(report))).pages
    )
    assert "Tanpa waktu baku (sewaktu-waktu)" in text
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row}
    assert "Tanpa waktu baku (sewaktu-waktu)" in cells


@pytest.mark.django_db
def test_the_inbox_lists_open_ended_steps_after_those_that_are_due(demo, open_ended_produce):
    from siaran.cases.selectors import open_tasks

    waiting = produce_started(FRIDAY)
    assert waiting.current_due is None
    # The demo leaves a case at IPKP's produce under the shipped SOP (1 hari): due.
    dues = [task.current_due for task in open_tasks(person("rspon-ipkp"))]
    assert dues.count(None) == 1 and len(dues) > 1
    assert dues[-1] is None


def test_a_dash_reads_sewaktu_waktu_on_the_form():
    from siaran.core.templatetags.siaran import step_time
    from tests.sopfiles import MINIMAL

    sop = load_text(MINIMAL.replace("time: 15 menit", 'time: "-"'))
    with translation.override("id"):
        assert step_time(sop.step("request")) == "sewaktu-waktu"
    with translation.override("en"):
        assert step_time(sop.step("request")) == "any time"
