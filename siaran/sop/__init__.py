"""The SOP as data and the engine that moves a case through it.

Pure Python: nothing under this package imports Django, so that the heart of Siaran can
be tested in microseconds and reused by a command line, a worker or a notebook.
"""

from .engine import Actor, CaseState, Event, Refused, Transition, advance, cancel, start, withdraw
from .load import Problem, SopInvalid, check_file, check_text, load_file, load_text
from .model import Channel, Lane, Outcome, Person, Sop, Step
from .timing import TimeStandard, parse_time

__all__ = [
    "Actor", "CaseState", "Channel", "Event", "Lane", "Outcome", "Person", "Problem",
    "Refused", "Sop", "SopInvalid", "Step", "TimeStandard", "Transition", "advance",
    "cancel", "check_file", "check_text", "load_file", "load_text", "parse_time", "start",
    "withdraw",
]  # fmt: skip
