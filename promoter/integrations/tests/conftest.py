from __future__ import annotations

from collections.abc import Iterator

import pytest

from promoter.integrations.tests.receiver import Receiver


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A recording HTTP server on 127.0.0.1, reachable because the test allows private IPs."""
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    settings.OUTBOUND_TIMEOUT_SECONDS = 2
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    running = Receiver().start()
    yield running
    running.stop()
