"""Promoter's Redis cache answers exactly as Django's does, against a real Redis.

Redis is the one of the test machine (127.0.0.1:6379, database 6, or CACHE_TEST_REDIS_URL),
emptied before and after each test.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from promoter.core.redis_cache import RedisCache

REDIS_URL = os.environ.get("CACHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")

VALUES = {
    "int": 42,
    "negative": -7,
    "big": 2**70,
    "zero": 0,
    "bool": True,
    "none-like": "",
    "text": "hello",
    "digits-text": "123",
    "bytes": b"\x80\x05raw",
    "float": 1.5,
    "tuple": (("a", None), {"b": [1, 2]}),
    "date": datetime.date(2026, 12, 7),
}


@pytest.fixture
def caches() -> Iterator[tuple[RedisCache, DjangoRedisCache]]:
    params = {"KEY_PREFIX": "t"}
    ours, django = RedisCache(REDIS_URL, params), DjangoRedisCache(REDIS_URL, params)
    ours.clear()
    yield ours, django
    ours.clear()


def test_get_many_answers_as_djangos_for_every_kind_of_value(caches):
    ours, django = caches
    django.set_many(VALUES, 60)
    django.set("other-version", "v2", version=2)
    wanted = [*VALUES, "missing", "other-version"]
    assert ours.get_many(wanted) == django.get_many(wanted)
    assert ours.get_many(wanted) == VALUES  # nothing missing, no other version
    assert ours.get_many(["other-version"], version=2) == {"other-version": "v2"}
    assert ours.get_many([]) == {}
    assert ours.get_many(["text", "text"]) == {"text": "hello"}


def test_set_many_stores_what_djangos_get_many_reads_with_the_expiry(caches):
    ours, django = caches
    assert ours.set_many(VALUES, 60) == []
    assert django.get_many(list(VALUES)) == VALUES
    client = ours._cache.get_client(None)
    assert 0 < client.ttl(ours.make_key("text")) <= 60
    ours.set_many({"forever": 1}, None)
    assert client.ttl(ours.make_key("forever")) == -1  # no expiry, as Django's


def test_set_many_with_a_zero_timeout_stores_nothing(caches):
    ours, django = caches
    ours.set("gone", "before")
    ours.set_many({"gone": "after", "never": 1}, 0)
    assert django.get_many(["gone", "never"]) == {}


def test_set_many_expires_keys(caches):
    ours, _django = caches
    ours.set_many({"short": "lived"}, 1)
    assert ours.get_many(["short"]) == {"short": "lived"}
    time.sleep(1.2)
    assert ours.get_many(["short"]) == {}
