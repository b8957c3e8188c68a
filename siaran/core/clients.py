"""Who a request comes from: the client's address, through the proxies the deployment
trusts and no others.

Behind a reverse proxy (nginx) every request has the proxy's address; the client's is in
X-Forwarded-For, which anyone can also write. Only the entries added by the proxies named
in SIARAN_TRUSTED_PROXIES count: read from the right, the first address that is not a
trusted proxy is the client. Without trusted proxies the header is ignored.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.SIARAN_TRUSTED_PROXIES)))


def client_ip(request) -> str:
    """The client's address, as the lockout and the audit log know it."""
    if request is None:
        return ""
    address = request.META.get("REMOTE_ADDR", "") or ""
    if not _is_trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_trusted(hop):
            return hop
        address = hop
    return address
