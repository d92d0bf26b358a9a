"""Tagging in a real browser (Debian's chromium through Playwright): tag a feedback card with
the autocomplete, then find the tag and its figures on the Tags page.

Screenshots go to ``$PROMOTER_ARTIFACTS`` (default ``./artifacts``)/screenshots. A missing
browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.demo.seed import seed_project
from promoter.responses.models import Response, ResponseTag, Tag
from promoter.responses.services import tag_get_or_create
from promoter.tests.browser import acme_owner

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server):
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    seed_project(project=project, responses=200, seed=13, until=timezone.now())
    tag_get_or_create(project=project, name="Pricing")
    tag_get_or_create(project=project, name="Support")
    tag_get_or_create(project=project, name="Onboarding flow")
    return project


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    yield from acme_owner(browser, live_server.url)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_tag_a_response_with_autocomplete_and_see_it_on_the_tags_page(acme, page):
    from playwright.sync_api import expect

    page.goto("/p/acme/responses/?period=365d&comment=yes")
    card = page.locator("#cards [data-response]").first
    card.wait_for()
    response_id = card.get_attribute("data-response")
    url_before = page.url

    field = card.locator('form.tag-add input[name="name"]')
    field.click()
    field.press_sequentially("pri", delay=40)
    suggestion = card.locator('.tag-suggestions button[data-tag="Pricing"]')
    suggestion.wait_for(timeout=5000)
    # On focus it lists the most used tags; "pri" leaves the one starting so.
    expect(card.locator(".tag-suggestions button")).to_have_count(1, timeout=5000)
    shot(page, "tag-autocomplete")
    suggestion.click()

    chip = page.locator(f"#tags-{response_id} .tag-chip", has_text="Pricing")
    chip.wait_for(timeout=5000)
    assert page.url == url_before  # swapped in place, no reload
    response = Response.objects.get(public_id=response_id)
    assert list(
        ResponseTag.objects.filter(response=response).values_list("tag__name", flat=True)
    ) == ["Pricing"]
    assert Tag.objects.filter(project=acme).count() == 3  # the existing tag, not a new one

    # A new tag by typing its name and Enter, then removing it with its remove button.
    field = page.locator(f"#tags-{response_id} form.tag-add input[name='name']")
    field.click()
    field.press_sequentially("Onboarding", delay=20)
    listed = page.locator(f"#tags-{response_id} .tag-suggestions button")
    expect(listed).to_have_count(1, timeout=5000)
    expect(listed).to_have_text("Onboarding flow")
    field.press("Enter")  # adds the typed name, not the suggestion
    chips = page.locator(f"#tags-{response_id} .tag-chip a")
    expect(chips).to_have_text(["Pricing", "Onboarding"], timeout=5000)
    page.locator(f"#tags-{response_id} button[aria-label='Remove the tag Onboarding']").click()
    page.locator(f"#tags-{response_id} .tag-chip", has_text="Onboarding").wait_for(
        state="detached", timeout=5000
    )

    page.goto("/p/acme/tags/?period=365d")
    row = page.locator('#tags-table tr[data-tag="Pricing"]')
    row.wait_for()
    assert row.locator('[data-figure="n"]').inner_text() == "1"
    assert row.locator('[data-figure="score"]').inner_text().strip() != ""
    assert row.locator("svg.spark polyline").count() == 1
    shot(page, "tags")
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/p/acme/responses/\?.*tag="))
    assert page.locator("#cards [data-response]").count() == 1
    assert page.errors == []


def test_filter_by_tag_and_sentiment_then_delete_a_tag_after_confirming(acme, page):
    from playwright.sync_api import expect

    survey = acme.surveys.get(kind="nps")
    pricing = Tag.objects.get(project=acme, name="Pricing")
    commented = list(Response.objects.filter(survey=survey).exclude(comment="")[:3])
    Response.objects.filter(pk__in=[r.pk for r in commented]).update(sentiment=-0.6)
    ResponseTag.objects.bulk_create([ResponseTag(response=r, tag=pricing) for r in commented])

    page.goto("/p/acme/responses/?period=365d")
    page.select_option('#filters select[name="tag"]', label="Pricing")
    page.select_option('#filters select[name="sentiment"]', value="negative")
    page.click('#filters button[type="submit"]')
    page.wait_for_url(re.compile(r"sentiment=negative"))
    expect(page.locator("#cards [data-response]")).to_have_count(3)
    expect(page.locator("#cards .sentiment.negative")).to_have_count(3)
    shot(page, "feedback-filtered-by-tag-and-sentiment")

    page.goto("/p/acme/tags/?period=365d")
    row = page.locator('#tags-table tr[data-tag="Pricing"]')
    row.locator("summary").click()
    asked: list[str] = []

    def dismiss_then_accept(dialog: Any) -> None:
        asked.append(dialog.message)
        (dialog.dismiss if len(asked) == 1 else dialog.accept)()

    page.on("dialog", dismiss_then_accept)
    row.get_by_role("button", name="Delete tag").click()
    assert asked and "Delete the tag Pricing from 3 responses" in asked[0]
    assert Tag.objects.filter(pk=pricing.pk).exists()  # dismissed: nothing deleted
    row.get_by_role("button", name="Delete tag").click()
    expect(page.locator(".messages")).to_contain_text("Deleted 'Pricing'", timeout=5000)
    expect(page.locator('#tags-table tr[data-tag="Pricing"]')).to_have_count(0)
    assert not Tag.objects.filter(pk=pricing.pk).exists()
    assert page.errors == []
