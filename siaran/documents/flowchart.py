"""The flowchart of an SOP form: which symbol stands in which lane, and the arrows between.

The PDF and the HTML document both paint this one plan, so they cannot disagree. Every
piece is placed in one cell of the form's table (a step's row by a lane's column) at a
fraction of the cell's size plus an offset in points: the PDF knows its row heights, the
browser lays out the HTML itself, and both can resolve "half the row, then 11 points down".

The drawing follows PermenPANRB 35/2012: a terminator for the first and the last step, a
process for a task, a decision (Ya / Tidak) for a review, arrows between lanes, and an
off-page connector where the table breaks across pages. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from siaran.sop.model import Outcome, Sop, Step

TERMINATOR, PROCESS, DECISION, CONNECTOR = "terminator", "process", "decision", "connector"
DOWN, UP, LEFT, RIGHT = "down", "up", "left", "right"


@dataclass(frozen=True)
class At:
    """A coordinate inside a cell: `frac` of the cell's width (or height) plus `off` points.

    Offsets grow to the right and downwards, the way one reads the form.
    """

    frac: float
    off: float = 0.0

    def resolve(self, size: float) -> float:
        return self.frac * size + self.off


TOP = At(0.0)
MIDDLE = At(0.5)
BOTTOM = At(1.0)
LEFT_EDGE, CENTER, RIGHT_EDGE = TOP, MIDDLE, BOTTOM


@dataclass(frozen=True)
class Geometry:
    """Sizes in points, from the width of a lane column."""

    lane_width: float
    min_row_height: float = 46
    # A row at a page's edge also holds an off-page connector between its symbol and the
    # edge: it needs more room.
    edge_row_height: float = 60
    bus: float = 6  # an arrow turns towards the next lane this far above the row's bottom
    connector: float = 10  # an off-page connector's width and height
    gap: float = 3  # between an off-page connector and the row's edge

    @property
    def symbol_width(self) -> float:
        return max(22.0, min(40.0, self.lane_width - 26))

    def size(self, shape: str) -> tuple[float, float]:
        if shape == DECISION:
            return self.symbol_width + 6, 26.0
        if shape == TERMINATOR:
            return self.symbol_width, 18.0
        if shape == CONNECTOR:
            return self.connector, self.connector
        return self.symbol_width, 20.0

    def track(self, index: int) -> float:
        """How far from a lane's centre an arrow runs beside the symbols to reach one of them.

        Arrows to different steps of one lane run on different tracks, so that one line
        never seems to lead to two places.
        """
        first = self.size(DECISION)[0] / 2 + 5
        return min(self.lane_width / 2 - 2, first + 4 * index)


@dataclass(frozen=True)
class Symbol:
    row: int
    column: int
    shape: str
    step_id: str
    inferred: bool = False  # the scan lost where the symbol stood, or what it was
    note: str = ""  # why the project reads it so


@dataclass(frozen=True)
class Line:
    row: int
    column: int
    x1: At
    y1: At
    x2: At
    y2: At
    head: str = ""  # the arrowhead's direction at (x2, y2), or "" for none

    @property
    def vertical(self) -> bool:
        return self.x1 == self.x2


@dataclass(frozen=True)
class Label:
    """An outcome's label beside its arrow: (x, y) is the middle of the text's left edge,
    of its right edge, or of the text itself, as `align` says."""

    row: int
    column: int
    x: At
    y: At
    text: str
    align: str = "left"


@dataclass(frozen=True)
class Connector:
    """An off-page connector, centred at (x, y), naming the arrow it continues."""

    row: int
    column: int
    x: At
    y: At
    text: str


@dataclass
class Plan:
    geometry: Geometry
    symbols: list[Symbol] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    connectors: list[Connector] = field(default_factory=list)

    def cell(self, row: int, column: int) -> dict[str, list]:
        """Everything drawn in one cell, for a painter that works cell by cell."""
        return {
            "lines": [p for p in self.lines if (p.row, p.column) == (row, column)],
            "symbols": [p for p in self.symbols if (p.row, p.column) == (row, column)],
            "labels": [p for p in self.labels if (p.row, p.column) == (row, column)],
            "connectors": [p for p in self.connectors if (p.row, p.column) == (row, column)],
        }


def shape_of(sop: Sop, step: Step) -> str:
    """Terminator where the procedure starts and where it ends, decision for a review."""
    if step.kind == "review":
        return DECISION
    if step is sop.first_step or all(o.next is None for o in step.exits()):
        return TERMINATOR
    return PROCESS


def plan(
    sop: Sop,
    geometry: Geometry,
    breaks: Iterable[int] = (),
    label: Callable[[Outcome], str] = lambda outcome: outcome.label,
) -> Plan:
    """The flowchart of `sop`; `breaks` are the rows after which a page ends (PDF only)."""
    return _Planner(sop, geometry, set(breaks), label).run()


class _Planner:
    def __init__(self, sop: Sop, geometry: Geometry, breaks: set[int], label) -> None:
        self.sop = sop
        self.g = geometry
        self.label = label
        self.result = Plan(geometry)
        self.column = {lane.id: i for i, lane in enumerate(sop.lanes)}
        self.page = []
        page = 0
        for row in range(len(sop.steps)):
            self.page.append(page)
            if row in breaks:
                page += 1
        self.letters: dict[tuple, str] = {}
        self.tracks: dict[tuple, int] = {}

    def run(self) -> Plan:
        for row, step in enumerate(self.sop.steps):
            shape = shape_of(self.sop, step)
            inferred = "lane" in step.inferred or "kind" in step.inferred
            note = step.inference_note if inferred else ""
            self.result.symbols.append(
                Symbol(row, self.column[step.lane], shape, step.id, inferred, note)
            )
        for row, step in enumerate(self.sop.steps):
            forward_drawn = False
            for outcome in step.exits():
                if outcome.next is None:
                    continue  # the end is the terminator itself, no arrow leaves it
                text = ""
                if step.kind == "review":
                    text = self.label(outcome) + ("*" if outcome.inferred else "")
                target = self.sop.position(outcome.next)
                if not self.sop.is_rework(step.id, outcome) and not forward_drawn:
                    self.downward(row, target, text)
                    forward_drawn = True
                else:
                    self.beside(row, target, text)
        # Arrows that merge into one track draw the same piece twice; keep one.
        self.result.lines = list(dict.fromkeys(self.result.lines))
        self.result.connectors = list(dict.fromkeys(self.result.connectors))
        self.result.labels = list(dict.fromkeys(self.result.labels))
        return self.result

    # -- helpers ------------------------------------------------------------------------

    def shape(self, row: int) -> tuple[float, float]:
        return self.g.size(shape_of(self.sop, self.sop.steps[row]))

    def col(self, row: int) -> int:
        return self.column[self.sop.steps[row].lane]

    def first_row_of_page(self, row: int) -> int:
        return self.page.index(self.page[row])

    def last_row_of_page(self, row: int) -> int:
        return len(self.page) - 1 - self.page[::-1].index(self.page[row])

    def letter(self, key: tuple) -> str:
        if key not in self.letters:
            n = len(self.letters)
            self.letters[key] = chr(ord("A") + n % 26) + (str(n // 26) if n >= 26 else "")
        return self.letters[key]

    def vertical(self, column: int, x: At, start: tuple[int, At], end: tuple[int, At], head=""):
        """A vertical line cut into one piece per row it crosses."""
        (r1, y1), (r2, y2) = start, end
        down = (r1, y1.frac, y1.off) <= (r2, y2.frac, y2.off)
        step = 1 if down else -1
        leave, enter = (BOTTOM, TOP) if down else (TOP, BOTTOM)
        for row in range(r1, r2 + step, step):
            top = y1 if row == r1 else enter
            bottom = y2 if row == r2 else leave
            last = row == r2
            self.result.lines.append(Line(row, column, x, top, x, bottom, head if last else ""))

    def horizontal(self, row: int, y: At, start: tuple[int, At], end: tuple[int, At], head=""):
        """A horizontal line cut into one piece per lane column it crosses."""
        (c1, x1), (c2, x2) = start, end
        right = (c1, x1.frac, x1.off) <= (c2, x2.frac, x2.off)
        step = 1 if right else -1
        leave, enter = (RIGHT_EDGE, LEFT_EDGE) if right else (LEFT_EDGE, RIGHT_EDGE)
        for column in range(c1, c2 + step, step):
            a = x1 if column == c1 else enter
            b = x2 if column == c2 else leave
            last = column == c2
            self.result.lines.append(Line(row, column, a, y, b, y, head if last else ""))

    def connector(self, row: int, column: int, x: At, y: At, text: str) -> None:
        self.result.connectors.append(Connector(row, column, x, y, text))

    # -- routes -------------------------------------------------------------------------

    def downward(self, source: int, target: int, text: str) -> None:
        """The main flow: out of the symbol's bottom, across to the next lane, into the top."""
        g = self.g
        cs, ct = self.col(source), self.col(target)
        width, height = self.shape(source)
        below = At(0.5, height / 2)
        above = At(0.5, -self.shape(target)[1] / 2)
        if text:  # beside the bottom corner of the diamond, clear of its edge and the bus
            x, y = At(0.5, width / 4 + 2), At(0.5, height / 2 - 2)
            self.result.labels.append(Label(source, cs, x, y, text))
        if self.page[source] != self.page[target]:
            # The page ends below the source: a connector there, its twin above the target.
            key = self.letter(("down", target))
            last, first = self.last_row_of_page(source), self.first_row_of_page(target)
            self.vertical(cs, CENTER, (source, below), (last, At(1, -g.gap - g.connector)), DOWN)
            self.connector(last, cs, CENTER, At(1, -g.gap - g.connector / 2), key)
            self.connector(first, ct, CENTER, At(0, g.gap + g.connector / 2), key)
            self.vertical(ct, CENTER, (first, At(0, g.gap + g.connector)), (target, above), DOWN)
            return
        if cs == ct:
            self.vertical(cs, CENTER, (source, below), (target, above), DOWN)
            return
        bus = At(1, -g.bus)
        self.vertical(cs, CENTER, (source, below), (source, bus))
        self.horizontal(source, bus, (cs, CENTER), (ct, CENTER))
        self.vertical(ct, CENTER, (source, bus), (target, above), DOWN)

    def beside(self, source: int, target: int, text: str) -> None:
        """A send-back (or a second way forward): out of the symbol's side, along a track
        beside the target's lane centre, into the target's side."""
        g = self.g
        cs, ct = self.col(source), self.col(target)
        sign = 1 if cs >= ct else -1  # the track runs on the side of the target facing us
        track_key = (ct, sign, target)
        same_side = [k for k in self.tracks if k[:2] == (ct, sign)]
        self.tracks.setdefault(track_key, len(same_side))
        track = At(0.5, sign * g.track(self.tracks[track_key]))
        outward = 1 if (ct > cs or (ct == cs and sign > 0)) else -1
        vertex = At(0.5, outward * self.shape(source)[0] / 2)
        entry = At(0.5, sign * self.shape(target)[0] / 2)
        into = LEFT if sign > 0 else RIGHT

        self.horizontal(source, MIDDLE, (cs, vertex), (ct, track))
        if text:
            if ct != cs:  # the label sits in the empty lane next to the symbol
                self.result.labels.append(
                    Label(source, cs + outward, CENTER, At(0.5, -5), text, "center")
                )
            else:
                x = At(0.5, outward * self.shape(source)[0] / 2)
                align = "left" if outward > 0 else "right"
                self.result.labels.append(Label(source, cs, x, At(0.5, -5), text, align))
        if self.page[source] == self.page[target]:
            if source != target:
                self.vertical(ct, track, (source, MIDDLE), (target, MIDDLE))
            self.horizontal(target, MIDDLE, (ct, track), (ct, entry), into)
            return
        key = self.letter(("beside", target, sign))
        near_top = At(0, g.gap + g.connector / 2)
        near_bottom = At(1, -g.gap - g.connector / 2)
        if target < source:  # back to an earlier page: leave upwards, arrive from below
            first, last = self.first_row_of_page(source), self.last_row_of_page(target)
            self.vertical(ct, track, (source, MIDDLE), (first, At(0, g.gap + g.connector)), UP)
            self.connector(first, ct, track, near_top, key)
            self.connector(last, ct, track, near_bottom, key)
            self.vertical(ct, track, (last, At(1, -g.gap - g.connector)), (target, MIDDLE))
        else:
            last, first = self.last_row_of_page(source), self.first_row_of_page(target)
            self.vertical(ct, track, (source, MIDDLE), (last, At(1, -g.gap - g.connector)), DOWN)
            self.connector(last, ct, track, near_bottom, key)
            self.connector(first, ct, track, near_top, key)
            self.vertical(ct, track, (first, At(0, g.gap + g.connector)), (target, MIDDLE))
        self.horizontal(target, MIDDLE, (ct, track), (ct, entry), into)
