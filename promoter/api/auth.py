"""API-key authentication of the public REST API: ``Authorization: Bearer sk_…``, or HTTP
Basic with the key as the user name (what Zapier's "API key" authentication sends)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from promoter.accounts.models import ApiKey
from promoter.accounts.services import api_key_authenticate, api_key_touch
from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def key_from(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        user, _, password = decoded.partition(":")
        return user or password
    return ""


def authenticate(request: HttpRequest) -> ApiKey:
    """Return the request's live API key, or raise 401 (403 for a write with a read-only
    key). When the call succeeds, :class:`LastUsedMiddleware` records that the key was used."""
    key = key_from(request)
    if text_problem(key):  # a NUL cannot name a key, and the database would refuse it
        key = ""
    api_key = api_key_authenticate(key=key) if key else None
    if api_key is None:
        raise ApplicationError(
            code="unauthenticated",
            detail="Send a project API key: Authorization: Bearer sk_…",
            status=401,
        )
    if api_key.read_only and request.method not in SAFE_METHODS:
        raise ApplicationError(code="read_only", detail="This API key can only read.", status=403)
    _rate_limit(api_key)
    request.api_key_used = api_key  # type: ignore[attr-defined]
    return api_key


class LastUsedMiddleware:
    """Record the API key's last use once its call succeeded: a refused call writes nothing
    (docs/security.md), not even the key's use."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        api_key = getattr(request, "api_key_used", None)
        if api_key is not None and response.status_code < 400:
            api_key_touch(api_key=api_key, now=timezone.now())
        return response


def _rate_limit(api_key: ApiKey) -> None:
    """Count a call by ``api_key``; raise 429 with Retry-After past the per-minute limit
    (a fixed window in the cache, shared by every process with REDIS_URL)."""
    limit: int = settings.API_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    counter = f"api:rl:{api_key.pk}:{window}"
    if cache.add(counter, 1, timeout=70):
        return
    try:
        calls = cache.incr(counter)
    except ValueError:
        return
    if calls > limit:
        raise ApplicationError(
            code="rate_limited",
            detail=f"More than {limit} calls a minute with this key: slow down.",
            status=429,
            retry_after=int(60 - now % 60) + 1,
        )


class ApiKeyAuth:
    """Ninja auth callable: the authenticated key, or an ApplicationError (401/403)."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        return authenticate(request)
