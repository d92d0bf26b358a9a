"""The Answers page in a real browser (Debian's chromium through Playwright): reach it from
the Surveys page, open a cross-tab with the keyboard and read a marked cell's p-values.

Screenshots go to ``$PROMOTER_ARTIFACTS`` (default ``./artifacts``)/screenshots. A missing
browser is a failure, never a skip.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.actions.responses import response_record
from promoter.surveys.tests.asking import ask
from promoter.tests.browser import acme_owner

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"
WAIT = 30_000  # ms: the machine is shared and loaded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server):
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    survey = ask(
        project.surveys.get(kind="nps"),
        {"id": "reason", "type": "single_choice", "text": "What matters most?", "other": True,
         "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}]},
        {"id": "pmf", "type": "pmf", "text": ""},
        {"id": "stars", "type": "rating", "text": "Rate the docs"},
        {"id": "why", "type": "text", "text": "Anything else?"},
    )  # fmt: skip
    now = timezone.now()
    # Detractors name the price, promoters the speed: a planted effect the cross-tab marks.
    for i in range(40):
        score = 2 if i < 20 else 10
        reason = "price" if (i < 20) == (i % 5 != 0) else "speed"
        response_record(
            survey=survey, score=score, person=None, channel="web",
            created_at=now - datetime.timedelta(hours=i + 1),
            answers={"reason": reason, "pmf": "very_disappointed" if score == 10 else
                     "not_disappointed", "stars": 1 + i % 5, "why": f"Answer <b>{i}</b>"},
        )  # fmt: skip
    return project


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    yield from acme_owner(browser, live_server.url, timeout_ms=WAIT)


def test_read_the_answers_and_a_marked_cross_tab_cell_with_the_keyboard(acme, page):
    page.goto("/p/acme/surveys/", timeout=WAIT)
    page.click("a[data-answers-link]", timeout=WAIT)
    page.wait_for_url(re.compile(r"/answers/"), timeout=WAIT)
    reason = page.locator("#question-reason")
    reason.wait_for(timeout=WAIT)
    assert reason.locator('tr[data-choice="price"] td[data-count]').inner_text() == "20"
    assert "40 answered of 40 responses" in reason.inner_text()
    summary = reason.locator("details.crosstab summary")
    summary.focus()
    page.keyboard.press("Enter")
    marked = reason.locator('details.crosstab td[data-significant][data-category="detractor"]')
    marked.first.wait_for(state="visible", timeout=WAIT)
    assert "Holm-adjusted p < 0.001" in (marked.first.get_attribute("title") or "")
    assert "differs from the other categories" in marked.first.text_content()
    assert page.locator("#crosstab-method").is_visible()
    assert "Answer <b>0</b>" in page.locator("#question-why").inner_text()
    assert page.locator("#question-pmf svg[role=img]").count() == 1
    assert page.errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "question-analytics.png"), full_page=True)
