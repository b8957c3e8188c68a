import pytest

from siaran.sop import engine
from siaran.sop.engine import Actor, CaseState, Refused
from siaran.sop.load import load_text
from tests.sopfiles import MINIMAL


def person(pid: str, *lanes: str, on_behalf_of: str | None = None) -> Actor:
    return Actor(id=pid, lanes=frozenset(lanes), on_behalf_of=on_behalf_of)


# Personas of RSPON, one per lane.
UNIT = person("unit", "unit-kerja")
IPKP = person("ipkp", "ipkp")
SUBKOOR = person("subkoor", "subkoor-humas")
HUMAS = person("humas", "tim-humas")
KOORD = person("koord", "koordinator-umum")
DIREKSI = person("direksi", "direksi")
OUTSIDER = person("outsider")


def run_rspon(rspon, director_says: list[str]):
    t = engine.start(rspon, UNIT)
    events = list(t.events)
    state = t.state
    for actor in (UNIT, IPKP, SUBKOOR, HUMAS, SUBKOOR, KOORD):
        state, new = _step(rspon, state, actor, "done")
        events += new
    for answer in director_says:
        note = "Perbaiki logo" if answer == "tidak" else ""
        state, new = _step(rspon, state, DIREKSI, answer, note)
        events += new
        if answer == "tidak":
            for actor in (HUMAS, SUBKOOR, KOORD):
                state, new = _step(rspon, state, actor, "done")
                events += new
    return state, events


def _step(sop, state, actor, outcome, note=""):
    t = engine.advance(sop, state, actor, outcome, note=note)
    return t.state, list(t.events)


def test_rspon_runs_to_publication(rspon):
    state, events = run_rspon(rspon, ["ya"])
    assert state.current == ("upload",)
    state, new = _step(rspon, state, HUMAS, "publish")
    assert state.status == engine.PUBLISHED and state.closed
    assert state.current == ()
    assert new[-1].kind == engine.CASE_ENDED
    assert state.reworks == 0
    kinds = [e.kind for e in events]
    assert kinds[:2] == [engine.CASE_STARTED, engine.STEP_ENTERED]


def test_a_no_sends_the_case_back_and_is_counted(rspon):
    state, events = run_rspon(rspon, ["tidak", "tidak", "ya"])
    assert state.current == ("upload",)
    assert state.reworks == 2
    assert state.reworks_from["director-review"] == 2
    assert state.visits["edit"] == 3
    sent_back = [e for e in events if e.kind == engine.SENT_BACK]
    assert [(e.step, e.to_step, e.round, e.note) for e in sent_back] == [
        ("director-review", "edit", 1, "Perbaiki logo"),
        ("director-review", "edit", 2, "Perbaiki logo"),
    ]
    entered_edit = [e.round for e in events if e.kind == engine.STEP_ENTERED and e.step == "edit"]
    assert entered_edit == [1, 2, 3]


def test_refusals_are_precise_and_change_nothing(rspon):
    t = engine.start(rspon, UNIT)
    state = t.state
    with pytest.raises(Refused) as refused:
        engine.advance(rspon, state, OUTSIDER, "done")
    assert refused.value.code == Refused.NOT_YOUR_LANE
    assert "Unit Kerja" in str(refused.value)
    with pytest.raises(Refused) as refused:
        engine.advance(rspon, state, UNIT, "ya")
    assert refused.value.code == Refused.UNKNOWN_OUTCOME
    assert "done" in str(refused.value)
    with pytest.raises(Refused) as refused:
        engine.advance(rspon, state, UNIT, "done", step="upload")
    assert refused.value.code == Refused.NOT_CURRENT_STEP
    state, _ = run_rspon(rspon, [])
    with pytest.raises(Refused) as refused:
        engine.advance(rspon, state, DIREKSI, "tidak", note="  ")
    assert refused.value.code == Refused.NOTE_REQUIRED
    assert state.current == ("director-review",)


def test_a_closed_case_refuses_everything(rspon):
    state, _ = run_rspon(rspon, ["ya"])
    state, _ = _step(rspon, state, HUMAS, "publish")
    for call in (
        lambda: engine.advance(rspon, state, HUMAS, "publish"),
        lambda: engine.withdraw(rspon, state, UNIT),
        lambda: engine.cancel(rspon, state, DIREKSI, "salah"),
    ):
        with pytest.raises(Refused) as refused:
            call()
        assert refused.value.code == Refused.CASE_CLOSED


def test_only_the_first_lane_starts_a_case(poltekkes):
    with pytest.raises(Refused) as refused:
        engine.start(poltekkes, person("anggota", "anggota"))
    assert refused.value.code == Refused.NOT_YOUR_LANE
    t = engine.start(poltekkes, person("direktur", "pengarah"))
    assert t.state.current == ("direction",)
    assert t.state.started_by == "direktur"


def test_withdraw_and_cancel(rspon):
    state = engine.start(rspon, UNIT).state
    with pytest.raises(Refused) as refused:
        engine.withdraw(rspon, state, HUMAS)
    assert refused.value.code == Refused.NOT_STARTER
    withdrawn = engine.withdraw(rspon, state, UNIT, note="Acara batal")
    assert withdrawn.state.status == engine.WITHDRAWN
    assert withdrawn.events[0].note == "Acara batal"
    with pytest.raises(Refused) as refused:
        engine.cancel(rspon, state, DIREKSI, " ")
    assert refused.value.code == Refused.NOTE_REQUIRED
    cancelled = engine.cancel(rspon, state, DIREKSI, "Tidak sesuai kebijakan")
    assert cancelled.state.status == engine.CANCELLED
    assert cancelled.state.current == ()


def test_acting_official_is_recorded(poltekkes):
    plh = person("wadir2", "pengarah", on_behalf_of="direktur")
    t = engine.start(poltekkes, plh)
    assert t.events[0].actor == "wadir2" and t.events[0].on_behalf_of == "direktur"
    t = engine.advance(poltekkes, t.state, plh, "done")
    assert t.events[0].on_behalf_of == "direktur"


def test_poltekkes_four_reviews_and_every_no_returns_to_design(poltekkes):
    direktur = person("direktur", "pengarah")
    actors = {
        "direction": direktur,
        "plan": person("ketua", "ketua-tim"),
        "design": person("anggota", "anggota"),
        "verify": person("kasubbag", "verifikator"),
        "control": person("spi", "pengendali-publikasi"),
        "approve": person("wadir", "penanggung-jawab"),
        "ratify": direktur,
        "upload": person("anggota", "anggota"),
    }
    for refusing in ("verify", "control", "approve", "ratify"):
        state = engine.start(poltekkes, direktur).state
        while state.current[0] != refusing:
            step = poltekkes.step(state.current[0])
            state = engine.advance(poltekkes, state, actors[step.id], step.exits()[0].id).state
        t = engine.advance(poltekkes, state, actors[refusing], "tidak", note="Revisi narasi")
        assert t.state.current == ("design",)
        assert t.state.reworks == 1


def test_separate_duties():
    sop = load_text(MINIMAL + "separate_duties:\n  - [design, review]\n", "sop.yaml")
    both = person("both", "pemohon", "humas", "direktur")
    state = engine.start(sop, both).state
    state = engine.advance(sop, state, both, "done").state
    state = engine.advance(sop, state, both, "done").state
    with pytest.raises(Refused) as refused:
        engine.advance(sop, state, both, "ya")
    assert refused.value.code == Refused.SEPARATE_DUTIES
    other = person("other", "direktur")
    assert engine.advance(sop, state, other, "ya").state.current == ("publish",)


def test_engine_is_deterministic_and_state_round_trips(rspon):
    first = run_rspon(rspon, ["tidak", "ya"])
    second = run_rspon(rspon, ["tidak", "ya"])
    assert first == second
    state = first[0]
    assert CaseState.from_dict(state.as_dict()) == state


def test_choices_show_what_an_actor_may_do(rspon):
    state, _ = run_rspon(rspon, [])
    assert [o.id for o in engine.choices(rspon, state, DIREKSI)["director-review"]] == [
        "ya",
        "tidak",
    ]
    assert engine.choices(rspon, state, HUMAS) == {}


REQUIRES = (
    MINIMAL.replace(
        "lanes:\n",
        "documents:\n"
        "  - {id: surat-permohonan, label: Surat permohonan bertanda tangan}\n"
        "  - {id: nota-dinas, label: Nota dinas, label_en: Memo}\n"
        "lanes:\n",
    )
    .replace("    time: 15 menit\n", "    time: 15 menit\n    requires: [surat-permohonan]\n")
    .replace("    time: 10 menit\n", "    time: 10 menit\n    requires: [nota-dinas]\n")
)


def test_a_step_that_requires_a_document_finishes_only_with_it():
    sop = load_text(REQUIRES, "sop.yaml")
    assert sop.step("request").requires == ("surat-permohonan",)
    everyone = person("all", "pemohon", "humas", "direktur")
    state = engine.start(sop, everyone).state
    with pytest.raises(Refused) as refused:
        engine.advance(sop, state, everyone, "done")
    assert refused.value.code == Refused.OUTPUT_REQUIRED == "output_required"
    assert "Surat permohonan bertanda tangan" in str(refused.value)
    # Other files do not count; the required one does.
    with pytest.raises(Refused):
        engine.advance(sop, state, everyone, "done", outputs=frozenset({"nota-dinas"}))
    state = engine.advance(
        sop, state, everyone, "done", outputs=frozenset({"surat-permohonan"})
    ).state
    state = engine.advance(sop, state, everyone, "done").state
    assert state.current == ("review",)
    # Sending the work back needs no document; passing it on does.
    with pytest.raises(Refused):
        engine.advance(sop, state, everyone, "ya")
    back = engine.advance(sop, state, everyone, "tidak", note="Perbaiki")
    assert back.state.current == ("design",)
