"""API tokens end with the password, can be listed and revoked, and are capped per person
(issue 17, finding 4)."""

import pytest

from siaran.api.models import TOKENS_PER_PERSON, ApiToken
from tests.test_api import token


def mine(client, auth) -> list[dict]:
    response = client.get("/api/v1/auth/tokens", **auth)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_a_new_password_ends_every_token(client, demo):
    auth = token(client, "rspon-tim-humas")
    assert client.get("/api/v1/cases", **auth).status_code == 200
    user = demo["rspon-tim-humas"].user
    user.set_password("kata-sandi-baru-2026")
    user.save()
    assert client.get("/api/v1/cases", **auth).status_code == 401


@pytest.mark.django_db
def test_a_token_is_revoked_by_its_owner_or_an_administrator(client, demo):
    auth = token(client, "rspon-tim-humas")
    other = token(client, "rspon-tim-humas")
    rows = mine(client, auth)
    # Newest first; the older one was used by this very request, the newer never.
    assert [row["last_used_at"] is None for row in rows] == [True, False]
    # Logging out a script: the token it came with.
    assert client.delete("/api/v1/auth/token", **auth).status_code == 204
    assert client.get("/api/v1/cases", **auth).status_code == 401
    # A colleague without administration cannot revoke it; the administrator can.
    (row,) = mine(client, other)
    colleague = token(client, "rspon-direksi")
    answer = client.delete(f"/api/v1/auth/tokens/{row['id']}", **colleague)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    admin = token(client, "rspon-admin")
    assert client.delete(f"/api/v1/auth/tokens/{row['id']}", **admin).status_code == 204
    assert client.get("/api/v1/cases", **other).status_code == 401


@pytest.mark.django_db
def test_thirty_logins_leave_the_cap_of_tokens(client, demo):
    auths = [token(client, "rspon-tim-humas") for _ in range(30)]
    person = demo["rspon-tim-humas"]
    assert ApiToken.objects.filter(person=person).count() == TOKENS_PER_PERSON
    assert client.get("/api/v1/cases", **auths[-1]).status_code == 200
    assert client.get("/api/v1/cases", **auths[0]).status_code == 401  # the oldest went


@pytest.mark.django_db
def test_the_token_pages(client, demo):
    auth = token(client, "rspon-tim-humas")
    client.get("/api/v1/cases", **auth)
    client.force_login(demo["rspon-tim-humas"].user)
    page = client.get("/settings/tokens/").content.decode()
    row = ApiToken.objects.get(person=demo["rspon-tim-humas"])
    assert f'name="token" value="{row.pk}"' in page
    # Not an administrator: the institution's list is closed.
    assert client.get("/institution/tokens/").status_code == 403
    client.force_login(demo["rspon-admin"].user)
    page = client.get("/institution/tokens/").content.decode()
    assert demo["rspon-tim-humas"].name in page
    client.post("/tokens/revoke/", {"token": row.pk, "back": "institution"})
    assert not ApiToken.objects.filter(pk=row.pk).exists()
    assert client.get("/api/v1/cases", **auth).status_code == 401
