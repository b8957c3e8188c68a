"""People as an institution's administrator needs them (issue 13): invitations by mail
and by `siaran invite`, editing, deactivating, unlocking, and importing from a template."""

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from siaran.audit.models import AuditEvent
from siaran.cases import actions as case_actions
from siaran.cases.models import Case, CaseEvent
from siaran.cases.selectors import open_tasks
from siaran.orgs import actions
from siaran.orgs.actions import OrgError
from siaran.orgs.models import Invitation, LaneMember, Organization, Person
from siaran.orgs.selectors import empty_lanes, lane_holders, lanes_of
from tests.conftest import second_verifier
from tests.mailbox import smtp  # noqa: F401 (a fixture)
from tests.test_pages import PASSWORD, login

LINK = re.compile(r"https?://\S+/invitations/[\w-]+/")


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def accept(client, path, **fields):
    form = {"username": "rina", "name": "Rina Marlina", "password": "laut-biru-2026"}
    form.update(password_again=form["password"])
    form.update(fields)
    return client.post(path, form)


# -- invitations -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_invites_by_mail_and_the_person_joins(
    client,
    demo,
    smtp,  # noqa: F811 (the fixture)
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SIARAN_BASE_URL = "https://siaran.rspon.example"
    login(client, "rspon-admin")
    form = {"invite": "1", "email": "Rina@Example.id", "name": "Rina", "unit": "Humas"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/institution/people/", form)
    assert response.status_code == 302
    [mail] = smtp.take()
    assert mail.to == ["rina@example.id"]
    assert mail.subject.startswith("[Siaran] Undangan")
    # Indonesian first, then English; the link is absolute, from SIARAN_BASE_URL.
    body = mail.body
    assert body.index("Anda diundang") < body.index("You are invited")
    [link] = set(LINK.findall(body))
    assert link.startswith("https://siaran.rspon.example/invitations/")
    invitation = Invitation.objects.get(email="rina@example.id")
    assert invitation.mailed_at and invitation.invited_by == demo["rspon-admin"]
    assert link.rsplit("/", 2)[1] not in str(Invitation.objects.values().get())  # hash only
    page = client.get("/institution/people/").content.decode()
    assert "rina@example.id" in page

    client.logout()
    path = link_path(link)
    page = client.get(path)
    assert page.status_code == 200
    assert "Rumah Sakit Pusat Otak Nasional" in page.content.decode()
    assert 'value="rina"' in page.content.decode()  # the username suggested from the mail
    # Passwords that differ, or that Django's validators refuse: nothing is made.
    refused = accept(client, path, password_again="laut-biru-2027").content.decode()
    assert "berbeda" in refused
    refused = accept(client, path, password="12345678", password_again="12345678")
    assert "terlalu umum" in refused.content.decode() or "common" in refused.content.decode()
    assert not User.objects.filter(username="rina").exists()

    response = accept(client, path)
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    rina = Person.objects.select_related("user", "unit").get(user__username="rina")
    assert rina.organization.slug == "rspon" and rina.unit.name == "Humas"
    assert rina.user.email == "rina@example.id" and not rina.is_admin
    assert client.get("/tasks/").status_code == 200  # signed in
    assert Invitation.objects.get(pk=invitation.pk).accepted_by == rina
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"invitation_sent", "invitation_accepted"} <= kinds

    # Used once: a second submission (a double click) and a later visit are refused.
    client.logout()
    again = accept(client, path, username="rina2")
    assert again.status_code == 410 and "sudah dipakai" in again.content.decode()
    assert not User.objects.filter(username="rina2").exists()
    assert client.get(path).status_code == 410


@pytest.mark.django_db
def test_an_invitation_expires_is_replaced_and_can_be_revoked(client, demo, settings):
    admin = demo["rspon-admin"]
    first = actions.invitation_send(organization=admin.organization, email="a@x.id", actor=admin)
    second = actions.invitation_send(organization=admin.organization, email="a@x.id", actor=admin)
    # Sending again replaces the open invitation: the first link stops working.
    closed = client.get(link_path(first.link))
    assert closed.status_code == 410 and "undangan yang lebih baru" in closed.content.decode()
    assert client.get(link_path(second.link)).status_code == 200
    Invitation.objects.filter(pk=second.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    expired = client.get(link_path(second.link))
    assert expired.status_code == 410 and "kedaluwarsa" in expired.content.decode()
    assert "Admin RSPON" in expired.content.decode() or admin.name in expired.content.decode()
    with pytest.raises(OrgError):
        actions.invitation_accept(
            token=second.link.rsplit("/", 2)[1],
            username="late",
            name="Late",
            password="laut-biru-2026",
            password_again="laut-biru-2026",
        )
    third = actions.invitation_resend(admin=admin, invitation_id=second.pk)
    actions.invitation_revoke(admin=admin, invitation_id=third.pk)
    assert client.get(link_path(third.link)).status_code == 410
    assert client.get("/invitations/not-a-token/").status_code == 410
    assert not User.objects.filter(username="late").exists()


@pytest.mark.django_db
def test_an_invitation_refuses_bad_input_and_changes_nothing(demo):
    admin = demo["rspon-admin"]
    organization = admin.organization
    before = Invitation.objects.count()
    for email in ("not-an-address", "", "rspon-direksi@demo.siaran.id"):
        with pytest.raises(OrgError):
            actions.invitation_send(organization=organization, email=email, actor=admin)
    with pytest.raises(OrgError, match="instansi"):
        actions.invitation_send(organization="nowhere", email="a@x.id")
    # Another institution's administrator, a person who is not an administrator.
    other = Person.objects.get(organization__slug="poltekkes-jkt2", is_admin=True)
    with pytest.raises(OrgError):
        actions.invitation_send(organization=organization, email="a@x.id", actor=other)
    with pytest.raises(OrgError):
        actions.invitation_send(
            organization=organization, email="a@x.id", actor=demo["rspon-direksi"]
        )
    with pytest.raises(OrgError):
        actions.invitation_send(
            organization=organization, email="a@x.id", seats=[("rspon-medsos", "nope")]
        )
    assert Invitation.objects.count() == before


@pytest.mark.django_db
def test_the_operator_invites_the_first_administrator(demo):
    out = io.StringIO()
    call_command("invite", "Kepala@Rspon.example", "--org", "rspon", "--admin", stdout=out)
    text = out.getvalue()
    [link] = LINK.findall(text)
    assert "kepala@rspon.example" in text
    invitation = Invitation.objects.get(email="kepala@rspon.example")
    assert invitation.is_admin and invitation.invited_by is None
    person = actions.invitation_accept(
        token=link.rsplit("/", 2)[1],
        username="kepala",
        name="Kepala Humas",
        password="laut-biru-2026",
        password_again="laut-biru-2026",
    )
    assert person.is_admin and person.organization.slug == "rspon"

    # Bad input: a sentence (exit status 1 on the console), nothing changed.
    for argv, sentence in (
        (["x@y.id", "--org", "nowhere"], "nowhere"),
        (["not-mail", "--org", "rspon"], "alamat surel"),
        (["kepala@rspon.example", "--org", "rspon"], "sudah dipakai"),
        (["x@y.id"], "--org"),
    ):
        with pytest.raises(CommandError, match=sentence) as error:
            call_command("invite", *argv)
        assert error.value.returncode == 1
    assert Invitation.objects.count() == 1


def test_the_invite_command_exits_1_with_a_sentence(tmp_path):
    from tests.test_commands import siaran

    embedded = {"DATABASE_URL": ""}
    assert siaran("migrate", "--noinput", env=embedded, tmp_data=tmp_path).returncode == 0
    result = siaran("invite", "a@b.id", "--org", "nowhere", env=embedded, tmp_data=tmp_path)
    assert result.returncode == 1
    assert "Tidak ada instansi nowhere." in result.stderr and "Traceback" not in result.stderr


# -- a person's record --------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_edits_a_person_of_their_institution_only(client, demo):
    login(client, "rspon-admin")
    direksi = demo["rspon-direksi"]
    form = {
        "name": "dr. Direktur Utama",
        "nip": "19700101 199503 1 001",
        "title": "Direktur Utama",
        "unit": "Direksi Baru",
        "email": "direktur@rspon.example",
        "is_admin": "1",
    }
    assert client.post(f"/institution/people/{direksi.pk}/", form).status_code == 302
    direksi.refresh_from_db()
    direksi.user.refresh_from_db()
    assert direksi.nip == "197001011995031001" and direksi.unit.name == "Direksi Baru"
    assert direksi.is_admin and direksi.user.email == "direktur@rspon.example"
    bad = client.post(f"/institution/people/{direksi.pk}/", {**form, "nip": "123"})
    assert "18 digit" in bad.content.decode()
    foreign = Person.objects.filter(organization__slug="poltekkes-jkt2").first()
    assert client.get(f"/institution/people/{foreign.pk}/").status_code == 404
    assert client.post(f"/institution/people/{foreign.pk}/", form).status_code == 404
    with pytest.raises(OrgError):
        actions.person_deactivate(admin=demo["rspon-admin"], person_id=foreign.pk)
    # The last administrator keeps the flag; with a second one it may go.
    admin = demo["rspon-admin"]
    Person.objects.filter(pk=direksi.pk).update(is_admin=False)
    keep = {"name": admin.name, "is_admin": ""}
    refused = client.post(f"/institution/people/{admin.pk}/", keep).content.decode()
    assert "Administrator terakhir" in refused
    assert Person.objects.get(pk=admin.pk).is_admin
    assert "person_edited" in set(AuditEvent.objects.values_list("kind", flat=True))


@pytest.mark.django_db
def test_deactivation_releases_claims_and_warns_of_empty_lanes(client, demo):
    verifier = demo["poltekkes-jkt2-verifikator"]
    admin = Person.objects.get(organization=verifier.organization, is_admin=True)
    [task] = list(open_tasks(verifier))
    second = second_verifier(verifier.organization)
    case_actions.step_claim(person=verifier, case_id=task.pk)
    assert empty_lanes(verifier.organization_id) == []

    released = actions.person_deactivate(admin=admin, person_id=verifier.pk)
    assert released == 1 and Case.objects.get(pk=task.pk).claimed_by is None
    event = CaseEvent.objects.filter(case_id=task.pk).order_by("-seq").first()
    assert event.kind == "step_released_for" and event.actor_id == admin.pk
    verifier.user.refresh_from_db()
    assert not verifier.user.is_active
    # The seat stays; the colleague in the lane still holds it, so no lane is empty.
    assert LaneMember.objects.filter(person=verifier, lane_id="verifikator").exists()
    assert empty_lanes(verifier.organization_id) == []
    assert [p.pk for p in lane_holders(verifier.organization_id, task.sop_id, "verifikator")] == [
        second.pk
    ]
    # The last active person of the lane: the people page says so before, and warns after.
    client.force_login(admin.user, backend="siaran.orgs.backends.PersonBackend")
    page = client.get("/institution/people/").content.decode()
    assert "Satu-satunya pegawai aktif di: poltekkes-jkt2-publikasi: Verifikator" in page
    assert "Tidak ada lagi pegawai aktif di: poltekkes-jkt2-publikasi: Verifikator" in page
    actions.person_deactivate(admin=admin, person_id=second.pk)
    [(sop, lane)] = empty_lanes(verifier.organization_id)
    assert lane.id == "verifikator"
    client.force_login(admin.user, backend="siaran.orgs.backends.PersonBackend")
    lanes_page = client.get(f"/institution/lanes/{sop.id}/").content.decode()
    assert 'id="empty-lanes"' in lanes_page and "dinonaktifkan" in lanes_page
    people_page = client.get("/institution/people/").content.decode()
    assert 'id="empty-lanes"' in people_page
    # A deactivated person cannot sign in; reactivated, they can.
    client.logout()
    form = {"login": "poltekkes-jkt2-verifikator", "password": PASSWORD}
    refused = client.post("/accounts/login/", form)
    assert refused.status_code == 302 and refused["Location"] == "/accounts/inactive/"
    assert client.get("/tasks/").status_code == 302  # not signed in
    client.force_login(admin.user, backend="siaran.orgs.backends.PersonBackend")
    client.post("/institution/people/", {"reactivate": verifier.pk})
    client.logout()
    assert client.post("/accounts/login/", form)["Location"] == "/tasks/"
    assert empty_lanes(verifier.organization_id) == []
    assert lanes_of(verifier, "poltekkes-jkt2-publikasi") == {"verifikator": None}
    # One cannot deactivate oneself (nor thereby the last administrator).
    with pytest.raises(OrgError):
        actions.person_deactivate(admin=admin, person_id=admin.pk)
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {"person_deactivated", "person_reactivated"} <= kinds


@pytest.mark.django_db
def test_an_administrator_unlocks_a_locked_out_person(client, demo, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/accounts/login/", {"login": "rspon-direksi", "password": "wrong"})
    locked = client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert locked.status_code != 302
    login(client, "rspon-admin")
    page = client.get("/institution/people/").content.decode()
    assert "terkunci sampai" in page
    direksi = demo["rspon-direksi"]
    client.post("/institution/people/", {"unlock": direksi.pk})
    assert "terkunci sampai" not in client.get("/institution/people/").content.decode()
    client.logout()
    login(client, "rspon-direksi")
    assert "person_unlocked" in set(AuditEvent.objects.values_list("kind", flat=True))


# -- import --------------------------------------------------------------------------------


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, name: str, data: bytes, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/institution/people/import/", {"file": SimpleUploadedFile(name, data)}, follow=True
        )


HEADER = ["E-mail", "Nama", "NIP", "Jabatan", "Unit", "Administrator", "rspon-medsos"]


@pytest.mark.django_db
def test_import_people_from_xlsx_with_a_report_of_refused_rows(
    client,
    demo,
    smtp,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    login(client, "rspon-admin")
    data = xlsx(
        [
            HEADER,
            [
                "sari@rspon.example",
                "Sari",
                "198501012010012003",
                "Pranata Humas",
                "Unit Baru",
                "",
                "tim-humas, subkoor-humas",
            ],
            ["bima@rspon.example", "Bima", None, None, None, "ya", None],
            [None] * 7,
            ["nina@rspon.example", "", None, None, None, None, None],  # no name
            ["sari@rspon.example", "Sari Lagi", None, None, None, None, None],  # duplicate
            ["tono@rspon.example", "Tono", "12345", None, None, None, None],  # bad NIP
            ["ayu@rspon.example", "Ayu", None, None, None, None, "penyiar"],  # unknown lane
            ["rspon-direksi@demo.siaran.id", "Direksi", None, None, None, None, None],
            ["budi@rspon.example", "Budi", None, None, None, "mungkin", None],
            ["bukan-alamat", "Dodi", None, None, None, None, None],
        ]
    )
    response = upload(client, "people.xlsx", data, django_capture_on_commit_callbacks)
    page = response.content.decode()
    refused = dict(re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>", page))
    assert set(refused) == {"5", "6", "7", "8", "9", "10", "11"}, refused
    assert "Nama" in refused["5"] and "baris 2" in refused["6"] and "18 digit" in refused["7"]
    assert "penyiar" in refused["8"] and "sudah dipakai" in refused["9"]
    assert "ya atau tidak" in refused["10"] and "alamat surel" in refused["11"]
    sent = {mail.to[0] for mail in smtp.take()}
    assert sent == {"sari@rspon.example", "bima@rspon.example"}
    sari = Invitation.objects.get(email="sari@rspon.example")
    assert sari.seats == [["rspon-medsos", "tim-humas"], ["rspon-medsos", "subkoor-humas"]]
    assert sari.unit.name == "Unit Baru" and sari.nip == "198501012010012003"
    assert Invitation.objects.get(email="bima@rspon.example").is_admin
    # On acceptance, the row's seats are the person's.
    token = Invitation.objects.filter(pk=sari.pk)  # the token is not stored: make a new one
    assert token.exists()
    resent = actions.invitation_resend(admin=demo["rspon-admin"], invitation_id=sari.pk)
    person = actions.invitation_accept(
        token=resent.link.rsplit("/", 2)[1],
        username="sari",
        name="Sari",
        password="laut-biru-2026",
        password_again="laut-biru-2026",
    )
    assert set(lanes_of(person, "rspon-medsos")) == {"tim-humas", "subkoor-humas"}
    assert person.title == "Pranata Humas" and person.unit.name == "Unit Baru"


@pytest.mark.django_db
def test_import_csv_and_malformed_files(client, demo, django_capture_on_commit_callbacks):
    login(client, "rspon-admin")
    # Semicolons, as an Indonesian Excel saves CSV; English headers work too.
    csv = (
        "Email;Name;NIP;Title;Unit;Admin;rspon-medsos\r\nfajar@rspon.example;Fajar;;;;;direksi\r\n"
    )
    page = upload(client, "people.csv", csv.encode(), django_capture_on_commit_callbacks)
    assert Invitation.objects.get(email="fajar@rspon.example").seats == [
        ["rspon-medsos", "direksi"]
    ]
    assert "1 pegawai diundang" in page.content.decode()
    before = Invitation.objects.count()
    for name, data, sentence in (
        ("people.xlsx", b"PK\x03\x04 not really a zip", "bukan lembar kerja"),
        ("people.pdf", b"%PDF-1.4", "XLSX atau CSV"),
        ("people.csv", b"Posel;Nama\r\na@b.id;A\r\n", "Kolom"),
        ("people.csv", b"Nama;NIP\r\nA;1\r\n", "kolom"),
        ("people.xlsx", xlsx([HEADER] + [[f"p{i}@x.id", f"P{i}"] for i in range(501)]), "500"),
        ("people.csv", b"E-mail,Nama\r\n", "tidak berisi"),
    ):
        response = upload(client, name, data, django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert sentence in response.content.decode(), (name, sentence)
    assert Invitation.objects.count() == before


@pytest.mark.django_db
def test_the_template_downloads_with_a_column_per_sop(client, demo):
    from openpyxl import load_workbook

    login(client, "rspon-admin")
    response = client.get("/institution/people/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    people, lanes = book.worksheets
    assert [cell.value for cell in people[1]] == HEADER
    assert ("rspon-medsos (Alur Pengunggahan" in lanes["A2"].value) and lanes["B2"].value
    csv = client.get("/institution/people/template.csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0] == ",".join(HEADER)
    assert client.get("/institution/people/template.pdf").status_code == 404
    client.logout()
    login(client, "rspon-direksi")
    assert client.get("/institution/people/template.xlsx").status_code == 403
    # Written as every export is: no cell is a formula (tests/test_spreadsheets.py).
    assert not [
        c for sheet in book.worksheets for r in sheet.iter_rows() for c in r if c.data_type == "f"
    ]
    assert Organization.objects.filter(slug="rspon").exists()


@pytest.mark.django_db
def test_two_submissions_of_one_invitation_make_one_person(demo, monkeypatch):
    """The second of two racing submissions passed the first checks before the first one
    committed: the conditional update refuses it, and it makes no login."""
    admin = demo["rspon-admin"]
    invitation = actions.invitation_send(organization=admin.organization, email="r@x.id")
    token = invitation.link.rsplit("/", 2)[1]
    real = actions.validate_password

    def the_other_submission_commits_meanwhile(password, user=None):
        real(password, user)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())

    monkeypatch.setattr(actions, "validate_password", the_other_submission_commits_meanwhile)
    with pytest.raises(OrgError):
        actions.invitation_accept(
            token=token,
            username="racer",
            name="Racer",
            password="laut-biru-2026",
            password_again="laut-biru-2026",
        )
    assert not User.objects.filter(username="racer").exists()


def test_a_spreadsheet_that_unpacks_to_too_much_is_refused():
    """A ZIP of a few kilobytes that would unpack to more than the limit is not opened."""
    import zipfile

    from siaran.orgs import people_sheet

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (people_sheet.MAX_UNPACKED_BYTES + 1))
    assert len(packed.getvalue()) < people_sheet.MAX_BYTES
    with pytest.raises(people_sheet.SheetError):
        people_sheet.read("bomb.xlsx", packed.getvalue(), ["rspon-medsos"])


@pytest.mark.django_db
def test_the_people_page_resends_and_revokes_invitations_of_its_institution_only(
    client,
    demo,
    smtp,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    admin = demo["rspon-admin"]
    first = actions.invitation_send(organization=admin.organization, email="w@x.id", actor=admin)
    other = Person.objects.get(organization__slug="poltekkes-jkt2", is_admin=True)
    foreign = actions.invitation_send(organization=other.organization, email="f@x.id", actor=other)
    login(client, "rspon-admin")
    # A refused invitation comes back in its own form, filled as it was typed.
    page = client.post("/institution/people/", {"invite": "1", "email": "w@", "name": "Wati"})
    assert 'id="id_invite_name" name="name" value="Wati"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/institution/people/", {"resend": first.pk})
    [mail] = smtp.take()
    [link] = set(LINK.findall(mail.body))
    assert client.get(link_path(first.link)).status_code == 410  # the old link stopped
    assert client.get(link_path(link)).status_code == 200
    newest = Invitation.objects.get(email="w@x.id", revoked_at=None)
    client.post("/institution/people/", {"revoke": newest.pk})
    assert client.get(link_path(link)).status_code == 410
    # Another institution's invitation: neither resent nor revoked.
    page = client.post("/institution/people/", {"revoke": foreign.pk}, follow=True)
    assert "Undangan tidak ditemukan" in page.content.decode()
    assert Invitation.objects.get(pk=foreign.pk).revoked_at is None
    assert "f@x.id" not in client.get("/institution/people/").content.decode()
