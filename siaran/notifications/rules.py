"""When a step's reminder and escalation come, and who is told of a late step.

Plain functions of an SOP definition and a working calendar (no database), so that the
guides (docs/guide-admin.*.md), the tests and the tasks read the same rules.
"""

from __future__ import annotations

import datetime as dt

from siaran.sop.model import Sop
from siaran.sop.timing import WorkCalendar

# The reminder comes when three quarters of the step's working time have passed, but at
# least this long before the due time (a 10-minute step is reminded after 5 minutes)...
REMINDER_LEAD = dt.timedelta(minutes=5)
# ...and never before half of the step's working time has passed (a 5-minute step is
# reminded after 2.5 minutes, not as it starts).
REMINDER_SHARE = 0.75

# The escalation comes this much working time after the due time: a step finished in the
# minute it was due is not escalated, and a step due at closing time is escalated as the
# office opens on the next working day, not in the night.
ESCALATION_GRACE = dt.timedelta(minutes=5)


def reminder_time(calendar: WorkCalendar, start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """When the people of a step that started at `start` and is due at `due` are reminded."""
    total = calendar.working_time(start, due)
    lead = max(total * (1 - REMINDER_SHARE), min(REMINDER_LEAD, total / 2))
    return calendar.after(start, total - lead)


def escalation_time(calendar: WorkCalendar, due: dt.datetime) -> dt.datetime:
    """When a step due at `due` and still open is escalated."""
    return calendar.after(due, ESCALATION_GRACE)


def step_timers(
    calendar: WorkCalendar, start: dt.datetime, due: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The reminder and escalation times of a step visit that started at `start`."""
    return reminder_time(calendar, start, due), escalation_time(calendar, due)


def supervisor_lane(sop: Sop, step_id: str) -> str:
    """The lane that supervises a step: the lane of the next review step after it in the
    SOP's order (the reviewer who waits for its work); for a step after the last review
    (the upload), the lane of the last review step, which approved the work. An SOP with
    no review step has no supervisor: the step's own lane is told that it is late."""
    position = sop.position(step_id)
    reviews = [step for step in sop.steps if step.kind == "review"]
    later = [step for step in reviews if sop.position(step.id) > position]
    if later:
        return later[0].lane
    if reviews:
        return reviews[-1].lane
    return sop.step(step_id).lane


def escalation_lane(sop: Sop, step_id: str, chosen: str = "") -> str:
    """The lane the institution chose for the SOP's escalations, else the supervisor's."""
    if chosen and any(lane.id == chosen for lane in sop.lanes):
        return chosen
    return supervisor_lane(sop, step_id)
