"""The pages people use every day, through Django's test client."""

import re

import pytest
from django.test import Client

from siaran.cases.models import Case

PASSWORD = "siaran-demo-2026"


def login(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
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
    run = re.search(r'name="run" value="(\d+)"', page).group(1)
    no_reason = client.post(
        f"/cases/{case.pk}/decide/", {"outcome": "tidak", "run": run}, follow=True
    )
    assert "memerlukan catatan" in no_reason.content.decode()
    client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya", "run": run})
    case.refresh_from_db()
    assert case.current_step == "upload"
    again = client.post(f"/cases/{case.pk}/decide/", {"outcome": "ya", "run": run}, follow=True)
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
            "/accounts/login/", {"username": "rspon-direksi", "password": PASSWORD}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "rspon-direksi", "password": "salah"})
    locked = client.post("/accounts/login/", {"username": "rspon-direksi", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Terlalu banyak" in locked.content.decode()
