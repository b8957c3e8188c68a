"""Static files: served by WhiteNoise, the vendored ones gzipped from the copy beside them."""

import gzip

import pytest

from tests.conftest import ROOT

VENDOR = ROOT / "siaran" / "static" / "vendor"


def test_every_compressed_copy_is_its_file():
    """A vendored file updated without its .gz would be served stale to every browser
    that accepts gzip. Refresh: python -m whitenoise.compress --no-brotli siaran/static/vendor"""
    copies = sorted(VENDOR.rglob("*.gz"))
    assert {c.with_suffix("").name for c in copies} >= {
        "bootstrap.min.css",
        "bootstrap.bundle.min.js",
        "chart.umd.min.js",
    }
    for copy in copies:
        assert gzip.decompress(copy.read_bytes()) == copy.with_suffix("").read_bytes(), copy


@pytest.mark.django_db
def test_the_stylesheet_goes_out_gzipped_to_a_browser_that_takes_it(client):
    path = "/static/vendor/bootstrap/bootstrap.min.css"
    plain = client.get(path)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    zipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped.status_code == 200 and zipped["Content-Encoding"] == "gzip"
    body = b"".join(zipped.streaming_content)
    assert gzip.decompress(body) == b"".join(plain.streaming_content)
    assert len(body) < 40_000
