import os
import re
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.test_commands import SIARAN


@pytest.mark.usefixtures("public_sops")
def test_home_lists_the_sops_in_indonesian(client):
    page = client.get("/").content.decode()
    assert '<html lang="id">' in page
    assert "SOP publikasi konten" in page
    assert "Alur Pengunggahan Konten Promosi Pemasaran di Media Sosial RSPON" in page
    assert "Publikasi melalui Website dan Media Sosial" in page
    assert "Politeknik Kesehatan Kemenkes Jakarta II" in page
    assert "8 langkah" in page
    assert "22 September 2022" in page


@pytest.mark.usefixtures("public_sops")
def test_english_switch(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Content publication SOPs" in page
    assert "Publication via the website and social media" in page
    assert "8 steps" in page


@pytest.mark.usefixtures("public_sops")
def test_sop_page_reads_like_the_form(client):
    page = client.get("/sop/poltekkes-jkt2-publikasi/").content.decode()
    assert "OT.02.02/F.XXXIV/0764/2025" in page
    assert "197306131997032001" in page
    assert "Verifikator" in page and "Kasubbag Akademik/Umum" in page
    assert "Menyusun rencana konten publikasi" in page
    assert "Mutu baku" in page and "120 menit" in page
    assert page.count("Lembar pengesahan") >= 4


@pytest.mark.usefixtures("public_sops")
def test_unknown_sop_is_404(client):
    assert client.get("/sop/tidak-ada/").status_code == 404


@pytest.mark.usefixtures("public_sops")
def test_pages_load_nothing_from_elsewhere(client):
    for url in ("/", "/sop/rspon-medsos/"):
        page = client.get(url).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources
        assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
        assert 'name="viewport"' in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """Siaran as `make run` starts it: migrate, then the development server."""
    environment = {
        **os.environ,
        "SIARAN_DATA_DIR": str(tmp_path / "data"),
        "SIARAN_DEBUG": "1",
        "DATABASE_URL": "",  # the embedded default, as a newcomer gets it
    }
    subprocess.run(
        [SIARAN, "migrate", "--noinput"],
        env=environment,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    process = subprocess.Popen(
        [SIARAN, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=environment,
        cwd=ROOT,
        stdout=(tmp_path / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_running_server_serves_pages_and_its_own_front_end_files(server):
    with urllib.request.urlopen(server + "/", timeout=10) as response:  # noqa: S310
        page = response.read().decode()
    assert "Siaran" in page  # a fresh install: no institution has published an SOP yet
    css = re.search(r'href="([^"]*bootstrap\.min\.css)"', page).group(1)
    with urllib.request.urlopen(server + css, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert b"Bootstrap" in response.read(400)


@pytest.mark.usefixtures("public_sops")
def test_indonesian_even_when_the_browser_asks_for_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "SOP publikasi konten" in page
    client.cookies["django_language"] = "xx"  # a stale or forged cookie changes nothing
    assert "SOP publikasi konten" in client.get("/").content.decode()
