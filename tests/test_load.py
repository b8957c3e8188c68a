import datetime as dt

import pytest

from siaran.sop.load import SopInvalid, check_file, check_text, load_text
from tests.conftest import ROOT
from tests.sopfiles import MINIMAL


def problems(text: str) -> list[str]:
    sop, found = check_text(text, "sop.yaml")
    assert (sop is None) == bool(found)
    return [str(p) for p in found]


def test_minimal_file_loads():
    sop = load_text(MINIMAL, "sop.yaml")
    assert [s.id for s in sop.steps] == ["request", "design", "review", "publish"]
    assert sop.step("request").next == "design"
    assert sop.step("publish").next is None
    assert sop.step("review").next is None
    assert sop.step("design").time.working_days == 1
    assert sop.effective == dt.date(2026, 1, 5)
    assert sop.step("request").no == "1"
    tidak = sop.step("review").outcome("tidak")
    assert tidak.note_required, "a rework outcome always needs a reason"
    assert not sop.step("review").outcome("ya").note_required


# -- the built-in SOPs say what their paper forms say ---------------------------------


def test_rspon_reads_like_its_form(rspon):
    assert rspon.number == "OT.02.02/XXXIX/8803/2022"
    assert rspon.made == dt.date(2021, 1, 29)
    assert rspon.revision == "03"
    assert rspon.revised == dt.date(2022, 8, 30)
    assert rspon.effective == dt.date(2022, 9, 22)
    assert rspon.ratified_by.nip == "196209131988031002"
    assert rspon.ratified_by.name.startswith("dr. Mursyid Bustami")
    assert len(rspon.legal_basis) == 4
    assert len(rspon.equipment) == 3
    assert len(rspon.lanes) == 6
    assert [s.time.iso() for s in rspon.steps] == [
        "PT15M",
        "P1D",
        "PT15M",
        "PT1H",
        "PT30M",
        "PT30M",
        "PT10M",
        "PT2H",
    ]
    assert [s.no for s in rspon.steps] == ["1", "2", "3", "4", "5", "6", None, None]
    review = rspon.step("director-review")
    assert review.lane == "direksi"
    assert {o.id: o.next for o in review.outcomes} == {"ya": "upload", "tidak": "edit"}
    assert review.outcome("tidak").inferred
    upload = rspon.step("upload")
    assert upload.kind == "publish"
    assert {(c.platform, c.handle) for c in upload.channels} >= {
        ("instagram", "@rumahsakitotak"),
        ("facebook", "@rspusatotak"),
        ("x", "@rumahsakitotak"),
    }
    assert {c.platform for c in upload.channels} == {"instagram", "facebook", "x", "youtube"}
    # Lanes the scan lost are marked as inferences, the first and the directors' are not.
    assert "lane" in rspon.step("produce").inferred
    assert "lane" not in rspon.step("request").inferred


def test_poltekkes_reads_like_its_form(poltekkes):
    assert poltekkes.number == "OT.02.02/F.XXXIV/0764/2025"
    assert poltekkes.effective == dt.date(2025, 1, 24)
    assert poltekkes.revised is None
    assert poltekkes.ratified_by.nip == "197306131997032001"
    assert len(poltekkes.legal_basis) == 5
    assert len(poltekkes.lanes) == 6
    assert [s.time.minutes for s in poltekkes.steps] == [5, 10, 120, 10, 10, 10, 10, 5]
    assert [s.no for s in poltekkes.steps] == ["1", "2", "2", "3", "4", "5", "6", "7"]
    reviews = [s for s in poltekkes.steps if s.kind == "review"]
    assert [s.lane for s in reviews] == [
        "verifikator",
        "pengendali-publikasi",
        "penanggung-jawab",
        "pengarah",
    ]
    for review in reviews:
        assert {o.id for o in review.outcomes} == {"ya", "tidak"}
        assert review.outcome("tidak").next == "design"
        assert review.signs_approval_sheet
    assert {c.platform for c in poltekkes.step("upload").channels} == {
        "website",
        "instagram",
        "tiktok",
        "facebook",
        "youtube",
    }


def test_every_no_leads_back_to_an_earlier_step(builtin):
    for sop in builtin.values():
        for step in sop.steps:
            for outcome in step.outcomes:
                if outcome.id == "tidak":
                    assert sop.is_rework(step.id, outcome), (sop.id, step.id)


# -- a bad file gets every problem at once, with line and path ------------------------


def test_unknown_lane_names_line_and_path():
    text = MINIMAL.replace("lane: humas\n    time: 1 hari", "lane: tim-humas\n    time: 1 hari")
    found = problems(text)
    assert found == ["sop.yaml:24: steps[1].lane: 'tim-humas' is not a lane of this SOP"]


def test_every_problem_is_reported_at_once():
    text = (
        MINIMAL.replace("lane: humas\n    time: 1 hari", "lane: tim-humas\n    time: sehari")
        .replace("next: design}", "next: nowhere}")
        .replace("id: publish\n", "id: design\n")
        .replace("effective: 2026-01-05", "effective: 5 Januari 2026")
    )
    found = problems(text)
    assert any("steps[1].lane: 'tim-humas' is not a lane" in p for p in found)
    assert any("steps[1].time: 'sehari' is not a time" in p for p in found)
    assert any("steps[2].outcomes[1].next: 'nowhere' is not a step" in p for p in found)
    assert any("steps[3].id: 'design' is used twice" in p for p in found)
    assert any("effective: '5 Januari 2026' is not a date" in p for p in found)
    assert len(found) >= 5
    for line in found:
        file, number, _rest = line.split(":", 2)
        assert file == "sop.yaml" and int(number) >= 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("id: mini", "id: Mini Sop"), "id: 'Mini Sop' is not an id"),
        (("id: review\n", "id: request\n"), "steps[2].id: 'request' is used twice"),
        (
            ("{id: humas, name: Tim Humas}", "{id: pemohon, name: Tim Humas}"),
            "lanes[1].id: 'pemohon' is used twice",
        ),
        (("time: 10 menit", "time: sepuluh menit"), "steps[2].time: 'sepuluh menit' is not a time"),
        (("time: 10 menit", "time: 10"), "steps[2].time: 10 has no unit"),
        (
            (
                '    outcomes:\n      - {id: ya, label: "Ya", next: publish}\n'
                "      - {id: tidak, label: Tidak, next: design}\n",
                "",
            ),
            "steps[2].outcomes: a review step must list its outcomes",
        ),
        (
            ("{id: tidak, label: Tidak, next: design}", "{id: tidak, label: Tidak}"),
            "steps[2].outcomes[1].next: leads nowhere",
        ),
        (
            ('{id: ya, label: "Ya", next: publish}', '{id: ya, label: "Ya", next: review}'),
            "a loop with no way out: design -> review -> design never reach the end",
        ),
        (
            ("  - id: design\n    no: 2\n", "  - id: design\n    no: 2\n    next: request\n"),
            "a loop with no way out: request -> design -> request",
        ),
        (
            ('{id: ya, label: "Ya", next: publish}', '{id: ya, label: "Ya", next: end}'),
            "steps[3]: 'publish' cannot be reached from the first step",
        ),
        (("kind: publish", "kind: broadcast"), "steps[3].kind: 'broadcast' is not one of"),
        (
            ('channels:\n      - {platform: instagram, handle: "@uji"}\n', ""),
            "steps[3].channels: a publish step must list the channels",
        ),
        (("platform: instagram", "platform: myspace"), "'myspace' is not one of"),
        (('nip: "197001011995031001"', 'nip: "1970"'), "ratified_by.nip: '1970' is not a NIP"),
        (("activity: Mengunggah", "activty: Mengunggah"), "steps[3].activty: unknown field"),
        (("activity: Mengunggah", "activty: Mengunggah"), "steps[3].activity: missing"),
        (("name: SOP Mini\n", "name: SOP Mini\nname: SOP Dua\n"), "name: the field is given twice"),
        (("lane: direktur", "lane: end"), "steps[2].lane: 'end' is not a lane"),
        (("format: siaran-sop/1", "format: siaran-sop/9"), "format: 'siaran-sop/9' is not a known"),
    ],
)
def test_each_kind_of_problem(change, expected):
    old, new = change
    assert old in MINIMAL
    found = problems(MINIMAL.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_an_unknown_target_is_reported_once_without_knock_on_problems():
    text = MINIMAL.replace("    channels:", "    next: ghost\n    channels:")
    assert problems(text) == ["sop.yaml:41: steps[3].next: 'ghost' is not a step of this SOP"]


def test_a_step_that_leads_only_into_a_closed_loop_cannot_reach_the_end():
    text = MINIMAL.replace("    channels:", "    next: review\n    channels:")
    found = problems(text)
    assert any("steps[0]: 'request' cannot reach the end" in p for p in found), found
    assert any(
        "a loop with no way out: design -> review -> publish -> design" in p for p in found
    ), found


def test_every_step_is_checked_even_when_one_cannot_be_read():
    text = MINIMAL.replace("steps:\n", "steps:\n  - 42\n").replace("lane: direktur", "lane: bos")
    text = text.replace(
        "{id: tidak, label: Tidak, next: design}",
        "junk\n      - {id: ya, label: Lagi, next: design}",
    )
    found = problems(text)
    assert any("steps[0]: expected a mapping of fields" in p for p in found), found
    assert any("steps[3].lane: 'bos' is not a lane" in p for p in found), found
    # The duplicate outcome keeps its own index and line although outcome [1] is junk.
    assert any(":36: steps[3].outcomes[2].id: 'ya' is used twice" in p for p in found), found


@pytest.mark.parametrize(
    "text",
    [
        "no: 0x" + "f" * 3600 + "\n",
        "id: " + "9" * 5000 + "\n",
        "no: 1" + ":00" * 3000 + "\n",
        MINIMAL.replace("time: 10 menit", "time: " + "1" * 4301 + " menit"),
        MINIMAL.replace("time: 10 menit", "time: P" + "9" * 4301 + "D"),
        "a: " + "[" * 30000 + "\n",
        "a:\n" + "".join("  " * i + "- \n" for i in range(2000)),
    ],
    ids=["hex", "long-int", "sexagesimal", "long-time", "long-iso", "brackets", "indent"],
)
def test_hostile_files_get_a_problem_not_a_crash(text):
    assert problems(text)


def test_numbers_are_kept_as_printed():
    sop = load_text(
        MINIMAL.replace("no: 1\n", "no: 010\n").replace("effective:", "revision: 07\neffective:"),
        "sop.yaml",
    )
    assert sop.steps[0].no == "010" and sop.revision == "07"


def test_large_files_are_refused_before_being_read_whole(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2**21))
    assert "larger than" in str(check_file(big)[1][0])


def test_what_is_not_a_regular_file_is_refused_without_waiting(tmp_path):
    """A FIFO would block the reader for ever; /dev/zero never ends (issue 17, finding 14)."""
    import os

    fifo = tmp_path / "sop.yaml"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        sop, problems = check_file(path)
        assert sop is None and "not a regular file" in str(problems[0]), path


def test_many_stuck_steps_are_checked_quickly():
    import time

    rows = "".join(
        f"  - {{id: s{i}, activity: A, lane: humas, time: 5 menit, next: s{i + 1}}}\n"
        for i in range(299)
    )
    text = (
        MINIMAL.split("steps:")[0]
        + "steps:\n"
        + rows
        + ("  - {id: s299, activity: A, lane: humas, time: 5 menit, next: s0}\n")
    )
    started = time.perf_counter()
    found = problems(text)
    assert time.perf_counter() - started < 20  # was minutes when loops were found per step
    assert len(found) == 1 and "a loop with no way out" in found[0]


def test_a_review_that_leads_on_through_next_is_refused():
    text = MINIMAL.replace("    kind: review\n", "    kind: review\n    next: publish\n")
    assert any(
        "steps[2].next: a review step leads on through its outcomes" in p for p in problems(text)
    )


def test_a_task_with_outcomes_is_refused():
    text = MINIMAL.replace("    kind: review\n", "")
    assert any("steps[2].outcomes: only a review step has outcomes" in p for p in problems(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "sop.yaml:1: the file is empty"),
        ("id: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping of fields"),
        ("id: x\n\tname: tab\n", "not valid YAML"),
        ("a: &a [*a, *a]\n", "sop.yaml:1"),
    ],
)
def test_files_that_are_not_an_sop_at_all(text, expected):
    found = problems(text)
    assert found and any(expected in p for p in found), found


def test_yaml_error_reports_its_line():
    text = MINIMAL.replace("    lane: direktur\n", "    lane: direktur\n   bad: [\n")
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith("sop.yaml:3") and "not valid YAML" in found[0]


def test_alias_bombs_are_refused_not_expanded():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name in "bcdefgh":
        prev = chr(ord(name) - 1)
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    found = problems(bomb)
    assert any("expands to more than" in p for p in found)


def test_files_on_disk(tmp_path):
    missing = check_file(tmp_path / "nope.yaml")[1]
    assert "cannot read the file" in str(missing[0])
    binary = tmp_path / "latin1.yaml"
    binary.write_bytes(b"id: mini\nname: \xff\xfe\n")
    found = check_file(binary)[1]
    assert [str(p) for p in found] == [f"{binary}:2: the file is not UTF-8 text"]
    assert "cannot read the file" in str(check_file(tmp_path)[1][0])


def test_load_text_raises_one_exception_with_all_problems():
    with pytest.raises(SopInvalid) as error:
        load_text(MINIMAL.replace("lane: direktur", "lane: bos"), "sop.yaml")
    assert error.value.problems[0].path == "steps[2].lane"
    assert "sop.yaml:" in str(error.value)


def test_separate_duties_name_existing_steps():
    text = MINIMAL + "separate_duties:\n  - [design, review]\n  - [design, ghost]\n"
    found = problems(text)
    assert found == ["sop.yaml:45: separate_duties[1][1]: 'ghost' is not a step of this SOP"], found


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL,
        MINIMAL.replace("lane: direktur", "lane: bos").replace("time: 2 jam", "time: dua jam"),
        MINIMAL.replace("    lane: direktur\n", "    lane: direktur\n   bad: [\n"),
        "id: [unclosed\n",
        "",
    ],
)
def test_pure_python_yaml_parser_gives_the_same_answers(monkeypatch, text):
    """Where PyYAML lacks libyaml the slower parser must report the same problems."""
    import yaml

    from siaran.sop import load

    fast = [str(p) for p in check_text(text, "sop.yaml")[1]]
    monkeypatch.setattr(load, "_YamlLoader", load._yaml_loader(yaml.SafeLoader))
    slow = [str(p) for p in check_text(text, "sop.yaml")[1]]
    assert [line.split(": not valid YAML")[0] for line in slow] == [
        line.split(": not valid YAML")[0] for line in fast
    ]


def test_yes_and_no_stay_words():
    text = MINIMAL.replace(
        '{id: ya, label: "Ya", next: publish}', "{id: ya, label: Yes, label_en: yes, next: publish}"
    )
    sop = load_text(text.replace("{id: tidak, label: Tidak,", "{id: tidak, label: No,"))
    assert [o.label for o in sop.step("review").outcomes] == ["Yes", "No"]
    assert sop.step("review").outcome("ya").label_en == "yes"


HOSTILE_SOPS = ROOT / "tests" / "corpus" / "sops"


@pytest.mark.parametrize("path", sorted(HOSTILE_SOPS.iterdir()), ids=lambda path: path.name)
def test_every_hostile_sop_file_of_the_corpus_is_refused_quickly_with_a_line(path):
    """Files made to break the loader (alias bombs, deep nesting, Python tags, cycles,
    scripts in names): refused with file, line and a sentence, never an exception."""
    import time

    started = time.perf_counter()
    sop, problems = check_file(path)
    assert time.perf_counter() - started < 2
    if path.name == "script-in-names.yaml":  # valid but for its time standard: text stays text
        assert problems and "1 abad" in str(problems)
        return
    assert sop is None and problems
    assert all(str(problem).startswith(f"{path}:") for problem in problems)


# -- the document block, weeks and open-ended steps --------------------------------------

BLOCK = MINIMAL.replace(
    'ratified_by:\n  name: Direktur Uji\n  title: Direktur\n  nip: "197001011995031001"\n',
    """prepared_by: {name: Rina Staf, title: Staf Humas}
examined_by:
  - {name: Budi Kabag, title: Kepala Bagian Umum, nip: "197501012000031002"}
  - {name: Sari Wakil, title: Wakil Rektor II}
approved_by:
  name: Prof. Andi Rektor
  title: Rektor
""",
)


def test_the_document_block_names_who_prepared_examined_and_approved():
    sop = load_text(BLOCK, "sop.yaml")
    assert sop.prepared_by.name == "Rina Staf" and sop.prepared_by.title == "Staf Humas"
    assert [p.name for p in sop.examined_by] == ["Budi Kabag", "Sari Wakil"]
    assert sop.examined_by[0].nip == "197501012000031002"
    assert sop.examined_by[1].nip == ""  # a private university's staff have no NIP
    assert sop.approved_by == sop.ratified_by
    assert sop.approved_by.name == "Prof. Andi Rektor" and sop.approved_by.nip == ""


def test_an_older_file_with_ratified_by_only_reads_as_before():
    sop = load_text(MINIMAL, "sop.yaml")
    assert sop.approved_by.name == "Direktur Uji" and sop.approved_by.nip == "197001011995031001"
    assert sop.prepared_by is None and sop.examined_by == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("approved_by:", "ratified_by: {name: Lain}\napproved_by:"),
            "ratified_by: give who approved the SOP once",
        ),
        (
            ("approved_by:\n  name: Prof. Andi Rektor\n  title: Rektor\n", ""),
            "approved_by: missing",
        ),
        (
            ("Sari Wakil, title", "Sari Wakil, nip: '1234', title"),
            "examined_by[1].nip: '1234' is not a NIP",
        ),
        (
            ("- {name: Sari Wakil, title: Wakil Rektor II}", "- {title: Wakil Rektor II}"),
            "examined_by[1].name: missing",
        ),
        (
            ("prepared_by: {name: Rina Staf, title: Staf Humas}", "prepared_by: Rina"),
            "prepared_by: expected a mapping",
        ),
        (
            ("- {name: Budi Kabag", "- {name: Budi Kabag, pangkat: IV/a"),
            "examined_by[0].pangkat: unknown field",
        ),
        (
            (
                "{id: tidak, label: Tidak, next: design}",
                "{id: tidak, label: Tidak, next: design, inferred: ''}",
            ),
            "steps[2].outcomes[1].inferred: expected true, false or the reason as text",
        ),
        (("time: 1 hari", "time: 1 bulan"), "steps[1].time: '1 bulan' is not a time"),
    ],
)
def test_document_block_problems_name_the_line_and_field(change, expected):
    old, new = change
    assert old in BLOCK
    found = problems(BLOCK.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all(p.startswith("sop.yaml:") for p in found)


def test_inferred_takes_its_reason():
    text = MINIMAL.replace(
        "{id: tidak, label: Tidak, next: design}",
        "{id: tidak, label: Tidak, next: design, inferred: Read from the unit's practice}",
    ).replace("{id: humas, name: Tim Humas}", "{id: humas, name: Tim Humas, inferred: true}")
    sop = load_text(text, "sop.yaml")
    tidak = sop.step("review").outcome("tidak")
    assert tidak.inferred and tidak.inferred_reason == "Read from the unit's practice"
    humas = sop.lane("humas")
    assert humas.inferred and humas.inferred_reason == ""


def test_weeks_and_open_ended_steps_load():
    text = MINIMAL.replace("time: 1 hari", "time: 2 minggu").replace(
        "time: 15 menit", "time: sewaktu-waktu"
    )
    sop = load_text(text, "sop.yaml")
    assert sop.step("design").time.working_days == 10
    assert sop.step("request").time.open_ended
    assert sop.step("request").time_text == "sewaktu-waktu"


def test_a_step_requires_only_documents_the_file_lists():
    from tests.test_engine import REQUIRES

    sop = load_text(REQUIRES, "sop.yaml")
    assert [d.id for d in sop.documents] == ["surat-permohonan", "nota-dinas"]
    assert sop.document("nota-dinas").label_en == "Memo"
    assert sop.step("review").requires == ("nota-dinas",)
    found = problems(REQUIRES.replace("requires: [nota-dinas]", "requires: [kuitansi]"))
    assert len(found) == 1 and "steps[2].requires[0]: 'kuitansi' is not a document" in found[0]
    assert found[0].startswith("sop.yaml:")
    found = problems(REQUIRES.replace("{id: nota-dinas, label: Nota dinas", "{id: nota-dinas"))
    assert any("documents[1].label: missing" in p for p in found), found
    doubled = REQUIRES.replace("id: nota-dinas, label: Nota", "id: surat-permohonan, label: Nota")
    assert any("documents[1].id: 'surat-permohonan' is used twice" in p for p in problems(doubled))
