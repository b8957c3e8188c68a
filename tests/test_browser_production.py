"""Siaran as deployed: deploy/nginx/siaran.conf with TLS in front of `siaran serve` with
debug off, and a browser that logs in through it and opens the inbox."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, need
from tests.test_browser import CHROMIUM_ARGS, PASSWORD
from tests.test_commands import SIARAN

SITE = ROOT / "deploy" / "nginx" / "siaran.conf"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, as a real one sits in the site file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


def _site(folder: Path, *, upstream: int, http: int, https: int) -> Path:
    """The deploy file with this machine's ports and certificate: every line it changes
    must be there, so that the file CI runs stays the file operators install."""
    chain, private = _certificate(folder)
    text = SITE.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http};\n"),
        ("    listen [::]:80;\n", ""),
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https}$request_uri;"),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/siaran.example.go.id/fullchain.pem", str(chain)),
        ("/etc/letsencrypt/live/siaran.example.go.id/privkey.pem", str(private)),
    ]:
        assert old in text, f"deploy/nginx/siaran.conf no longer has {old!r}"
        text = text.replace(old, new)
    (folder / "siaran.conf").write_text(text)
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/siaran.conf;
}}
"""
    )
    return main


def _wait(url: str, process: subprocess.Popen, what: str) -> None:
    for _ in range(240):
        if process.poll() is not None:
            pytest.fail(f"{what} stopped: {process.communicate()[0].decode()[-2000:]}")
        try:
            if httpx.get(url, verify=False, timeout=5).status_code == 200:  # noqa: S501
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} did not answer {url} in 120 s")


def test_a_person_logs_in_through_nginx_to_the_production_server(tmp_path):
    need(shutil.which("nginx") is not None, "nginx is not installed (apt-get install nginx)")
    need(shutil.which("chromium") is not None, "Debian's chromium is not installed")
    from playwright import sync_api

    data = tmp_path / "data"
    env = {
        **os.environ,
        "SIARAN_DATA_DIR": str(data),
        "DATABASE_URL": "",
        "SIARAN_DEBUG": "0",
        "SIARAN_ALLOWED_HOSTS": "localhost",
    }
    for args in (["migrate", "--noinput", "-v", "0"], ["demo", "--no-history"]):
        done = subprocess.run([SIARAN, *args], env=env, cwd=ROOT, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
    upstream, http, https = _free_port(), _free_port(), _free_port()
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    config = _site(nginx_dir, upstream=upstream, http=http, https=https)
    started = []
    try:
        serve = subprocess.Popen(
            [SIARAN, "serve", "--port", str(upstream), "--workers", "1", "--threads", "4"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(serve)
        nginx = subprocess.Popen(
            [shutil.which("nginx"), "-c", str(config), "-p", str(nginx_dir), "-e", "stderr"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(nginx)
        _wait(f"https://localhost:{https}/healthz", serve, "siaran serve behind nginx")
        ready = httpx.get(f"https://localhost:{https}/readyz", verify=False)  # noqa: S501
        assert ready.status_code == 200 and ready.json()["status"] == "ready"

        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            page = browser.new_context(ignore_https_errors=True).new_page()
            # Plain HTTP is sent to HTTPS by nginx, then to the login page by Siaran.
            page.goto(f"http://localhost:{http}/tasks/")
            assert page.url.startswith(f"https://localhost:{https}/accounts/login/")
            page.fill("input[name=login]", "rspon-admin")
            page.fill("input[name=password]", PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(f"https://localhost:{https}/tasks/")
            assert page.get_by_role("heading", level=1).first.is_visible()
            # The stylesheet under its hashed name, loaded through nginx.
            sheet = page.locator("link[rel=stylesheet]").nth(1).get_attribute("href")
            assert sheet.startswith("/static/siaran.") and sheet.count(".") == 2
            assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
            missing = page.goto(f"https://localhost:{https}/no/such/page/")
            assert missing.status == 404
            assert page.get_by_role("heading", name="Laman tidak ditemukan").is_visible()
            browser.close()
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
