"""Read queries of the archive: search, a case's retention, the cases due for review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from siaran.cases.models import Attachment, Case, ContentVersion
from siaran.cases.selectors import visible_cases
from siaran.orgs.models import Organization, Person

from .models import PERMANENT, CaseRecord, RetentionClass


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def default_class(organization: Organization) -> RetentionClass | None:
    return organization.retention_classes.filter(is_default=True).first()


def effective_class(organization: Organization, record: CaseRecord | None) -> RetentionClass | None:
    """The class a case is kept under: its own, or the institution's default."""
    if record is not None and record.retention_class_id:
        return record.retention_class
    return default_class(organization)


def closed_on(case: Case) -> dt.date | None:
    if case.closed_at is None:
        return None
    return timezone.localtime(case.closed_at, ZoneInfo(case.organization.time_zone)).date()


def review_date(
    case: Case, record: CaseRecord | None, retention: RetentionClass | None
) -> dt.date | None:
    """When the case is due for review: its close date plus the class's active and inactive
    years, or the date a decision moved it to. None while it runs, once it is kept
    permanently or disposed of, or when no class applies."""
    if record is not None and (record.kept_permanently or record.disposed_at):
        return None
    if record is not None and record.review_on:
        return record.review_on
    closed = closed_on(case)
    if closed is None or retention is None:
        return None
    return add_years(closed, retention.total_years)


@dataclass(frozen=True)
class Retention:
    """A case's retention, as its page and the report show it."""

    record: CaseRecord | None
    retention_class: RetentionClass | None
    review_on: dt.date | None
    phase: str  # running | active | inactive | due | permanent | disposed | unclassified

    @property
    def disposed(self) -> bool:
        return self.phase == "disposed"


def retention_of(case: Case, today: dt.date | None = None) -> Retention:
    today = today or timezone.localdate()
    record = CaseRecord.objects.select_related("retention_class").filter(case=case).first()
    retention = effective_class(case.organization, record)
    due = review_date(case, record, retention)
    if record is not None and record.disposed_at:
        phase = "disposed"
    elif record is not None and record.kept_permanently:
        phase = "permanent"
    elif case.closed_at is None:
        phase = "running"
    elif due is None:
        phase = "unclassified"
    elif due <= today:
        phase = "due"
    elif (
        not (record and record.review_on)
        and add_years(closed_on(case), retention.active_years) > today
    ):
        phase = "active"
    else:
        phase = "inactive"
    return Retention(record, retention, due, phase)


def retention_due(organization: Organization, until: dt.date) -> list[tuple[Case, Retention]]:
    """Closed cases whose review date is on or before `until`, the oldest date first.

    The database narrows them to the closed cases old enough for some class (or moved to
    a date); each is then checked exactly in Python, where leap days are simple.
    """
    classes = list(organization.retention_classes.all())
    zone = ZoneInfo(organization.time_zone)
    cases = Case.objects.filter(organization=organization, closed_at__isnull=False).exclude(
        Q(record__kept_permanently=True) | Q(record__disposed_at__isnull=False)
    )
    wanted = Q(record__review_on__lte=until)
    for retention in classes:
        # Closed before the day after (until - years), with a day's slack for 29 February.
        cutoff = add_years(until, -retention.total_years) + dt.timedelta(days=2)
        old_enough = Q(closed_at__lt=dt.datetime.combine(cutoff, dt.time.min, tzinfo=zone))
        own = Q(record__retention_class=retention)
        if retention.is_default:
            own |= Q(record__isnull=True) | Q(record__retention_class__isnull=True)
        wanted |= Q(record__review_on__isnull=True) & own & old_enough
    found = []
    for case in cases.filter(wanted).select_related("organization", "requesting_unit"):
        retention = retention_of(case, until)
        if retention.review_on is not None and retention.review_on <= until:
            found.append((case, retention))
    found.sort(key=lambda pair: (pair[1].review_on, pair[0].pk))
    return found


# -- search ----------------------------------------------------------------------------


@dataclass
class ArchiveQuery:
    text: str = ""
    sop: str = ""
    channel: str = ""
    status: str = ""
    unit: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def archive_search(person: Person, query: ArchiveQuery) -> QuerySet[Case]:
    """The cases `person` may see that match every filter given, newest first.

    Text matches the case's title and description, any content version's title,
    narrative, captions or hashtags, and the names of its files. Dates are the day the
    case started, in the institution's time zone.
    """
    cases = visible_cases(person)
    if query.text:
        text = query.text
        versions = ContentVersion.objects.filter(case=OuterRef("pk")).filter(
            Q(title__icontains=text)
            | Q(narrative__icontains=text)
            | Q(hashtags__icontains=text)
            | Q(captions__icontains=text)
        )
        files = Attachment.objects.filter(case=OuterRef("pk"), name__icontains=text)
        cases = cases.filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Exists(versions)
            | Exists(files)
        )
    if query.sop:
        cases = cases.filter(sop_id=query.sop)
    if query.channel:
        # The channels are a JSON list: its text holds each platform in quotes.
        cases = cases.filter(channels__icontains=f'"{query.channel}"')
    if query.status:
        cases = cases.filter(status=query.status)
    if query.unit:
        cases = cases.filter(requesting_unit_id=query.unit)
    zone = ZoneInfo(person.organization.time_zone)
    if query.since:
        cases = cases.filter(created_at__gte=dt.datetime.combine(query.since, dt.time.min, zone))
    if query.until:
        end = query.until + dt.timedelta(days=1)
        cases = cases.filter(created_at__lt=dt.datetime.combine(end, dt.time.min, zone))
    return cases.select_related("requesting_unit").order_by("-created_at", "-pk")


def permanent(retention: RetentionClass | None) -> bool:
    return retention is not None and retention.disposition == PERMANENT
