"""An institution administrator manages people, lane seats and acting officials."""

import pytest

from siaran.orgs.models import Acting, LaneMember, Person
from siaran.orgs.selectors import lanes_of
from tests.test_pages import login


@pytest.mark.django_db
def test_only_administrators_reach_the_institution_pages(client, demo):
    login(client, "rspon-direksi")
    assert client.get("/institution/people/").status_code == 403


@pytest.mark.django_db
def test_administrator_adds_a_person_and_seats_them(client, demo):
    login(client, "rspon-admin")
    response = client.post(
        "/institution/people/",
        {
            "username": "rspon-humas2",
            "name": "Rina Marlina",
            "password": "kata-sandi-panjang",
            "nip": "19850101 201001 2 003",
            "title": "Pranata Humas",
            "unit": "Humas",
        },
    )
    assert response.status_code == 302
    rina = Person.objects.get(user__username="rspon-humas2")
    assert rina.nip == "198501012010012003" and rina.organization.slug == "rspon"
    bad = client.post(
        "/institution/people/", {"username": "x", "name": "X", "password": "short"}, follow=True
    )
    assert "10 karakter" in bad.content.decode() or "10 characters" in bad.content.decode()
    seats = [
        f"{pk}:{lane}"
        for pk, lane in LaneMember.objects.filter(org_sop__sop_id="rspon-medsos").values_list(
            "person_id", "lane_id"
        )
    ]
    client.post("/institution/lanes/rspon-medsos/", {"seat": [*seats, f"{rina.pk}:tim-humas"]})
    assert lanes_of(rina, "rspon-medsos") == {"tim-humas": None}
    foreign = Person.objects.get(user__username="poltekkes-jkt2-anggota")
    client.post("/institution/lanes/rspon-medsos/", {"seat": [*seats, f"{foreign.pk}:tim-humas"]})
    assert lanes_of(foreign, "rspon-medsos") == {}


@pytest.mark.django_db
def test_administrator_records_an_acting_official(client, demo):
    import datetime as dt

    login(client, "rspon-admin")
    director = Person.objects.get(user__username="rspon-direksi")
    deputy = Person.objects.get(user__username="rspon-koordinator-umum")
    today = dt.date.today()
    client.post(
        "/institution/acting/",
        {
            "person": deputy.pk,
            "for_person": director.pk,
            "kind": "plh",
            "starts": today.isoformat(),
            "ends": (today + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert Acting.objects.filter(person=deputy, for_person=director).exists()
    assert lanes_of(deputy, "rspon-medsos")["direksi"] == director
