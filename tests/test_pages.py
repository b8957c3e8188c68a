"""The pages people use every day, through Django's test client."""

import re

import pytest
from django.test import Client

from siaran.cases.models import Case

PASSWORD = "siaran-demo-2026"


def login(client, username):
    response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.mark.django_db
def test_pages_need_a_login(client):
    for url in ("/tasks/", "/cases/new/", "/cases/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_inbox_shows_what_waits_for_me(client, demo):
    login(client, "rspon-direksi")
    page = client.get("/tasks/").content.decode()
    assert "Poster Hari Stroke Sedunia" in page
    assert "Promosi Layanan Stroke Center" not in page.split('id="tasks"')[1].split("</div>\n\n")[0]
    assert "Menverifikasi Konten" in page  # the SOP's activity text


@pytest.mark.django_db
def test_a_director_approves_from_the_case_page(client, demo):
    login(client, "rspon-direksi")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="outcome" value="ya"' in page and 'name="outcome" value="tidak"' in page
    assert "Video/Poster yang Telah Disunting" in page  # inputs as a checklist
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    no_reason = client.post(
        f"/cases/{case.pk}/decide/", {"outcome": "tidak", "seen": seen}, follow=True
    )
    assert "Tuliskan alasan mengapa konten dikembalikan." in no_reason.content.decode()
    client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya", "seen": seen})
    case.refresh_from_db()
    assert case.current_step == "upload"
    again = client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya", "seen": seen}, follow=True)
    assert "sudah bergerak" in again.content.decode() or "moved on" in again.content.decode()
    timeline = client.get(f"/cases/{case.pk}/").content.decode()
    assert "dr. Hendra Gunawan" in timeline


@pytest.mark.django_db
def test_starting_a_case_from_the_page(client, demo):
    login(client, "poltekkes-jkt2-pengarah")
    form = client.get("/cases/new/").content.decode()
    assert "Publikasi melalui Website dan Media Sosial" in form
    response = client.post(
        "/cases/new/",
        {"sop": "poltekkes-jkt2-publikasi", "title": "Lomba Poster Gizi", "channels": ["website"]},
    )
    case = Case.objects.get(title="Lomba Poster Gizi")
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.channels == ["website"] and case.current_step == "direction"


@pytest.mark.django_db
def test_no_page_of_another_institution(client, demo):
    login(client, "poltekkes-jkt2-pengarah")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya"}).status_code == 404
    case.refresh_from_db()
    assert case.current_step == "director-review"


@pytest.mark.django_db
def test_someone_of_another_lane_cannot_act(client, demo):
    login(client, "rspon-tim-humas")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="outcome"' not in page
    client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya"})
    case.refresh_from_db()
    assert case.current_step == "director-review"


@pytest.mark.django_db
def test_csrf_is_enforced(demo):
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(
            "/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"login": "rspon-direksi", "password": "salah"})
    locked = client.post("/accounts/login/", {"login": "rspon-direksi", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Terlalu banyak" in locked.content.decode()


@pytest.mark.django_db
def test_a_reviewer_sees_what_changed_since_they_last_saw_it(client, demo):
    from siaran.cases import actions

    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    login(client, "rspon-direksi")
    client.get(f"/cases/{case.pk}/")  # the director sees v1
    actions.case_decide(
        person=demo["rspon-direksi"], case_id=case.pk, outcome="tidak", note="Ganti judul"
    )
    actions.content_save(
        person=demo["rspon-tim-humas"],
        case_id=case.pk,
        title="Poster Hari Stroke Sedunia 2026",
        narrative="Cegah stroke",
    )
    for lane in ("tim-humas", "subkoor-humas", "koordinator-umum"):
        actions.case_decide(person=demo[f"rspon-{lane}"], case_id=case.pk, outcome="done")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="changes"' in page
    assert "Poster Hari Stroke Sedunia<ins> 2026</ins>" in page
    assert "<del>" in page and "Cegah" in page
    # The director who sent it back keeps seeing what changed since their decision, above
    # the buttons, until they decide again; the editor who made the change does not.
    again = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="changes"' in again
    assert again.index('id="changes"') < again.index('name="outcome"')
    editor = Client()
    login(editor, "rspon-tim-humas")
    editor.get(f"/cases/{case.pk}/")
    assert 'id="changes"' not in editor.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.django_db
def test_comments_mention_colleagues_who_see_the_case(client, demo):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    login(client, "rspon-tim-humas")
    client.post(
        f"/cases/{case.pk}/comments/",
        {"text": "@rspon-direksi mohon dicek. @poltekkes-jkt2-pengarah <b>x</b>"},
    )
    comment = case.comments.get()
    assert [p.user.username for p in comment.mentions.all()] == ["rspon-direksi"]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page


@pytest.mark.django_db
def test_files_upload_and_download_only_for_those_who_see_the_case(client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")  # at "edit"
    login(client, "rspon-tim-humas")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client.post(f"/cases/{case.pk}/files/", {"file": SimpleUploadedFile("nota dinas.pdf", pdf)})
    attachment = case.attachments.get(kind="document")  # beside the demo's poster
    assert attachment.name == "nota_dinas.pdf"
    url = f"/cases/{case.pk}/files/{attachment.key}/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    outsider = Client()
    login(outsider, "poltekkes-jkt2-pengarah")
    assert outsider.get(url).status_code == 404
    bad = client.post(
        f"/cases/{case.pk}/files/",
        {"file": SimpleUploadedFile("x.pdf", b"<script>alert(1)</script>")},
        follow=True,
    )
    assert "bukan PDF" in bad.content.decode()
    assert case.attachments.filter(kind="document").count() == 1


@pytest.mark.django_db
def test_inbox_pages_through_many_steps(client, demo):
    from siaran.cases import actions

    director = demo["poltekkes-jkt2-pengarah"]
    for number in range(55):
        actions.case_start(
            person=director, sop_id="poltekkes-jkt2-publikasi", title=f"Kasus {number:02d}"
        )
    login(client, "poltekkes-jkt2-pengarah")
    first = client.get("/tasks/").content.decode()
    assert first.count('class="list-group-item ') >= 50 and "?page=2" in first
    second = client.get("/tasks/?page=2").content.decode()
    assert "?page=1" in second and "Kasus 54" in second + first


@pytest.mark.django_db
def test_taking_and_releasing_a_step_from_the_inbox(demo):
    from tests.conftest import second_verifier

    case = Case.objects.get(title="Penerimaan Mahasiswa Baru 2027")  # waits on Verifikator
    second_verifier(case.organization)
    me, colleague = login(Client(), "poltekkes-jkt2-verifikator"), Client()
    colleague.force_login(case.organization.people.get(user__username="kasubbag-umum").user)
    page = me.get("/tasks/").content.decode()
    assert f'form="claim-form" name="case" value="{case.pk}"' in page
    me.post("/tasks/claim/", {"case": case.pk})
    assert Case.objects.get(pk=case.pk).claimed_by.user.username == "poltekkes-jkt2-verifikator"
    theirs = colleague.get("/tasks/").content.decode()
    assert "Diambil rekan" in theirs or "Taken by colleagues" in theirs
    assert f'value="{case.pk}"' not in theirs.split('id="tasks"')[1].split("</div>\n\n")[0]
    refused = colleague.post("/tasks/claim/", {"case": case.pk}, follow=True).content.decode()
    assert "sudah mengambil" in refused or "already taken" in refused
    me.post("/tasks/release/", {"case": case.pk})
    assert Case.objects.get(pk=case.pk).claimed_by is None
    assert me.post("/tasks/claim/", {"case": "x"}).status_code == 404


@pytest.mark.django_db
def test_inbox_search_takes_the_text_literally(client, demo):
    from siaran.cases import actions

    director = demo["poltekkes-jkt2-pengarah"]
    for title in ("Diskon 50% wisuda", "Diskon 505 wisuda", "Kuota_A", "KuotaBA"):
        actions.case_start(person=director, sop_id="poltekkes-jkt2-publikasi", title=title)
    login(client, "poltekkes-jkt2-pengarah")
    tasks = client.get("/tasks/", {"q": "50%"}).content.decode().split('id="tasks"')[1]
    assert "Diskon 50% wisuda" in tasks and "Diskon 505" not in tasks
    tasks = client.get("/tasks/", {"q": "kuota_"}).content.decode().split('id="tasks"')[1]
    assert "Kuota_A" in tasks and "KuotaBA" not in tasks


@pytest.mark.django_db
def test_a_signed_in_page_reads_session_user_person_and_institution_once(client, demo):
    """The session and the user come from statements written out (siaran/core/sessions.py,
    siaran/orgs/backends.py); they must find what Django's own queries found."""
    import datetime as dt

    from django.contrib.auth import get_user
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    login(client, "rspon-tim-humas")
    request = RequestFactory().get("/")
    request.session = client.session.__class__(client.session.session_key)
    with CaptureQueriesContext(connection) as queries:
        user = get_user(request)
        assert user.username == "rspon-tim-humas"
        assert user.person.organization.slug == "rspon" and user.person.user is user
    assert len(queries) == 2  # the session, then user, person and institution together
    assert client.get("/tasks/").status_code == 200

    # An expired session, or one that is gone, is nobody's.
    Session.objects.update(expire_date=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    response = client.get("/tasks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_a_user_without_a_person_signs_in_but_has_no_inbox(client, demo):
    from django.contrib.auth.models import User

    User.objects.create_user("tanpa-orang", password=PASSWORD)
    login(client, "tanpa-orang")
    assert client.get("/tasks/").status_code == 403
    home = client.get("/")
    assert home.status_code == 200 and 'id="bell"' not in home.content.decode()


def test_a_long_narrative_is_compared_quickly():
    """A reviewer's page shows what changed; a repetitive 16,000-word narrative (the
    outside test's 27.5 s page) is compared by lines, then whole, within a second."""
    import time

    from siaran.cases.diff import text_diff

    old = "stroke " * 8000 + "\nakhir"
    new = "stroke " * 8000 + "otak " * 8000 + "\nakhir baru"
    started = time.perf_counter()
    shown = text_diff(old, new)
    assert time.perf_counter() - started < 1.0
    assert "<ins>" in shown and "<del>" in shown
    assert str(text_diff("Cegah stroke", "Cegah stroke sejak dini")) == (
        "Cegah stroke<ins> sejak dini</ins>"
    )


@pytest.mark.django_db
def test_every_page_carries_the_content_security_policy(client, demo, caplog):
    """Scripts and style sheets from Siaran only, nothing framing it (issue 17, finding
    14); a stored file keeps its own sandbox; a refusal a browser reports is logged."""
    login(client, "rspon-tim-humas")
    header = client.get("/tasks/")["Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "Content-Security-Policy" in client.get("/accounts/login/")
    report = {"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline"}}
    answer = client.post("/csp-report/", report, content_type="application/csp-report")
    assert answer.status_code == 204
    assert "Content-Security-Policy violation" in caplog.text and "inline" in caplog.text


@pytest.mark.django_db
def test_an_sop_page_is_public_only_where_its_institution_chooses(client, demo):
    """Issue 17, finding 14: SOP pages and documents were public for every SOP."""
    from siaran.orgs import actions as org_actions

    # The demo's institutions publish their SOPs.
    assert client.get("/sop/rspon-medsos/").status_code == 200
    assert "rspon-medsos" in client.get("/").content.decode()
    org_actions.sop_public_set(admin=demo["rspon-admin"], sop_id="rspon-medsos", public=False)
    assert client.get("/sop/rspon-medsos/").status_code == 404
    assert client.get("/sop/rspon-medsos/document.pdf").status_code == 404
    assert "/sop/rspon-medsos/" not in client.get("/").content.decode()
    # Its people still read it; another institution's people do not.
    login(client, "rspon-tim-humas")
    assert client.get("/sop/rspon-medsos/").status_code == 200
    client.post("/accounts/logout/")
    login(client, "poltekkes-jkt2-anggota")
    assert client.get("/sop/rspon-medsos/").status_code == 404
    # The administrator chooses on the SOP's lanes page.
    client.post("/accounts/logout/")
    login(client, "rspon-admin")
    client.post("/institution/lanes/rspon-medsos/", {"public": "1"})
    client.post("/accounts/logout/")
    assert client.get("/sop/rspon-medsos/").status_code == 200
