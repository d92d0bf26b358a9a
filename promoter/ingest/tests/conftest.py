from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture
def clean_cache() -> Iterator[None]:
    """An empty cache before and after the test: the ingest caches keys and people."""
    cache.clear()
    yield
    cache.clear()
