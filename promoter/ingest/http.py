"""The public edge of the ingest API: CORS, the body cap, client addresses and rate limits.

These run around every ``/i/v1/`` view, before Django reads the body, so an oversized or
pre-flight request costs no parsing and no database query.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from promoter.core.errors import ApplicationError
from promoter.core.inputs import body_too_large
from promoter.core.ninja import error_response

ALLOW_METHODS = "GET, POST, PATCH, OPTIONS"
ALLOW_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "86400"


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """Return whether a browser at ``origin`` may call the API of a project allowing
    ``allowed`` (an empty list allows every origin)."""
    if not allowed:
        return True
    origin = origin.rstrip("/").lower()
    return any(origin == entry.rstrip("/").lower() for entry in allowed)


def check_origin(request: HttpRequest, allowed: Sequence[str]) -> None:
    """Raise unless the request's ``Origin`` (when a browser sent one) is allowed."""
    origin = request.headers.get("Origin")
    if origin and not origin_allowed(origin, allowed):
        request.promoter_origin_refused = True  # type: ignore[attr-defined]
        raise ApplicationError(
            code="origin_not_allowed",
            detail=f"{origin} is not an allowed origin of this project (Settings → Install).",
            fields={"origin": "not allowed"},
            status=403,
        )


def rate_limit(*, key: str, address: str) -> None:
    """Count a call by ``address`` with project ``key``; raise when over the limit.

    A fixed one-minute window in the cache (Redis when configured: shared by every process).
    """
    limit: int = settings.INGEST_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return
    window = int(time.time() // 60)
    counter = f"ingest:rl:{key}:{address}:{window}"
    if cache.add(counter, 1, timeout=70):
        return
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=70)
        return
    if count > limit:
        retry_after = 60 - int(time.time() % 60)
        error = ApplicationError(
            code="rate_limited",
            detail=f"More than {limit} calls a minute from this address; retry in {retry_after} s.",
            status=429,
        )
        error.retry_after = retry_after
        raise error


def _cors(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    origin = request.headers.get("Origin")
    if origin and not getattr(request, "promoter_origin_refused", False):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def edge(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap an ingest view with pre-flight answers, the body cap and CORS headers.

    The real origin check needs the project's settings, so the view makes it; a pre-flight
    (which carries no body, hence no key) is answered for any origin, and the actual request
    from a refused origin then fails with 403 and stores nothing.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            return _cors(request, response)
        cap: int = settings.INGEST_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > cap:
            return _cors(request, error_response(body_too_large(length=length, limit=cap)))
        return _cors(request, view(request, *args, **kwargs))

    return wrapped
