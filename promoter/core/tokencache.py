"""Cache entries that are never served stale across processes: each is stamped with tokens.

An entry is stored with the values its *tokens* (small random strings, one per thing it depends
on) had when its reader started; it is served only while every token still has that value. A
write renews the tokens of what it changed once its transaction commits, so every process sees
the change on its next read, and a reader that raced with the write stored its entry under the
old token values, which no longer match. A token that is missing (never minted, expired or
evicted) matches nothing, so eviction can only cost a miss, never a stale answer.

The cache must be shared by every process (Redis): a per-process cache cannot see another
process's writes. Callers check :func:`enabled` and go to the database otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# Tokens outlive the entries stamped with them; a token that expires only costs a miss.
TOKEN_TIMEOUT = 7 * 24 * 3600

Tokens = tuple[str | None, ...]


def enabled() -> bool:
    """Return whether token-checked caching is on (a cache shared by every process)."""
    return bool(settings.INGEST_STATE_CACHE)


def digest(text: str) -> str:
    """Return a short, key-safe digest of ``text`` (ids and e-mails go into keys this way)."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def read(data_key: str, token_keys: Sequence[str]) -> tuple[Any, Tokens, bool]:
    """Return (value, tokens, hit): the entry at ``data_key`` if its stamp matches the current
    ``token_keys``, read together in one round trip. Pass ``tokens`` to :func:`write` after
    reading the database. A cache that fails counts as a miss."""
    return read_many([(data_key, token_keys)])[0]


def read_many(
    entries: Sequence[tuple[str, Sequence[str]]],
) -> list[tuple[Any, Tokens, bool]]:
    """Like :func:`read` for several entries, all in one round trip."""
    keys = [key for data_key, token_keys in entries for key in (data_key, *token_keys)]
    try:
        got = cache.get_many(keys)
    except Exception:  # the cache is down: the database answers
        logger.warning("tokencache.read_failed", exc_info=True)
        got = {}
    out: list[tuple[Any, Tokens, bool]] = []
    for data_key, token_keys in entries:
        tokens = tuple(got.get(key) for key in token_keys)
        entry = got.get(data_key)
        if entry is not None and None not in tokens and entry[0] == tokens:
            out.append((entry[1], tokens, True))
        else:
            out.append((None, tokens, False))
    return out


def mint(token_keys: Sequence[str], tokens: Tokens) -> None:
    """Create the tokens that were missing (None in ``tokens``), so that the next reader can
    store what it reads: the stamp must be read before the data it vouches for, so the reader
    that found them missing stores nothing."""
    try:
        for key, token in zip(token_keys, tokens, strict=True):
            if token is None:
                cache.add(key, secrets.token_hex(8), TOKEN_TIMEOUT)
    except Exception:
        logger.warning("tokencache.mint_failed", exc_info=True)


def write(data_key: str, value: Any, *, tokens: Tokens, timeout: int) -> None:
    """Store ``value`` stamped with ``tokens`` as :func:`read` returned them, before the
    database was read (the stamp must be read before the data it vouches for). Nothing is
    stored when a token was missing (see :func:`mint`)."""
    if None in tokens:
        return
    try:
        cache.set(data_key, (tokens, value), timeout)
    except Exception:
        logger.warning("tokencache.write_failed", exc_info=True)


def renew(token_keys: Iterable[str]) -> None:
    """Make every entry stamped with ``token_keys`` stale, once the current transaction commits
    (at once outside a transaction)."""
    keys = list(dict.fromkeys(token_keys))
    if not keys:
        return

    def run() -> None:
        try:
            cache.set_many({key: secrets.token_hex(8) for key in keys}, TOKEN_TIMEOUT)
        except Exception:  # entries expire by themselves: see the timeouts of each cache
            logger.exception("tokencache.renew_failed", extra={"keys": len(keys)})

    transaction.on_commit(run)
