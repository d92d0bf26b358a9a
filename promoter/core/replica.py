"""Read replicas: the analytics selectors read from one when ``DATABASE_REPLICA_URL`` is set.

The setting adds the ``replica`` database alias, :class:`ReplicaRouter` and
:class:`ReplicaPinMiddleware` (promoter/settings.py). The router sends a read to the replica
only when all of these hold, and everything else, every write above all, to the primary
(``default``):

- the read runs inside :func:`replica_reads` (the analytics selectors: aggregates over many
  rows, where a second or two of replication lag is harmless);
- the primary connection is not inside a transaction (a read there may have to see the
  transaction's own, uncommitted writes);
- the request is not pinned to the primary: a request that writes (any method but GET, HEAD,
  OPTIONS, TRACE) is pinned, and so, for ``DATABASE_REPLICA_PIN_SECONDS`` after it, are the
  requests of the same browser (a cookie, set only for a signed-in session) and of the same
  API key (an entry in the cache, shared by every app process through Redis). So the page a
  form post redirects to, and the metrics an API client reads just after writing, include the
  write whatever the replica's lag.

The ingest API and every service read the primary: none of their reads are replica reads.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponseBase

REPLICA = "replica"
PIN_COOKIE = "promoter_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_replica_ok: ContextVar[bool] = ContextVar("promoter_replica_ok", default=False)
_pinned: ContextVar[bool] = ContextVar("promoter_replica_pinned", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_reads(func: Callable[P, R]) -> Callable[P, R]:
    """Let the reads ``func`` makes go to the replica (when one is configured and nothing pins
    this request to the primary).

    Only for functions that evaluate their queries before returning: a QuerySet returned
    unevaluated would be routed when it runs, outside this scope, and a caller might write
    through it.
    """

    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _replica_ok.set(True)
        try:
            return func(*args, **kwargs)
        finally:
            _replica_ok.reset(token)

    return wrapped


@contextlib.contextmanager
def primary_reads() -> Iterator[None]:
    """Send every read inside the block to the primary, replica reads included."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def read_alias() -> str:
    """Return the alias a replica read would use here and now (``replica`` or ``default``)."""
    if not _replica_ok.get() or _pinned.get():
        return DEFAULT_DB_ALIAS
    if REPLICA not in connections.settings:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    """Replica reads to ``replica`` (see the module's docstring), everything else to the
    primary; migrations run on the primary only (the replica copies its schema)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def _pin_key(authorization: str) -> str:
    digest = hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()
    return f"replica:pin:{digest[:32]}"


class ReplicaPinMiddleware:
    """Pin a request to the primary when it writes, or when its browser or API key wrote
    within ``DATABASE_REPLICA_PIN_SECONDS``; remember a write for the next requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds: int = settings.DATABASE_REPLICA_PIN_SECONDS
        writes = request.method not in SAFE_METHODS
        authorization = request.headers.get("Authorization", "")
        pinned = writes or PIN_COOKIE in request.COOKIES
        if not pinned and authorization and seconds > 0:
            pinned = cache.get(_pin_key(authorization)) is not None
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writes and seconds > 0:
            if authorization:
                cache.set(_pin_key(authorization), 1, timeout=seconds)
            elif self._signed_in(request, response):
                response.set_cookie(
                    PIN_COOKIE,
                    "1",
                    max_age=seconds,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response

    @staticmethod
    def _signed_in(request: HttpRequest, response: HttpResponseBase) -> bool:
        # Only a dashboard session gets the cookie: the public widget and survey pages stay
        # cookie-free, and they read no replica data anyway.
        name = settings.SESSION_COOKIE_NAME
        return name in request.COOKIES or name in response.cookies
