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
