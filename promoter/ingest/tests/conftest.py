from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from promoter.ingest.tests.widget_page import demo, page  # noqa: F401  (the browser tests')


@pytest.fixture
def clean_cache() -> Iterator[None]:
    """An empty cache before and after the test: the ingest caches keys and people."""
    cache.clear()
    yield
    cache.clear()
