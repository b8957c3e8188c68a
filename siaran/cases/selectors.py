"""Read queries: which cases a person may see, their tasks, and a case's timeline."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from siaran.core import sops
from siaran.orgs.models import Person
from siaran.orgs.selectors import lane_memberships

from .models import Case, StepRun


def seats_of(person: Person) -> set[tuple[str, str]]:
    """(sop id, lane id) of every lane `person` holds today, by right or standing in."""
    return set(lane_memberships(person).values_list("org_sop__sop_id", "lane_id"))


def visible_cases(person: Person, seats: set[tuple[str, str]] | None = None) -> QuerySet[Case]:
    """Nobody sees another institution's cases. Within one, a person sees:

    - every case of an SOP in which they (or the one they stand in for) hold a lane that
      works on more than the first step: reviewers and the PR team see the whole flow;
    - the cases they started, and those their unit requested;
    - every case, read-only, if they administer the institution.
    """
    own = Case.objects.filter(organization_id=person.organization_id)
    if person.is_admin:
        return own
    seats = seats_of(person) if seats is None else seats
    working_sops = [sop_id for sop_id, lane_id in seats if _works_past_the_start(sop_id, lane_id)]
    mine = Q(created_by=person) | Q(sop_id__in=working_sops)
    if person.unit_id:
        mine |= Q(requesting_unit_id=person.unit_id)
    return own.filter(mine)


def can_see(person: Person, case: Case, lanes) -> bool:
    """The rule of `visible_cases` for one case, given the person's lanes in its SOP."""
    if case.organization_id != person.organization_id:
        return False
    if person.is_admin or case.created_by_id == person.pk:
        return True
    if person.unit_id and case.requesting_unit_id == person.unit_id:
        return True
    return any(_works_past_the_start(case.sop_id, lane) for lane in lanes)


def _works_past_the_start(sop_id: str, lane_id: str) -> bool:
    sop = sops.find(sop_id)
    return sop is not None and any(
        step.lane == lane_id for step in sop.steps if step.id != sop.first_step.id
    )


def open_tasks(person: Person, seats: set[tuple[str, str]] | None = None) -> QuerySet[StepRun]:
    """Open steps in the lanes `person` may act in, soonest due first."""
    lanes = Q()
    for sop_id, lane_id in seats_of(person) if seats is None else seats:
        lanes |= Q(sop_id=sop_id, lane_id=lane_id)
    if not lanes:
        return StepRun.objects.none()
    return (
        StepRun.objects.filter(lanes, organization_id=person.organization_id, finished_at=None)
        .select_related("case", "claimed_by")
        .only("case__title", "claimed_by__name", *_RUN_FIELDS)
        .order_by("due_at", "pk")
    )


_RUN_FIELDS = ("sop_id", "step_id", "lane_id", "round", "due_at", "claimed_by", "case")
