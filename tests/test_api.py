"""REST API v1, spoken to as another program would."""

import pytest

from siaran.cases.models import Case
from tests.publishing import screenshot

PASSWORD = "siaran-demo-2026"


def token(client, username: str) -> dict:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def post(client, url, data, auth, **extra):
    return client.post(url, data, content_type="application/json", **auth, **extra)


@pytest.mark.django_db
def test_a_case_from_start_to_publication_with_a_rejection(client, demo):
    auth = {
        lane: token(client, f"rspon-{lane}")
        for lane in (
            "unit-kerja",
            "ipkp",
            "subkoor-humas",
            "tim-humas",
            "koordinator-umum",
            "direksi",
        )
    }
    sops = client.get("/api/v1/sops", **auth["unit-kerja"]).json()
    assert [s["id"] for s in sops] == ["rspon-medsos"]
    created = post(
        client,
        "/api/v1/cases",
        # Text alone, for the channels that take it (Instagram needs an image, YouTube a
        # video: their reviews would refuse it, test_media.py).
        {"sop": "rspon-medsos", "title": "Seminar Awam", "channels": ["facebook", "x"]},
        auth["unit-kerja"],
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["status"] == "active" and case["step"]["id"] == "request"
    assert case["step"]["kind"] == "task"
    assert case["step"]["outcomes"] == [
        {"id": "done", "label": "done", "next": "produce", "back": False}
    ]
    url = f"/api/v1/cases/{case['id']}"
    said_no = False
    for _ in range(20):
        case = client.get(url, **auth["unit-kerja"]).json()
        step = case["step"]
        if step is None:
            break
        if case["status"] == "publishing":  # each channel posted by hand (test_publishing.py)
            for publication in case["publications"]:
                done = client.post(
                    f"{url}/publications/{publication['channel']}/done",
                    {"permalink": "https://example.org/post/1", "screenshot": screenshot()},
                    **auth[step["lane"]],
                )
                assert done.status_code == 200, done.content
            continue
        if step["id"] == "director-review" and not said_no:
            back = [o for o in step["outcomes"] if o["back"]]
            assert back == [{"id": "tidak", "label": "Tidak", "next": "edit", "back": True}]
            body, said_no = {"outcome": "tidak", "note": "Logo salah"}, True
        else:
            body = {"outcome": step["outcomes"][0]["id"]}
        tasks = client.get("/api/v1/tasks", **auth[step["lane"]]).json()
        assert any(t["case"] == case["id"] and t["step"] == step["id"] for t in tasks)
        response = post(client, f"{url}/actions", body, auth[step["lane"]])
        assert response.status_code == 200, response.content
    assert case["status"] == "published" and case["rework_count"] == 1
    assert case["step"] is None
    kinds = [event["kind"] for event in case["timeline"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_ended"
    assert "sent_back" in kinds


@pytest.mark.django_db
def test_errors_are_json_in_the_requests_language(client, demo):
    assert client.get("/api/v1/cases").status_code == 401
    response = client.get(
        "/api/v1/cases", HTTP_AUTHORIZATION="Bearer wrong", HTTP_ACCEPT_LANGUAGE="id"
    )
    assert response.status_code == 401 and "token" in response.json()["detail"]
    bad = client.post(
        "/api/v1/auth/token",
        {"username": "rspon-direksi", "password": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    humas = token(client, "rspon-tim-humas")
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    url = f"/api/v1/cases/{case.pk}/actions"
    forbidden = post(client, url, {"outcome": "ya"}, humas, HTTP_ACCEPT_LANGUAGE="id")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "not_your_lane"
    assert "Anda bukan pelaksana" in forbidden.json()["detail"]
    english = post(client, url, {"outcome": "ya"}, humas, HTTP_ACCEPT_LANGUAGE="en")
    assert "you are not in that lane" in english.json()["detail"]
    director = token(client, "rspon-direksi")
    assert post(client, url, {"outcome": "tidak"}, director).status_code == 422
    assert post(client, url, {"note": "no outcome"}, director).status_code == 422
    broken = client.post(
        url, "{not json", content_type="application/json", **director, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert broken.status_code == 422 and broken.json()["detail"] == "Permintaan tidak sah."
    other = token(client, "poltekkes-jkt2-pengarah")
    assert client.get(f"/api/v1/cases/{case.pk}", **other).status_code == 404
    assert client.get("/api/v1/cases/999999", **director).status_code == 404
    run = client.get(f"/api/v1/cases/{case.pk}", **director).json()["step"]["run"]
    assert post(client, url, {"outcome": "ya", "run": run}, director).status_code == 200
    conflict = post(client, url, {"outcome": "ya", "run": run}, director)
    assert conflict.status_code == 409 and conflict.json()["code"] == "moved_on"


@pytest.mark.django_db
def test_uploads_are_checked_by_content(client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")  # at "edit"
    humas = token(client, "rspon-tim-humas")
    url = f"/api/v1/cases/{case.pk}/attachments"
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (1, 1)).save(buffer, "PNG")  # a whole picture: every pixel decodes
    png = buffer.getvalue()
    ok = client.post(url, {"file": SimpleUploadedFile("../../etc/poster.exe", png)}, **humas)
    assert ok.status_code == 201, ok.content
    assert ok.json()["kind"] == "image" and ok.json()["name"] == "poster.exe"
    assert ok.json()["content_type"] == "image/png"
    stored = case.attachments.get(pk=ok.json()["id"])
    assert stored.file.name.endswith(".png") and "etc" not in stored.file.name
    fake = client.post(
        url, {"file": SimpleUploadedFile("poster.png", b"MZ\x90\x00not an image")}, **humas
    )
    assert fake.status_code == 422 and fake.json()["code"] == "file_type"
    director = token(client, "rspon-direksi")
    late = client.post(url, {"file": SimpleUploadedFile("p.png", png)}, **director)
    assert late.status_code == 403


@pytest.mark.django_db
def test_openapi_and_docs_are_served_locally(client, demo):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/cases/{case_id}/actions" in schema.json()["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower() and "swagger" in docs.lower()


@pytest.mark.django_db
def test_captions_respect_each_platforms_limit(client, demo):
    case = Case.objects.get(title="Video Edukasi Rehabilitasi Pasca Stroke")  # at "edit"
    humas = token(client, "rspon-tim-humas")
    url = f"/api/v1/cases/{case.pk}/content"
    ok = client.put(
        url,
        {"title": "Video", "captions": {"x": "a" * 280}},
        content_type="application/json",
        **humas,
    )
    assert ok.status_code == 200 and ok.json()["captions"] == {"x": "a" * 280}
    long = client.put(
        url,
        {"title": "Video", "captions": {"x": "a" * 281}},
        content_type="application/json",
        **humas,
    )
    assert long.status_code == 422 and long.json()["code"] == "caption_too_long"


@pytest.mark.django_db
def test_the_task_list_reads_each_task_in_the_same_statement(client, demo):
    """run, lane and claimed_by come with the task, not from a query per task."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from siaran.cases import actions

    humas = demo["rspon-tim-humas"]
    auth = token(client, "rspon-tim-humas")
    first = client.get("/api/v1/tasks", **auth).json()[0]
    actions.step_claim(person=humas, case_id=first["case"])
    with CaptureQueriesContext(connection) as queries:
        tasks = client.get("/api/v1/tasks", **auth).json()
    mine = next(t for t in tasks if t["case"] == first["case"])
    case = Case.objects.get(pk=mine["case"])
    assert mine["claimed_by"] == "rspon-tim-humas" and mine["lane"] == "tim-humas"
    assert mine["run"] == case.lock_version and mine["started_at"]
    assert len(queries) <= 3, [q["sql"][:60] for q in queries]
