"""A lockout ends when it said it would, whatever is tried meanwhile, and it locks the
client, not the proxy in front of Siaran (issue 17, finding 7)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.test_pages import PASSWORD

WRONG = {"login": "rspon-direksi", "password": "salah"}
RIGHT = {"login": "rspon-direksi", "password": PASSWORD}


def lock(client, settings, **extra):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", WRONG, **extra)


@pytest.mark.django_db
def test_trying_during_a_lockout_does_not_make_it_longer(client, demo, settings):
    start = timezone.now()
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    with time_machine.travel(start, tick=False):
        lock(client, settings)
    # Halfway, and again just before the end: still locked, the right password too.
    for moment in (start + cool_off / 2, start + cool_off - dt.timedelta(seconds=30)):
        with time_machine.travel(moment, tick=False):
            assert client.post("/accounts/login/", RIGHT).status_code == 429
            client.post("/accounts/login/", WRONG)
    with time_machine.travel(start + cool_off + dt.timedelta(minutes=1), tick=False):
        assert client.post("/accounts/login/", RIGHT).status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_client_is_locked_not_the_proxy(client, demo, settings):
    settings.SIARAN_TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    director = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    lock(client, settings, **attacker)
    assert client.post("/accounts/login/", RIGHT, **attacker).status_code == 429
    assert client.post("/accounts/login/", RIGHT, **director).status_code == 302


@pytest.mark.django_db
def test_a_forwarded_address_from_an_untrusted_client_is_ignored(client, demo, settings):
    settings.SIARAN_TRUSTED_PROXIES = []
    lock(client, settings, HTTP_X_FORWARDED_FOR="203.0.113.9")
    # Writing another address in the header does not get round the lockout.
    spoofed = client.post("/accounts/login/", RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert spoofed.status_code == 429
