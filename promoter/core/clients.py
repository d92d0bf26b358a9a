"""Who is calling: the client's address as far as the operator's proxies can be trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the caller's address, trusting ``X-Forwarded-For`` only behind known proxies.

    With ``TRUSTED_PROXY_COUNT`` = n, the n-th address from the right of X-Forwarded-For is the
    client (each trusted proxy appends the address it saw); anything left of it is spoofable.
    """
    proxies: int = settings.TRUSTED_PROXY_COUNT
    remote = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    if proxies <= 0:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [h.strip() for h in forwarded.split(",") if h]
    if len(hops) >= proxies:
        return hops[-proxies]
    return hops[0] if hops else remote


def address_scope(address: str) -> str:
    """Return what a per-address count (rate limits, login lockouts) of ``address`` is kept
    under: an IPv4 address itself (also when written IPv4-mapped, ``::ffff:a.b.c.d``), the /64
    network of an IPv6 address, and anything that is not an IP address (``unknown``) as it is."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        # A /64 is the smallest network an ISP or cloud hands out: one host can use any of
        # its 2^64 addresses, so counting each address alone would never stop anyone.
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_scope(request: HttpRequest) -> str:
    """Return what the caller's per-address counts are kept under (:func:`address_scope` of
    :func:`client_address`)."""
    return address_scope(client_address(request))
