import os
from pathlib import Path

import pytest

from siaran.sop.registry import BUILTIN_DIR, load_catalog

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip a test whose dependency is absent on a developer's machine; fail it in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def builtin():
    catalog = load_catalog()
    assert catalog.problems == []
    return catalog.sops


@pytest.fixture(scope="session")
def rspon(builtin):
    return builtin["rspon-medsos"]


@pytest.fixture(scope="session")
def poltekkes(builtin):
    return builtin["poltekkes-jkt2-publikasi"]


@pytest.fixture
def rspon_text() -> str:
    return (BUILTIN_DIR / "rspon-medsos.yaml").read_text(encoding="utf-8")


@pytest.fixture
def poltekkes_text() -> str:
    return (BUILTIN_DIR / "poltekkes-jkt2-publikasi.yaml").read_text(encoding="utf-8")


# `HYPOTHESIS_PROFILE=deep make test` searches ten times longer before a release.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("default", max_examples=250)
hypothesis_settings.register_profile("deep", max_examples=5000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """Production settings redirect to HTTPS; the test client speaks plain HTTP."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _fast_passwords_and_own_files(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps its rate limits and the TOTP codes already used in the cache: each
    test starts with none, as the tests share one process."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def demo(db):
    """Both institutions with one person per lane and the demo cases (`siaran demo`),
    without the months of finished history the reports show (tests/test_reports.py)."""
    from django.core.management import call_command

    from siaran.orgs.models import Person

    call_command("demo", "--no-history", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {p.user.username: p for p in Person.objects.select_related("user", "organization")}


def second_verifier(organization):
    """A second person in Poltekkes' Verifikator lane (Kasubbag Umum beside Akademik)."""
    from siaran.orgs import actions as org_actions

    person = org_actions.person_ensure(
        organization=organization, username="kasubbag-umum", name="Kasubbag Umum", password="x"
    )
    org_actions.lane_assign(person=person, sop_id="poltekkes-jkt2-publikasi", lane_id="verifikator")
    return person


@pytest.fixture(autouse=True)
def _no_content_security_policy_violation(request):
    """Every browser test runs under Siaran's Content-Security-Policy: a page that needs
    something the policy refuses (an inline script, a foreign style sheet) fails it. The
    browser reports each refusal to /csp-report/, which logs it."""
    if "browser" not in request.fixturenames:
        yield
        return
    caplog = request.getfixturevalue("caplog")
    yield
    refused = [
        record.getMessage()
        for record in caplog.records
        if "Content-Security-Policy violation" in record.getMessage()
    ]
    assert not refused, refused


@pytest.fixture
def public_sops(db):
    """An institution that runs both shipped SOPs and has made their pages public: SOP
    pages are open only where an institution chooses (siaran.core.views.readable)."""
    from siaran.orgs.models import Organization, OrgSop

    organization = Organization.objects.create(slug="publik", name="Instansi Publik")
    for sop_id in ("rspon-medsos", "poltekkes-jkt2-publikasi"):
        OrgSop.objects.create(organization=organization, sop_id=sop_id, public=True)
