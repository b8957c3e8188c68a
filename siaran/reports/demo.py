"""A few months of finished cases for `siaran demo`, so that reports have something to say.

Each institution gets HISTORY_CASES cases walked to publication through the real actions
with past times (`now=`), so every timeline row, due time and rework is what the app
itself would have written. The walk is planned first from a fixed seed, in pure Python:
who does each step, how long it takes in working time, where a reviewer says no. Some
people are quicker than others, some steps run late, some cases are sent back. The plan
is then moved back by whole weeks until its last step is in the past, so every step
happens in office hours on the institution's calendar. A case whose title exists is
left alone: running the demo again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from siaran.cases import actions as case_actions
from siaran.cases.models import Case
from siaran.core import sops
from siaran.orgs import actions as org_actions
from siaran.orgs.models import Organization, Person, Unit
from siaran.publishing import demo as publishing_demo
from siaran.publishing.connectors import for_channel
from siaran.sop.model import Sop, Step
from siaran.sop.timing import TimeStandard, WorkCalendar

HISTORY_CASES = 30
HISTORY_DAYS = 120  # the first case starts about this many days ago
SEED = 2026
WORKING_MINUTES_A_DAY = 8 * 60 + 30  # 07:30 to 16:00, the default calendar's day

# More people for the history: a second person in busy lanes, so that reports compare
# people. (lane, username suffix, name, title, how often they overrun the standard)
EXTRA_PEOPLE = {
    "rspon": [
        ("tim-humas", "tim-humas-2", "Putri Ayu Lestari", "Pranata Humas Ahli Pertama", 0.35),
        ("ipkp", "ipkp-2", "Larasati Wibowo", "Staf Promosi Kesehatan", 0.3),
    ],
    "poltekkes-jkt2": [
        ("anggota", "anggota-2", "Rina Kartika", "Tim IT", 0.35),
        ("penanggung-jawab", "penanggung-jawab-2", "Bayu Kurniawan", "Wakil Direktur II", 0.3),
    ],
}
USUAL_LATENESS = 0.12  # how often everyone else overruns the standard

TOPICS = {
    "rspon": [
        "Edukasi Gejala Stroke BE FAST",
        "Jadwal Praktik Poli Saraf",
        "Layanan Medical Check Up Otak",
        "Testimoni Pasien Rehabilitasi",
        "Tips Mengendalikan Hipertensi",
        "Webinar Awam Hidup Sehat Pasca Stroke",
        "Layanan Telekonsultasi Neurologi",
        "Senam Otak untuk Lansia",
        "Donor Darah Bersama RSPON",
        "Kenali Gejala Parkinson",
    ],
    "poltekkes-jkt2": [
        "Kuliah Umum Gizi Masyarakat",
        "Pengabdian Masyarakat Kesehatan Gigi",
        "Yudisium Prodi Keperawatan",
        "Seminar Nasional Kebidanan",
        "Pengumuman Jadwal Ujian Akhir Semester",
        "Prestasi Mahasiswa Analis Kesehatan",
        "Kerja Sama dengan Rumah Sakit Mitra",
        "Pelatihan Bantuan Hidup Dasar",
        "Visitasi Akreditasi Prodi Farmasi",
        "Bakti Sosial Hari Kesehatan Nasional",
    ],
}
SERIES = ("Seri 1", "Seri 2", "Seri 3")


@dataclass(frozen=True)
class Visit:
    step: Step
    person: Person
    outcome: str
    note: str
    work: TimeStandard  # how long it took, in working time


def build(spec: dict, organization: Organization, unit: Unit, people: dict[str, Person]):
    """Add the history of one demo institution; returns the logins it added."""
    from siaran.core.management.commands.demo import PASSWORD  # the demo's one password

    slug = spec["slug"]
    sop = sops.find(spec["sop"])
    members: dict[str, list[tuple[Person, float]]] = {
        lane: [(person, USUAL_LATENESS)] for lane, person in people.items()
    }
    users = []
    for number, (lane, suffix, name, title, lateness) in enumerate(EXTRA_PEOPLE[slug], 1):
        person = org_actions.person_ensure(
            organization=organization,
            username=f"{slug}-{suffix}",
            name=name,
            title=title,
            nip=f"19900202201501{number:04d}",
            unit=unit,
            password=PASSWORD,
        )
        org_actions.lane_assign(person=person, sop_id=sop.id, lane_id=lane)
        members[lane].append((person, lateness))
        users.append({"username": f"{slug}-{suffix}", "organization": slug, "lanes": [lane]})
    calendar = WorkCalendar(zone=organization.time_zone)
    now = timezone.now()
    titles = [f"{topic} ({series})" for series in SERIES for topic in TOPICS[slug]]
    done = set(
        Case.objects.filter(organization=organization, title__in=titles).values_list(
            "title", flat=True
        )
    )
    for index, title in enumerate(titles[:HISTORY_CASES]):
        rng = random.Random(f"{SEED}-{slug}-{index}")  # noqa: S311 - demo data, not secrets
        visits = plan(sop, members, rng)
        channels = _text_only(sorted(rng.sample(_platforms(sop), rng.randint(1, 3))), sop)
        start = _first_start(calendar, now, index, rng)
        times = _times(calendar, start, visits)
        while times[-1] > now - dt.timedelta(hours=1):  # keep it all in the past
            start -= dt.timedelta(weeks=1)
            times = _times(calendar, start, visits)
        if title not in done:
            _run(sop, members, title, channels, visits, times)
    return users


def _platforms(sop: Sop) -> list[str]:
    return list(dict.fromkeys(c.platform for step in sop.steps for c in step.channels))


def _text_only(channels: list[str], sop: Sop) -> list[str]:
    """Of `channels`, those that take a post of text alone (else the SOP's first such):
    the history's cases have no poster or video, and a review does not pass content a
    channel would refuse."""
    fits = [p for p in _platforms(sop) if for_channel(p).rules.media_min == 0]
    return [c for c in channels if c in fits] or fits[:1]


def plan(sop: Sop, members: dict[str, list[tuple[Person, float]]], rng: random.Random):
    """The visits of one case from its first step to publication."""
    reviews = [s for s in sop.steps if any(sop.is_rework(s.id, o) for o in s.outcomes)]
    no_at = set()
    if reviews and rng.random() < 0.3:  # about a third of the cases are sent back once...
        no_at.add(rng.choice(reviews).id)
    if reviews and rng.random() < 0.08:  # ...and a few a second time, at another review
        no_at.add(rng.choice(reviews).id)
    visits: list[Visit] = []
    step: Step | None = sop.first_step
    while step is not None:
        person, lateness = rng.choice(members[step.lane])
        back = [o for o in step.outcomes if sop.is_rework(step.id, o)]
        if step.id in no_at and back:
            no_at.discard(step.id)
            outcome, note = back[0], "Mohon perbaiki narasi dan sesuaikan logo instansi."
        else:
            outcome, note = step.exits()[0], ""
        visits.append(Visit(step, person, outcome.id, note, _work(step, lateness, rng)))
        step = sop.step(outcome.next) if outcome.next else None
    return visits


def _work(step: Step, lateness: float, rng: random.Random) -> TimeStandard:
    """Working time a visit takes: mostly within the step's standard, sometimes over."""
    # An open-ended step has no standard; the demo gives it about a working day.
    days = 1 if step.time.open_ended else step.time.working_days
    standard = days * WORKING_MINUTES_A_DAY + step.time.minutes
    factor = rng.uniform(1.2, 3.0) if rng.random() < lateness else rng.uniform(0.15, 0.9)
    return TimeStandard(minutes=max(1, round(standard * factor)))


def _first_start(calendar: WorkCalendar, now: dt.datetime, index: int, rng) -> dt.datetime:
    """A morning in office hours, the cases spread evenly over the history."""
    zone = ZoneInfo(calendar.zone)
    day = timezone.localtime(now, zone).date() - dt.timedelta(
        days=HISTORY_DAYS - index * HISTORY_DAYS // HISTORY_CASES
    )
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
    opening = dt.datetime.combine(day, calendar.opens, tzinfo=zone)
    return opening + dt.timedelta(minutes=rng.randint(0, 300))


def _times(calendar: WorkCalendar, start: dt.datetime, visits: list[Visit]) -> list[dt.datetime]:
    """When the case starts, then when each visit ends, on the working calendar."""
    times = [start]
    for visit in visits:
        times.append(calendar.due(times[-1], visit.work))
    return times


def _run(sop, members, title, channels, visits, times) -> None:
    starter = members[sop.first_step.lane][0][0]
    case = case_actions.case_start(
        person=starter,
        sop_id=sop.id,
        title=title,
        description=f"{title}: materi publikasi.",
        channels=channels,
        now=times[0],
    )
    for visit, at in zip(visits, times[1:], strict=True):
        case = case_actions.case_decide(
            person=visit.person, case_id=case.pk, outcome=visit.outcome, note=visit.note, now=at
        )
        if case.status == "publishing":
            case = publishing_demo.posted_by_hand(case, visit.person, now=at)
