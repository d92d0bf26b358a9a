"""The analytics pages in a real browser (Debian's chromium through Playwright).

Screenshots of each page go to ``$PROMOTER_ARTIFACTS`` (default ``./artifacts``)/screenshots.
A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.demo.seed import seed_project
from promoter.tests.browser import acme_owner

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(settings, live_server):
    settings.DEMO_MODE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    seed_project(project=project, responses=800, seed=11, until=timezone.now())
    return project


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    yield from acme_owner(browser, live_server.url)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_overview_draws_an_interactive_trend_chart(acme, page):
    page.goto("/p/acme/?period=365d")
    chart = page.locator("#trend-chart")
    chart.locator(".main-svg").first.wait_for(state="visible", timeout=15000)
    assert chart.get_attribute("data-drawn") == "true"
    assert chart.locator("path.scatterpts, .scatterlayer .trace").count() >= 1
    assert chart.bounding_box()["height"] >= 200
    figure = page.locator('[data-figure="score"]').inner_text()
    assert re.fullmatch(r"[+-]?\d+", figure)
    page.locator("#distribution-chart .main-svg").first.wait_for(state="visible")
    shot(page, "overview")
    assert page.errors == []


def test_a_segment_filter_changes_the_score_and_the_url(acme, page):
    page.goto("/p/acme/segments/?period=365d&by=plan")
    everyone = page.locator("p.muted strong").first.inner_text()
    shot(page, "segments")
    page.locator('a[data-segment="enterprise"]').click()
    page.wait_for_url(re.compile(r"where=plan%3Aeq%3Aenterprise"))
    assert "where=plan%3Aeq%3Aenterprise" in page.url
    page.locator(".chip", has_text="plan eq 'enterprise'").wait_for()
    assert page.locator("p.muted strong").first.inner_text() != everyone
    rows = page.locator("#segments-table tbody tr")
    assert rows.count() == 1
    page.goto(page.url.replace("/segments/", "/"))
    assert page.locator('[data-figure="score"]').inner_text() != ""
    assert page.errors == []


def test_compare_page_shows_the_ab_test(acme, page):
    page.goto("/p/acme/compare/?period=365d&a=variant:eq:B&b=variant:eq:A&delta=5")
    assert page.locator("#difference .figure").inner_text().endswith("pts")
    assert "each group needs about" in page.locator("#difference").inner_text()
    shot(page, "compare")


def test_a_widget_answer_appears_in_the_feedback_stream_within_2_seconds(
    acme, page, browser, live_server
):
    page.goto("/p/acme/responses/")
    page.locator("#cards [data-response]").first.wait_for()
    shot(page, "feedback")
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto("/demo/?as=ada")
    visitor.locator('[data-promoter="score"][data-score="9"]').click()
    visitor.locator('[data-promoter="comment"]').fill("Streaming straight to the team")
    with visitor.expect_response(lambda r: "/i/v1/responses/" in r.url):
        visitor.locator('[data-promoter="submit"]').click()
    answered = time.monotonic()
    card = page.locator("#cards [data-response]", has_text="ada@demo.acme.test")
    card.wait_for(timeout=2500)
    assert time.monotonic() - answered <= 2.5
    assert "ada@demo.acme.test" in page.locator("#cards [data-response]").first.inner_text()
    visitor.context.close()
    assert page.errors == []


def test_top_reasons_shows_themes_with_impact(acme, page):
    page.goto("/p/acme/reasons/?period=365d")
    promoters = page.locator("#reasons-promoter [data-reason]")
    detractors = page.locator("#reasons-detractor [data-reason]")
    assert promoters.count() >= 1 and detractors.count() >= 1
    assert "impact" in detractors.first.inner_text()
    assert page.locator("#reasons-promoter blockquote").count() >= 1
    shot(page, "reasons")
    assert page.errors == []
