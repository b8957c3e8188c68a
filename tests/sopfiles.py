"""Small SOP files for tests, written the way an institution would write one."""

MINIMAL = """\
format: siaran-sop/1
id: mini
name: SOP Mini
number: "001/2026"
institution: Instansi Uji
effective: 2026-01-05
ratified_by:
  name: Direktur Uji
  title: Direktur
  nip: "197001011995031001"
lanes:
  - {id: pemohon, name: Pemohon}
  - {id: humas, name: Tim Humas}
  - {id: direktur, name: Direktur}
steps:
  - id: request
    no: 1
    activity: Mengajukan permohonan
    lane: pemohon
    time: 15 menit
  - id: design
    no: 2
    activity: Menyusun desain
    lane: humas
    time: 1 hari
  - id: review
    no: 3
    kind: review
    activity: Memeriksa desain
    lane: direktur
    time: 10 menit
    outcomes:
      - {id: ya, label: "Ya", next: publish}
      - {id: tidak, label: Tidak, next: design}
  - id: publish
    no: 4
    kind: publish
    activity: Mengunggah
    lane: humas
    time: 2 jam
    channels:
      - {platform: instagram, handle: "@uji"}
"""


# An SOP a third institution uploads: three lanes, a review, publication on Facebook (a
# text alone may go there). NEWSROOM_V2 is its next version: a proofreading step, a
# longer time for the request, a renamed lane and a new outcome.
NEWSROOM = """\
format: siaran-sop/1
id: warta-uji
name: Publikasi Warta Instansi Uji
number: "SOP-07/2026"
institution: Balai Uji Siaran
effective: 2026-01-05
ratified_by:
  name: Kepala Balai Uji
  title: Kepala Balai
  nip: "197001011995031001"
lanes:
  - {id: pemohon, name: Pemohon}
  - {id: humas, name: Tim Humas}
  - {id: kepala, name: Kepala Balai}
steps:
  - id: draft
    no: 1
    activity: Menyusun naskah warta
    lane: humas
    time: 1 hari
    edits_content: true
  - id: approve
    no: 2
    kind: review
    activity: Menyetujui naskah
    lane: kepala
    time: 2 jam
    outcomes:
      - {id: ya, label: "Ya", next: publish}
      - {id: tidak, label: Tidak, next: draft, note_required: true}
  - id: publish
    no: 3
    kind: publish
    activity: Menerbitkan warta
    lane: humas
    time: 1 jam
    channels:
      - {platform: facebook, handle: "Balai Uji"}
"""

NEWSROOM_V2 = (
    NEWSROOM.replace("Kepala Balai}", "Kepala Balai Uji}")
    .replace("time: 1 hari", "time: 2 hari")
    .replace("next: publish}", "next: proofread}")
    .replace(
        "  - id: publish\n    no: 3",
        "  - id: proofread\n    no: 3\n    activity: Memeriksa ejaan\n    lane: humas\n"
        "    time: 30 menit\n    next: publish\n  - id: publish\n    no: 4",
    )
    .replace('number: "SOP-07/2026"', 'number: "SOP-07/2026"\nrevision: "1"')
)
