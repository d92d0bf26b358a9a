"""What the widget's browser tests share: the demo project on the live server, a page of
Debian's chromium (promoter/tests/browser.py) that records alerts, and waits that survive a
loaded machine. promoter/ingest/tests/conftest.py offers the fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from promoter.accounts.models import Project, User
from promoter.actions.projects import project_create
from promoter.surveys.models import Survey


@pytest.fixture
def demo(settings, live_server) -> Project:
    settings.DEMO_MODE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    owner = User.objects.create_user("owner@example.com", "correct horse battery staple")
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    Survey.objects.filter(project=project).update(cta_url="https://example.com/review")
    return project


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url)
    opened = context.new_page()
    alerts: list[str] = []
    opened.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    opened.alerts = alerts
    yield opened
    context.close()


# A wait that must survive a loaded 2-core machine: the event decides, the deadline only
# stops a test that would otherwise hang.
LONG_WAIT_MS = 60_000


def wait_for(check: Callable[[], Any], timeout: float = LONG_WAIT_MS / 1000) -> Any:
    """Poll ``check`` (a database read, answered by the live server's thread) until it returns
    something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def open_demo(page: Any, query: str) -> Any:
    with page.expect_response(lambda r: r.url.endswith("/i/v1/eligibility")) as answer:
        page.goto(f"/demo/?{query}")
    return answer.value
