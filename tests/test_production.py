"""Production serving: health checks, Siaran's own error pages, and `siaran serve`."""

import os
import socket
import subprocess
import time

import httpx
import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation

from tests.conftest import ROOT
from tests.test_commands import SIARAN


@pytest.fixture
def production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_database_tasks_and_media(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "tasks", "media"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_says_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"].startswith("The database does not answer")
    assert "Connection refused" in body["checks"]["database"]["error"]
    assert body["checks"]["media"]["ok"] is True


@pytest.mark.django_db
def test_readyz_says_when_media_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    media = response.json()["checks"]["media"]
    assert media["ok"] is False and media["error"].startswith("Uploaded files cannot be written")
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_health_checks_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"),
    [("id", "Laman tidak ditemukan"), ("en", "Page not found")],
)
def test_404_is_siarans_page_in_the_readers_language(client, production, language, title):
    client.cookies["django_language"] = language
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<h1 class="h4">{title}</h1>' in html
    assert "bootstrap.min.css" in html and "Siaran" in html


@pytest.mark.django_db
def test_403_is_siarans_page(client, production, demo):
    client.force_login(demo["rspon-tim-humas"].user)  # not an administrator
    response = client.get("/institution/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Tidak diizinkan" in html
    assert "Hanya administrator instansi Anda yang dapat melakukan ini." in html  # the reason


@pytest.mark.django_db
def test_500_is_siarans_page_and_needs_no_database(client, production, monkeypatch):
    from siaran.core import views

    def broken(request, sop_id):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "readable", broken)
    client.raise_request_exception = False
    client.cookies["django_language"] = "en"
    response = client.get("/sop/rspon-medsos/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_500_page_touches_neither_the_person_nor_the_database():
    from django.utils.functional import SimpleLazyObject

    from siaran.core.views import server_error

    def untouchable():
        raise AssertionError("the 500 page asked for the person")

    request = RequestFactory().get("/somewhere/")
    request.user = SimpleLazyObject(untouchable)
    request.session = SimpleLazyObject(untouchable)
    with translation.override("id"):
        response = server_error(request)  # no database access: no django_db mark here
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.content.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_siaran_serve_runs_gunicorn_with_hashed_static_files(tmp_path):
    port = _free_port()
    env = {**os.environ, "SIARAN_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    subprocess.run([SIARAN, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)
    server = subprocess.Popen(
        [SIARAN, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        web = httpx.Client(base_url=base, timeout=30)
        for _ in range(240):
            try:
                assert web.get("/healthz").status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("siaran serve did not answer in 120 s")
        page = web.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"}).text
        stylesheet = page.split('href="/static/siaran.', 1)[1].split('"', 1)[0]
        assert stylesheet.endswith(".css") and len(stylesheet) == len("0123456789ab.css")
        https = {"X-Forwarded-Proto": "https"}
        answer = web.get(
            f"/static/siaran.{stylesheet}", headers={**https, "Accept-Encoding": "gzip"}
        )
        assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in answer.headers["Cache-Control"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "gunicorn" in output.lower() or "Booting worker" in output


def test_the_systemd_units_are_valid(tmp_path):
    """Every unit of deploy/systemd, as systemd reads it: a misspelt key or a wrong value is
    only a warning to systemd, so any output fails here."""
    import shutil

    from tests.conftest import need

    need(shutil.which("systemd-analyze") is not None, "systemd-analyze (systemd) is missing")
    units = sorted((ROOT / "deploy" / "systemd").iterdir())
    names = {unit.name for unit in units}
    assert {"siaran-web.service", "siaran-worker.service", "siaran-backup.timer"} <= names
    for unit in units:  # each timer starts its own service
        if unit.suffix == ".timer":
            assert unit.with_suffix(".service").name in names
        # the installed command is where the units say; here, this checkout's
        text = unit.read_text().replace("/srv/siaran/.venv/bin/siaran", SIARAN)
        (tmp_path / unit.name).write_text(text)
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
