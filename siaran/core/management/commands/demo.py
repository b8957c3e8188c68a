"""`siaran demo`: both institutions, one person per lane, and a few cases under way."""

from __future__ import annotations

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw

from siaran.archive import actions as archive_actions
from siaran.cases import actions as case_actions
from siaran.cases.models import Case
from siaran.core import sops
from siaran.notifications import actions as notifications
from siaran.orgs import actions as org_actions
from siaran.publishing import demo as publishing_demo
from siaran.publishing.connectors import for_channel
from siaran.reports import demo as demo_history
from siaran.sop.engine import CaseState

PASSWORD = "siaran-demo-2026"  # noqa: S105 - demo logins, printed on purpose
MAIL_DOMAIN = "demo.siaran.id"  # demo people's addresses: rspon-direksi@demo.siaran.id

INSTITUTIONS = [
    {
        "slug": "rspon",
        "name": "Rumah Sakit Pusat Otak Nasional Prof. Dr. dr. Mahar Mardjono Jakarta",
        "short_name": "RSPON",
        "parent": "Kementerian Kesehatan",
        "sop": "rspon-medsos",
        "unit": "Instalasi Rehabilitasi Medik",
        "people": {
            "unit-kerja": ("Dewi Lestari", "Kepala Instalasi Rehabilitasi Medik"),
            "ipkp": ("Rizky Pratama", "Kepala Instalasi Promosi Kesehatan dan Pemasaran"),
            "subkoor-humas": ("Siti Rahmawati", "Sub Koordinator Hukum, Organisasi dan Humas"),
            "tim-humas": ("Andi Saputra", "Pranata Humas"),
            "koordinator-umum": ("Bambang Wijaya", "Koordinator Organisasi dan Umum"),
            "direksi": ("dr. Hendra Gunawan", "Direktur Utama"),
        },
        "channels": {
            "instagram": "@rumahsakitotak",
            "facebook": "@rspusatotak",
            "x": "@rumahsakitotak",
            "youtube": "@rumahsakitotak",
        },
        "cases": [
            ("Promosi Layanan Stroke Center 24 Jam", "produce", 0),
            ("Poster Hari Stroke Sedunia", "director-review", 0),
            ("Video Edukasi Rehabilitasi Pasca Stroke", "edit", 1),
            ("Kenali Gejala Stroke: SeGeRa ke RS", None, 0),
        ],
        "content_step": "produce",  # where the poster is made
        "shows_a_patient": "Video Edukasi Rehabilitasi Pasca Stroke",
    },
    {
        "slug": "poltekkes-jkt2",
        "name": "Politeknik Kesehatan Kemenkes Jakarta II",
        "short_name": "Poltekkes Jakarta II",
        "parent": "Kementerian Kesehatan",
        "sop": "poltekkes-jkt2-publikasi",
        "unit": "Bagian Akademik",
        "people": {
            "pengarah": ("Dr. Ratna Sari", "Direktur"),
            "penanggung-jawab": ("Agus Setiawan", "Wakil Direktur I"),
            "pengendali-publikasi": ("Nurul Hidayah", "Ketua SPI"),
            "verifikator": ("Yudi Hartono", "Kasubbag Akademik"),
            "ketua-tim": ("Maya Anggraini", "Koordinator Humas"),
            "anggota": ("Fajar Nugroho", "Tim Humas"),
        },
        "channels": {
            "website": "poltekkesjkt2.ac.id",
            "instagram": "@poltekkesjkt2",
            "tiktok": "@poltekkesjkt2",
            "facebook": "Poltekkes Kemenkes Jakarta II",
            "youtube": "@poltekkesjkt2",
        },
        "cases": [
            ("Penerimaan Mahasiswa Baru 2027", "verify", 0),
            ("Wisuda Angkatan 2026", "design", 1),
            ("Dies Natalis Poltekkes Jakarta II", "upload", 0),
            ("Pengabdian Masyarakat: Posyandu Lansia", None, 0),
        ],
        "content_step": "design",
        "shows_a_patient": "",
    },
]


class Command(BaseCommand):
    help = "Create the demo institutions, people and cases (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")
        parser.add_argument(
            "--no-history",
            dest="history",
            action="store_false",
            help="leave out the months of finished cases that the reports show",
        )

    def handle(self, *args, json: bool = False, history: bool = True, **options):
        users = []
        # The demo's cases are walked as if they had long been at their steps: nobody is
        # told of each step as it is walked (reminders and escalations still come).
        with notifications.silenced(), transaction.atomic():
            for spec in INSTITUTIONS:
                users += build(spec, history=history)
        if json:
            self.stdout.write(_json_dumps({"password": PASSWORD, "users": users}))
            return
        self.stdout.write(f"Password: {PASSWORD}")
        for user in users:
            lanes = ", ".join(user["lanes"]) or "admin"
            self.stdout.write(f"{user['username']:34} {user['organization']:24} {lanes}")


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def build(spec: dict, history: bool = True) -> list[dict]:
    organization = org_actions.organization_ensure(
        slug=spec["slug"],
        name=spec["name"],
        short_name=spec["short_name"],
        parent=spec["parent"],
        sop_ids=(spec["sop"],),
    )
    unit = org_actions.unit_ensure(organization=organization, name=spec["unit"])
    people = {}
    users = []
    for number, (lane, (name, title)) in enumerate(spec["people"].items(), 1):
        username = f"{spec['slug']}-{lane}"
        person = org_actions.person_ensure(
            organization=organization,
            username=username,
            name=name,
            title=title,
            nip=f"19800101200501{number:04d}",
            unit=unit,
            password=PASSWORD,
            email=f"{username}@{MAIL_DOMAIN}",
        )
        org_actions.lane_assign(person=person, sop_id=spec["sop"], lane_id=lane)
        people[lane] = person
        users.append({"username": username, "organization": spec["slug"], "lanes": [lane]})
    admin = org_actions.person_ensure(
        organization=organization,
        username=f"{spec['slug']}-admin",
        name=f"Admin {spec['short_name']}",
        password=PASSWORD,
        is_admin=True,
        email=f"{spec['slug']}-admin@{MAIL_DOMAIN}",
    )
    publishing_demo.connect(admin, spec["channels"])  # API channels point at local sandboxes
    # Both demo institutions publish their SOP: its page and document are open to all.
    org_actions.sop_public_set(admin=admin, sop_id=spec["sop"], public=True)
    users.append({"username": f"{spec['slug']}-admin", "organization": spec["slug"], "lanes": []})
    _retention_schedule(admin)
    for title, until, rejections in spec["cases"]:
        if not Case.objects.filter(organization=organization, title=title).exists():
            case = _run_case(spec, people, title, until, rejections)
            if title == spec["shows_a_patient"]:
                maker = sops.find(spec["sop"]).step(spec["content_step"]).lane
                archive_actions.consent_flag_set(
                    person=people[maker], case_id=case.pk, needs_consent=True
                )
    if history:
        users += demo_history.build(spec, organization, unit, people)
    return users


# An example schedule for the demo (codes after the archive classification of public
# relations, HM); each institution enters its own JRA.
RETENTION_CLASSES = [
    ("HM.02.01", "Publikasi promosi dan informasi layanan", 2, 3, "dinilai-kembali", True),
    ("HM.02.02", "Publikasi kegiatan pimpinan dan peristiwa penting", 2, 8, "permanen", False),
    ("HM.02.03", "Bahan publikasi rutin", 1, 1, "musnah", False),
]


def _retention_schedule(admin) -> None:
    for code, name, active, inactive, disposition, default in RETENTION_CLASSES:
        if not admin.organization.retention_classes.filter(code=code).exists():
            archive_actions.retention_class_save(
                admin=admin,
                code=code,
                name=name,
                active_years=active,
                inactive_years=inactive,
                disposition=disposition,
                basis="Contoh untuk demo: sesuaikan dengan JRA instansi.",
                is_default=default,
            )


def _run_case(spec: dict, people: dict, title: str, until: str | None, rejections: int) -> Case:
    """Walk a case through the SOP as its people would, saying no `rejections` times; to
    the end (published) when `until` is None, with a poster made at the content step (so
    that every case past it shows its reviewers what they approve)."""
    sop_id = spec["sop"]
    sop = sops.find(sop_id)
    starter = people[sop.first_step.lane]
    # The demo's content is a poster: the channels that take only a video are left out,
    # as a PR team drops them (a review does not pass content a channel would refuse).
    channels = [
        platform
        for platform in dict.fromkeys(c.platform for step in sop.steps for c in step.channels)
        if for_channel(platform).rules.kinds != ("video",)
    ]
    case = case_actions.case_start(
        person=starter,
        sop_id=sop_id,
        title=title,
        description=f"{title}: materi publikasi.",
        channels=channels,
    )
    said_no = 0
    for _ in range(50):
        state = CaseState.from_dict(case.state)
        if state.closed:
            return case
        step = sop.step(state.current[0])
        if step.id == until and said_no >= rejections:
            return case
        if step.id == spec["content_step"] and not case.attachments.exists():
            _make_content(people[step.lane], case, title)
        back = [o for o in step.outcomes if sop.is_rework(step.id, o)]
        if back and said_no < rejections:
            outcome, note = back[0].id, "Mohon perbaiki narasi dan logo."
            said_no += 1
        else:
            outcome, note = step.exits()[0].id, ""
        case = case_actions.case_decide(
            person=people[step.lane], case_id=case.pk, outcome=outcome, note=note
        )
        if case.status == "publishing":
            case = publishing_demo.posted_by_hand(case, people[step.lane])
    return case


def _make_content(person, case: Case, title: str) -> None:
    """A poster (a plain PNG drawn here) and the text for each of the case's channels."""
    image = Image.new("RGB", (1080, 1080), (11, 94, 168))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1020, 1020), outline=(255, 255, 255), width=12)
    draw.text((120, 500), title, fill=(255, 255, 255), font_size=44)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    poster = SimpleUploadedFile("poster.png", buffer.getvalue(), content_type="image/png")
    case_actions.attachment_add(person=person, case_id=case.pk, upload=poster)
    case_actions.content_save(
        person=person,
        case_id=case.pk,
        title=title,
        narrative=f"{title}. Informasi lengkap di kanal resmi kami.",
        captions={channel: f"{title} #InfoSehat" for channel in case.channels},
        hashtags="#InfoSehat #Kemenkes",
    )
