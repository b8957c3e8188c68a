"""The engine: (definition, case state, actor, outcome) -> next state and events.

Pure and deterministic: no clock, no database, no randomness. The caller stamps the
events with the time, saves the state and the events in one transaction, and refuses
the user with the refusal's message.

A case's state holds the set of steps that wait for someone (`current`). The SOPs that
ship walk one step at a time, so the set has one member; a later SOP with parallel
reviewers or a step after publication adds members or steps without changing the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from .messages import Message, gettext_noop
from .model import PUBLISH, Outcome, Sop, Step

ACTIVE = "active"
COMPLETED = "completed"  # the SOP reached its end without a publish step last
PUBLISHED = "published"  # the SOP ended on its publish step
WITHDRAWN = "withdrawn"  # the one who started it took it back
CANCELLED = "cancelled"  # stopped by someone entitled to, with a reason
CLOSED = (COMPLETED, PUBLISHED, WITHDRAWN, CANCELLED)

# Event kinds
CASE_STARTED = "case_started"
STEP_ENTERED = "step_entered"
STEP_DONE = "step_done"
SENT_BACK = "sent_back"
CASE_ENDED = "case_ended"
CASE_WITHDRAWN = "case_withdrawn"
CASE_CANCELLED = "case_cancelled"


@dataclass(frozen=True)
class Actor:
    """The person acting, with the lanes they may act in right now.

    `on_behalf_of` is set when the person stands in for another (Plh./Plt.); their
    actions are recorded as such.
    """

    id: str
    lanes: frozenset[str]
    on_behalf_of: str | None = None


def _frozen(mapping: Mapping[str, object] | None = None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class CaseState:
    status: str = ACTIVE
    current: tuple[str, ...] = ()  # the steps that wait for someone, oldest first
    started_by: str = ""
    reworks: int = 0  # every time work was sent back, over the whole case
    visits: Mapping[str, int] = field(default_factory=_frozen)  # times each step began
    reworks_from: Mapping[str, int] = field(default_factory=_frozen)  # send-backs per step
    last_actor: Mapping[str, str] = field(default_factory=_frozen)  # who last finished a step

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def as_dict(self) -> dict:
        """Plain JSON-ready values, for storing the state beside the case."""
        return {
            "status": self.status,
            "current": list(self.current),
            "started_by": self.started_by,
            "reworks": self.reworks,
            "visits": dict(self.visits),
            "reworks_from": dict(self.reworks_from),
            "last_actor": dict(self.last_actor),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> CaseState:
        return cls(
            status=data["status"],
            current=tuple(data["current"]),
            started_by=data["started_by"],
            reworks=data["reworks"],
            visits=_frozen(data["visits"]),
            reworks_from=_frozen(data["reworks_from"]),
            last_actor=_frozen(data["last_actor"]),
        )


@dataclass(frozen=True)
class Event:
    kind: str
    step: str | None = None
    outcome: str | None = None
    actor: str | None = None
    on_behalf_of: str | None = None
    note: str = ""
    to_step: str | None = None  # where a sent-back case went
    round: int = 0  # which visit of the step: 1 the first time, 2 after one rework, ...


@dataclass(frozen=True)
class Transition:
    state: CaseState
    events: tuple[Event, ...]


class Refused(Exception):
    """A precise reason why the engine will not move the case; nothing changed."""

    # Codes callers may rely on (API error bodies use them as they are).
    CASE_CLOSED = "case_closed"
    NOT_CURRENT_STEP = "not_current_step"
    NOT_YOUR_LANE = "not_your_lane"
    UNKNOWN_OUTCOME = "unknown_outcome"
    NOTE_REQUIRED = "note_required"
    SEPARATE_DUTIES = "separate_duties"
    NOT_STARTER = "not_starter"
    OUTPUT_REQUIRED = "output_required"

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


def start(sop: Sop, actor: Actor, note: str = "") -> Transition:
    """Open a case at the SOP's first step; only someone of the first lane may."""
    first = sop.first_step
    if first.lane not in actor.lanes:
        raise Refused(
            Refused.NOT_YOUR_LANE,
            Message(
                gettext_noop("Only %(lane)s can start a case of this SOP."),
                lane=sop.lane(first.lane).name,
            ),
        )
    state = CaseState(started_by=actor.id)
    started = Event(CASE_STARTED, actor=actor.id, on_behalf_of=actor.on_behalf_of, note=note)
    entered, state = _enter(state, first)
    return Transition(state, (started, entered))


def advance(
    sop: Sop,
    state: CaseState,
    actor: Actor,
    outcome: str,
    step: str | None = None,
    note: str = "",
    outputs: frozenset[str] = frozenset(),
) -> Transition:
    """Finish `step` (the only current step when not given) with `outcome`.

    `outputs`: the documents (ids) attached at the step; a step that `requires` some moves
    the work on only when each is there. Sending work back needs none."""
    _refuse_if_closed(state)
    current = _current_step(sop, state, step)
    if current.lane not in actor.lanes:
        raise Refused(
            Refused.NOT_YOUR_LANE,
            Message(
                gettext_noop("This step is for %(lane)s; you are not in that lane."),
                lane=sop.lane(current.lane).name,
            ),
        )
    chosen = current.outcome(outcome)
    if chosen is None:
        raise Refused(
            Refused.UNKNOWN_OUTCOME,
            Message(
                gettext_noop(
                    "%(outcome)s is not an outcome of this step; choose one of: %(choices)s."
                ),
                outcome=repr(outcome),
                choices=", ".join(o.id for o in current.exits()),
            ),
        )
    if chosen.note_required and not note.strip():
        # Not "<label> needs a note": a label such as "Tidak" read as "Tidak memerlukan
        # catatan" says the opposite. The message names what to write, without the label.
        if sop.is_rework(current.id, chosen):
            text = gettext_noop("Write why the content is sent back.")
        else:
            text = gettext_noop("Write a note explaining this decision.")
        raise Refused(Refused.NOTE_REQUIRED, Message(text))
    missing = [d for d in current.requires if d not in outputs]
    if missing and not sop.is_rework(current.id, chosen):
        labels = [sop.document(d).label for d in missing]
        raise Refused(
            Refused.OUTPUT_REQUIRED,
            Message(
                gettext_noop("Attach %(documents)s before finishing this step."),
                documents=", ".join(labels),
            ),
        )
    _refuse_separate_duties(sop, state, actor, current)
    return _finish(sop, state, actor, current, chosen, note.strip())


def withdraw(sop: Sop, state: CaseState, actor: Actor, note: str = "") -> Transition:
    """The one who started a case may take it back while it runs."""
    _refuse_if_closed(state)
    if actor.id != state.started_by:
        raise Refused(
            Refused.NOT_STARTER,
            Message(gettext_noop("Only the person who started this case can withdraw it.")),
        )
    event = Event(CASE_WITHDRAWN, actor=actor.id, on_behalf_of=actor.on_behalf_of, note=note)
    return Transition(replace(state, status=WITHDRAWN, current=()), (event,))


def cancel(sop: Sop, state: CaseState, actor: Actor, note: str) -> Transition:
    """Stop a running case for good. Who may cancel is the caller's rule; why is required."""
    _refuse_if_closed(state)
    if not note.strip():
        raise Refused(
            Refused.NOTE_REQUIRED, Message(gettext_noop("Say why the case is cancelled."))
        )
    event = Event(
        CASE_CANCELLED, actor=actor.id, on_behalf_of=actor.on_behalf_of, note=note.strip()
    )
    return Transition(replace(state, status=CANCELLED, current=()), (event,))


def choices(sop: Sop, state: CaseState, actor: Actor) -> dict[str, tuple[Outcome, ...]]:
    """The outcomes `actor` may choose now, per current step: what a page offers."""
    if state.closed:
        return {}
    return {
        step_id: sop.step(step_id).exits()
        for step_id in state.current
        if sop.step(step_id).lane in actor.lanes
    }


# -- inside ---------------------------------------------------------------------------


def _refuse_if_closed(state: CaseState) -> None:
    if state.closed:
        raise Refused(
            Refused.CASE_CLOSED,
            Message(
                gettext_noop("This case is closed (%(status)s); nothing more can be done on it."),
                status=state.status,
            ),
        )


def _current_step(sop: Sop, state: CaseState, step: str | None) -> Step:
    if step is None and len(state.current) == 1:
        step = state.current[0]
    if step is None or step not in state.current or step not in {s.id for s in sop.steps}:
        raise Refused(
            Refused.NOT_CURRENT_STEP,
            Message(
                gettext_noop(
                    "%(step)s is not the step this case waits on; it waits on %(current)s."
                ),
                step=repr(step),
                current=", ".join(state.current) or "-",
            ),
        )
    return sop.step(step)


def _refuse_separate_duties(sop: Sop, state: CaseState, actor: Actor, step: Step) -> None:
    for first, second in sop.separate_duties:
        other = second if step.id == first else first if step.id == second else None
        if other is not None and state.last_actor.get(other) == actor.id:
            raise Refused(
                Refused.SEPARATE_DUTIES,
                Message(
                    gettext_noop("You did %(other)s on this case; someone else must do %(step)s."),
                    other=sop.step(other).activity,
                    step=step.activity,
                ),
            )


def _finish(
    sop: Sop, state: CaseState, actor: Actor, step: Step, outcome: Outcome, note: str
) -> Transition:
    done = Event(
        STEP_DONE,
        step=step.id,
        outcome=outcome.id,
        actor=actor.id,
        on_behalf_of=actor.on_behalf_of,
        note=note,
        round=state.visits.get(step.id, 0),
    )
    state = replace(
        state,
        current=tuple(s for s in state.current if s != step.id),
        last_actor=_frozen({**state.last_actor, step.id: actor.id}),
    )
    events = [done]
    if outcome.next is None:
        if state.current:  # another branch still runs
            return Transition(state, tuple(events))
        status = PUBLISHED if step.kind == "publish" or outcome.id == PUBLISH else COMPLETED
        events.append(Event(CASE_ENDED, step=step.id, outcome=status))
        return Transition(replace(state, status=status), tuple(events))
    if sop.is_rework(step.id, outcome):
        state = replace(
            state,
            reworks=state.reworks + 1,
            reworks_from=_frozen(
                {**state.reworks_from, step.id: state.reworks_from.get(step.id, 0) + 1}
            ),
        )
        events.append(
            Event(
                SENT_BACK,
                step=step.id,
                outcome=outcome.id,
                actor=actor.id,
                on_behalf_of=actor.on_behalf_of,
                note=note,
                to_step=outcome.next,
                round=state.reworks,
            )
        )
    entered, state = _enter(state, sop.step(outcome.next))
    events.append(entered)
    return Transition(state, tuple(events))


def _enter(state: CaseState, step: Step) -> tuple[Event, CaseState]:
    visits = state.visits.get(step.id, 0) + 1
    current = state.current if step.id in state.current else (*state.current, step.id)
    state = replace(state, current=current, visits=_frozen({**state.visits, step.id: visits}))
    return Event(STEP_ENTERED, step=step.id, round=visits), state
