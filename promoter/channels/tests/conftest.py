import pytest
from django.core.cache import cache

from promoter.integrations.tests.conftest import smtp  # noqa: F401  (a real SMTP server)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The link pages count answers per survey and address in the cache, which outlives a
    # test's database: another test's survey may get the same primary key.
    cache.clear()
    yield
    cache.clear()
