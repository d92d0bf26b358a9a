"""Login rate limiting with lockout, per account and per client address (docs/security.md).

Failures are counted in the cache (Redis in production, shared by every app process) for
``LOGIN_LOCKOUT_SECONDS``; reaching ``LOGIN_FAILURES_PER_ACCOUNT`` for one e-mail, or
``LOGIN_FAILURES_PER_ADDRESS`` from one address, locks that account or address out for
``LOGIN_LOCKOUT_SECONDS``, even for the right password. A success clears the account's count.
An IPv6 address counts as its whole /64 (``promoter.core.clients.address_scope``). Keys
hold a hash of the e-mail and of the address, never either itself.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from promoter.core.clients import address_scope

PREFIX = "login-throttle"


def _key(kind: str, scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}:{kind}:{scope}:{digest}"


def login_lockout_remaining(*, email: str, address: str) -> int:
    """Return the seconds left of a lockout of ``email`` or ``address`` (0 when none)."""
    now = time.time()
    until = cache.get_many(
        [_key("lock", "account", email), _key("lock", "address", address_scope(address))]
    )
    return max((int(u - now) + 1 for u in until.values() if u > now), default=0)


def _count(scope: str, value: str, limit: int) -> None:
    seconds: int = settings.LOGIN_LOCKOUT_SECONDS
    key = _key("fail", scope, value)
    cache.add(key, 0, timeout=seconds)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        failures = 1
    if failures >= limit:
        cache.set(_key("lock", scope, value), time.time() + seconds, timeout=seconds)
        cache.delete(key)


def login_failure_record(*, email: str, address: str) -> None:
    """Count one failed login for ``email`` and for ``address``; lock out at the limits."""
    _count("account", email, settings.LOGIN_FAILURES_PER_ACCOUNT)
    _count("address", address_scope(address), settings.LOGIN_FAILURES_PER_ADDRESS)


def login_success_record(*, email: str) -> None:
    """Forget the failures of ``email`` after a successful login."""
    cache.delete(_key("fail", "account", email))
