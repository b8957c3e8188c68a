"""Properties over many definitions and files Hypothesis makes up."""

from collections import deque

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from siaran.sop import engine
from siaran.sop.engine import Actor
from siaran.sop.load import check_text
from siaran.sop.registry import BUILTIN_DIR
from tests.sopfiles import MINIMAL

LANES = ["a", "b", "c", "d"]


@st.composite
def definitions(draw, any_targets: bool = False):
    """An SOP as plain data: a chain of steps with send-backs, or arbitrary arrows."""
    count = draw(st.integers(min_value=1, max_value=9))
    ids = [f"s{i}" for i in range(count)]
    steps = []
    for i, step_id in enumerate(ids):
        step = {
            "id": step_id,
            "activity": f"Kegiatan {i}",
            "lane": draw(st.sampled_from(LANES)),
            "time": draw(st.sampled_from(["5 menit", "1 jam", "1 hari", "PT30M"])),
        }
        forward = ids[i + 1] if i + 1 < count else "end"
        if draw(st.booleans()):
            step["kind"] = "review"
            targets = [forward]
            if any_targets:
                targets = draw(st.lists(st.sampled_from([*ids, "end"]), min_size=1, max_size=3))
            else:  # send-backs, and a shortcut ahead
                targets += draw(st.lists(st.sampled_from(ids[: i + 1]), max_size=2))
                targets += draw(st.lists(st.sampled_from([*ids[i + 1 :], "end"]), max_size=1))
            step["outcomes"] = [
                {"id": f"o{j}", "label": f"Pilihan {j}", "next": target}
                for j, target in enumerate(targets)
            ]
        else:
            if any_targets:
                step["next"] = draw(st.sampled_from([*ids, "end"]))
            if i == count - 1 and draw(st.booleans()):
                step["kind"] = "publish"
                step["channels"] = [{"platform": "website"}]
        steps.append(step)
    return {
        "id": "acak",
        "name": "SOP Acak",
        "number": "1",
        "institution": "Instansi",
        "effective": "2026-01-01",
        "ratified_by": {"name": "Direktur", "nip": "1" * 18},
        "lanes": [{"id": lane, "name": lane.upper()} for lane in LANES],
        "steps": steps,
    }


def shortest_exit(sop, step_id: str) -> str:
    """The outcome on a shortest way to the end, found by a search of the test's own."""
    distance = {None: 0}
    reverse: dict = {}
    for step in sop.steps:
        for outcome in step.exits():
            reverse.setdefault(outcome.next, []).append(step.id)
    todo = deque([None])
    while todo:
        node = todo.popleft()
        for before in reverse.get(node, []):
            if before not in distance:
                distance[before] = distance[node] + 1
                todo.append(before)
    step = sop.step(step_id)
    reachable = [o for o in step.exits() if o.next in distance]
    return min(reachable, key=lambda o: distance[o.next]).id


def run(sop, rejections: int, choose) -> engine.CaseState:
    """Reject `rejections` times where a step allows it, then take a shortest way out."""
    everyone = Actor(id="p", lanes=frozenset(LANES))
    state = engine.start(sop, everyone).state
    budget = rejections
    moves = sent_back = 0
    limit = (rejections + 1) * (len(sop.steps) + 1) * 2
    while not state.closed:
        moves += 1
        assert moves <= limit, "the run did not end within its bound"
        step = sop.step(state.current[0])
        back = [o for o in step.exits() if sop.is_rework(step.id, o)]
        if back and budget:
            outcome = choose(back).id
            budget -= 1
        else:
            outcome = shortest_exit(sop, step.id)
        sent_back += sop.is_rework(step.id, step.outcome(outcome))
        state = engine.advance(sop, state, everyone, outcome, note="alasan").state
    assert state.reworks == sent_back, "every send-back is counted, and only those"
    return state


@settings(deadline=None)
@given(definitions(), st.integers(min_value=0, max_value=6), st.data())
def test_valid_definitions_load_and_every_bounded_run_ends(data_, rejections, data):
    sop, problems = check_text(yaml.safe_dump(data_, allow_unicode=True), "acak.yaml")
    assert problems == [] and sop is not None
    state = run(sop, rejections, lambda options: data.draw(st.sampled_from(options)))
    assert state.status in (engine.PUBLISHED, engine.COMPLETED)


@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(definitions(any_targets=True), st.integers(min_value=0, max_value=6), st.data())
def test_whatever_the_checker_accepts_can_end(data_, rejections, data):
    sop, problems = check_text(yaml.safe_dump(data_, allow_unicode=True), "acak.yaml")
    assume(sop is not None)
    state = run(sop, rejections, lambda options: data.draw(st.sampled_from(options)))
    assert state.closed


SOURCES = [MINIMAL, *(p.read_text(encoding="utf-8") for p in sorted(BUILTIN_DIR.glob("*.yaml")))]
NOISE = st.lists(
    st.sampled_from([*"abz09 -:[]{}&*!|>#'\"\t\n,.?", "menit", "lane: ", "next: ", "\xff"]),
    max_size=8,
).map("".join)


@st.composite
def corrupted(draw):
    lines = draw(st.sampled_from(SOURCES)).split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "value", "insert", "cut"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + draw(NOISE)
        elif action == "insert":
            k = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:k] + draw(NOISE) + lines[i][k:]
        elif action == "cut":
            lines = lines[:i]
    return "\n".join(lines)


@settings(deadline=None)
@given(corrupted())
def test_corrupted_files_get_located_problems_never_a_traceback(text):
    sop, problems = check_text(text, "rusak.yaml")
    line_count = text.count("\n") + 1
    if sop is None:
        assert problems
    for problem in problems:
        assert 1 <= problem.line <= line_count + 1
        rendered = str(problem)
        assert rendered.startswith(f"rusak.yaml:{problem.line}: ")
        assert problem.message.render()  # every template fills with its parameters
