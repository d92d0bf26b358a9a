"""The filter bar's answer conditions in a real browser: typed in, applied, shown as a chip,
and removed from the keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.demo.seed import seed_project

PASSWORD = "correct horse battery staple"
WAIT = 60_000  # ms: the machine may be loaded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    cache.clear()
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    seed_project(project=project, responses=300, seed=11, until=timezone.now())
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT)
    opened.goto("/accounts/login/")
    opened.fill('input[name="username"]', "owner@example.com")
    opened.fill('input[name="password"]', PASSWORD)
    opened.click('button[type="submit"], input[type="submit"]')
    opened.wait_for_url(re.compile(r"/p/acme/"))
    yield opened
    context.close()


def test_an_answer_condition_is_applied_shown_and_removed_by_keyboard(page: Any) -> None:
    page.goto("/p/acme/responses/?period=365d")
    field = page.get_by_label("Answer")
    field.fill("improve:in:performance")
    field.press("Enter")
    page.wait_for_url(re.compile(r"answer=improve%3Ain%3Aperformance"))
    chip = page.locator(".chips .chip", has_text="improve picks one of performance")
    chip.wait_for()
    # The condition stays when the bar is applied again with another one.
    page.get_by_label("Answer").fill("setup:gte:4")
    page.get_by_label("Answer").press("Enter")
    page.wait_for_url(re.compile(r"answer=setup%3Agte%3A4"))
    assert "answer=improve%3Ain%3Aperformance" in page.url
    remove = page.get_by_role("link", name="Remove the filter: improve picks one of performance")
    remove.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "performance" not in url)
    assert "answer=setup%3Agte%3A4" in page.url
    assert page.locator(".chips .chip", has_text="improve picks one of").count() == 0
