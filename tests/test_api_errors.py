"""Every error of the API is JSON {detail, code}, whoever answers (issue 17, finding 9),
and a file name that cleans to nothing or runs long is kept usable."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaran.cases.models import Case
from tests.test_api import token


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert body["code"] == code and body["detail"], body
    return body


@pytest.mark.django_db
def test_errors_made_before_the_api_are_json_too(client, demo, settings):
    auth = token(client, "rspon-tim-humas")
    answer = client.delete("/api/v1/cases", **auth)
    error(answer, 405, "method_not_allowed")
    assert "GET" in answer["Allow"]
    error(client.get("/api/v1/tidak-ada", **auth), 404, "not_found")
    # A multipart body without its boundary.
    broken = client.generic(
        "POST", "/api/v1/cases/1/attachments", b"--x\r\n", "multipart/form-data", **auth
    )
    error(broken, 400, "invalid")
    # A body over Django's limit for what it reads into memory.
    big = b'{"title": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    too_large = client.generic("PUT", "/api/v1/cases/1/content", big, "application/json", **auth)
    error(too_large, 413, "too_large")
    # A login locked out after repeated failures.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/api/v1/auth/token",
            {"username": "rspon-direksi", "password": "salah"},
            content_type="application/json",
        )
    locked = client.post(
        "/api/v1/auth/token",
        {"username": "rspon-direksi", "password": "x"},
        content_type="application/json",
    )
    assert locked.status_code in (401, 429)
    assert locked["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "kept"),
    [("()", "file.pdf"), (":", "file.pdf"), ("a" * 1000 + ".pdf", "a" * 196 + ".pdf")],
)
def test_a_file_name_that_cleans_to_nothing_or_runs_long_is_kept_usable(client, demo, sent, kept):
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    director = token(client, "rspon-direksi")  # the case waits at the director's review
    letter = SimpleUploadedFile(sent, b"%PDF-1.4\n%%EOF\n", "application/pdf")
    answer = client.post(f"/api/v1/cases/{case.pk}/attachments", {"file": letter}, **director)
    assert answer.status_code == 201, answer.content
    assert case.attachments.order_by("-pk").first().name == kept
