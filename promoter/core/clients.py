"""Who is calling: the client's address as far as the operator's proxies can be trusted."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the caller's address, trusting ``X-Forwarded-For`` only behind known proxies.

    With ``TRUSTED_PROXY_COUNT`` = n, the n-th address from the right of X-Forwarded-For is the
    client (each trusted proxy appends the address it saw); anything left of it is spoofable.
    """
    proxies: int = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h]
    if len(hops) >= proxies:
        return hops[-proxies]
    return hops[0] if hops else remote
