"""`siaran demo`: both institutions, one person per lane, and a few cases under way."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db import transaction

from siaran.cases import actions as case_actions
from siaran.cases.models import Case
from siaran.core import sops
from siaran.orgs import actions as org_actions
from siaran.publishing import demo as publishing_demo
from siaran.sop.engine import CaseState

PASSWORD = "siaran-demo-2026"  # noqa: S105 - demo logins, printed on purpose

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
        ],
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
        ],
    },
]


class Command(BaseCommand):
    help = "Create the demo institutions, people and cases (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")

    def handle(self, *args, json: bool = False, **options):
        users = []
        with transaction.atomic():
            for spec in INSTITUTIONS:
                users += build(spec)
        if json:
            self.stdout.write(_json_dumps({"password": PASSWORD, "users": users}))
            return
        self.stdout.write(f"Password: {PASSWORD}")
        for user in users:
            lanes = ", ".join(user["lanes"]) or "admin"
            self.stdout.write(f"{user['username']:32} {user['organization']:24} {lanes}")


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def build(spec: dict) -> list[dict]:
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
    )
    publishing_demo.connect(admin, spec["channels"])  # API channels point at local sandboxes
    users.append({"username": f"{spec['slug']}-admin", "organization": spec["slug"], "lanes": []})
    for title, until, rejections in spec["cases"]:
        if not Case.objects.filter(organization=organization, title=title).exists():
            _run_case(spec["sop"], people, title, until, rejections)
    return users


def _run_case(sop_id: str, people: dict, title: str, until: str, rejections: int) -> None:
    """Walk a case through the SOP as its people would, saying no `rejections` times."""
    sop = sops.find(sop_id)
    starter = people[sop.first_step.lane]
    case = case_actions.case_start(
        person=starter, sop_id=sop_id, title=title, description=f"{title}: materi publikasi."
    )
    said_no = 0
    for _ in range(50):
        state = CaseState.from_dict(case.state)
        step = sop.step(state.current[0])
        if step.id == until and said_no >= rejections:
            return
        back = [o for o in step.outcomes if sop.is_rework(step.id, o)]
        if back and said_no < rejections:
            outcome, note = back[0].id, "Mohon perbaiki narasi dan logo."
            said_no += 1
        else:
            outcome, note = step.exits()[0].id, ""
        case = case_actions.case_decide(
            person=people[step.lane], case_id=case.pk, outcome=outcome, note=note
        )
