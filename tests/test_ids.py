"""An id no row can have answers 404 or is ignored, never a 500 (issue 17, finding 6)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.test_api import token

HUGE = "9" * 20  # beyond a 64-bit row id: hand-written SQL would overflow on it


def letter():
    return SimpleUploadedFile("surat.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")


@pytest.mark.django_db
def test_a_huge_id_in_an_address_is_no_page(client, demo):
    client.force_login(demo["rspon-tim-humas"].user)
    for path in ("decide", "comments", "content", "withdraw", "files", "media"):
        assert client.post(f"/cases/{HUGE}/{path}/").status_code == 404, path
    for path in ("claim", "release"):
        assert client.post(f"/tasks/{path}/", {"case": HUGE}).status_code == 404, path
    assert client.get(f"/cases/{HUGE}/").status_code == 404
    assert client.get("/cases/0/").status_code == 404


@pytest.mark.django_db
def test_a_huge_id_in_the_api_is_not_found(client, demo):
    auth = token(client, "rspon-tim-humas")
    answers = [
        client.post(f"/api/v1/cases/{HUGE}/actions", {"outcome": "ya"}, "application/json", **auth),
        client.put(f"/api/v1/cases/{HUGE}/content", {"title": "x"}, "application/json", **auth),
        client.post(f"/api/v1/cases/{HUGE}/attachments", {"file": letter()}, **auth),
        client.get(f"/api/v1/cases/{HUGE}", **auth),
        client.delete(f"/api/v1/cases/1/media/{HUGE}", **auth),
    ]
    for answer in answers:
        assert answer.status_code == 404, answer.content
        assert answer.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_huge_page_or_unit_is_ignored(client, demo):
    client.force_login(demo["rspon-tim-humas"].user)
    assert client.get(f"/notifications/?page={HUGE}").status_code == 200
    assert client.get(f"/tasks/?page={HUGE}&mine_page={HUGE}").status_code == 200
    assert client.get(f"/archive/?unit={HUGE}&page={HUGE}").status_code == 200
