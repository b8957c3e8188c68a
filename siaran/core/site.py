"""The site's public address, for links that leave it: mails and approval sheets' QR codes."""

from django.conf import settings

DEVELOPMENT_URL = "http://127.0.0.1:8000"  # where `make run` serves


def site_url(request_base: str = "") -> str:
    """SIARAN_BASE_URL when set (a task worker has no request to read a host from), else
    the host of the request at hand, else the development server's."""
    return (settings.SIARAN_BASE_URL or request_base or DEVELOPMENT_URL).rstrip("/")
