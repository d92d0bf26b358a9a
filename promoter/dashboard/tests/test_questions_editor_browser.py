"""The survey designer in a real browser (Debian's chromium through Playwright): build a
three-question survey whose second question only detractors see, watch it appear and
disappear in the preview frame (the real widget, sandboxed) as the path switches, publish.

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

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.tests.browser import acme_owner

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"
WAIT = 20_000  # ms: the machine running the suite may be busy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server: Any) -> Any:
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    return project_create(owner=owner, name="Acme Cloud", slug="acme")


@pytest.fixture
def page(browser: Any, live_server: Any, acme: Any) -> Iterator[Any]:
    yield from acme_owner(browser, live_server.url, width=1400, height=1000)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def add(page: Any, kind: str, number: int) -> Any:
    """Add a question of ``kind`` through the editor; return its card once swapped in."""
    page.select_option("#new-question-type", kind)
    page.get_by_role("button", name="Add", exact=True).click()
    card = page.locator(".question-list > li.question").nth(number - 1)
    card.wait_for(timeout=WAIT)
    return card


def saved(page: Any, check: Any) -> None:
    """Wait until the draft in the database passes ``check`` (autosave is asynchronous)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')", timeout=WAIT)
    for _ in range(100):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the draft was not saved")


def test_build_branch_preview_and_publish(acme, page):
    from playwright.sync_api import expect

    survey = acme.surveys.get(kind="nps")
    page.goto(f"/p/acme/surveys/{survey.public_id}/")
    page.get_by_role("link", name="Questions").click()
    page.wait_for_url(re.compile(r"/questions/"))
    frame = page.frame_locator("#preview-frame")

    def draft() -> list[dict[str, Any]]:
        survey.refresh_from_db()
        return list(survey.questions)

    # 1. A single-choice question, worded by typing (saved as the person types).
    first = add(page, "single_choice", 1)
    text = first.get_by_label("Question", exact=True)
    text.fill("")
    text.press_sequentially("What matters most?", delay=20)
    saved(page, lambda: draft()[0]["text"] == "What matters most?")
    choice = page.locator("#q-q1-choice-0")
    choice.fill("")
    choice.press_sequentially("Speed", delay=20)
    saved(page, lambda: [c["text"] for c in draft()[0]["choices"]] == ["Speed", "Option 2"])

    # 2. A free-text question for detractors only.
    second = add(page, "text", 2)
    text = second.get_by_label("Question", exact=True)
    text.fill("")
    text.press_sequentially("What went wrong for you?", delay=20)
    saved(page, lambda: draft()[1]["text"] == "What went wrong for you?")
    second = page.locator("#q-q2")
    second.get_by_label("Kind of condition").select_option("category")
    second.get_by_role("button", name="Add a condition").click()
    saved(
        page, lambda: draft()[1]["show_if"] == [{"kind": "category", "categories": ["detractor"]}]
    )
    expect(page.locator("#q-q2 .condition")).to_have_count(1, timeout=WAIT)

    # 3. A yes/no question, then moved up and back with the keyboard-reachable buttons.
    add(page, "yes_no", 3)
    page.locator("#q-q3-up").click()
    saved(page, lambda: [q["id"] for q in draft()] == ["q1", "q3", "q2"])
    page.locator("#q-q3-down").click()
    saved(page, lambda: [q["id"] for q in draft()] == ["q1", "q2", "q3"])
    expect(page.locator("#questions-status")).to_contain_text("unpublished changes")

    # The preview: the promoter path skips the detractors' question, the detractor path asks it.
    page.locator("#preview-switches [name=path][value=promoter]").check()
    expect(frame.get_by_text("What matters most?")).to_be_visible(timeout=WAIT)
    expect(frame.get_by_text("What went wrong for you?")).to_have_count(0)
    shot(page, "designer-promoter-path")
    page.locator("#preview-switches [name=path][value=detractor]").check()
    expect(frame.get_by_text("What went wrong for you?")).to_be_visible(timeout=WAIT)
    expect(frame.get_by_text("What matters most?")).to_be_visible()
    page.locator("#preview-switches [name=width][value=phone]").check()
    expect(page.locator("#preview-box")).to_have_class(re.compile("preview-phone"))
    shot(page, "designer-detractor-path")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#preview-frame").screenshot(path=str(ARTIFACTS / "designer-frame-phone.png"))
    page.locator("#preview-switches [name=path][value=promoter]").check()
    expect(frame.get_by_text("What went wrong for you?")).to_have_count(0, timeout=WAIT)
    expect(frame.get_by_text("What matters most?")).to_be_visible(timeout=WAIT)

    # A refused change (a blank question) shows its error by the field and saves nothing.
    text = page.locator("#q-q1-text")
    text.fill("")
    expect(page.locator("#q-q1-text-error")).to_have_text("is required", timeout=WAIT)
    assert draft()[0]["text"] == "What matters most?"
    page.locator("#q-q1-text").fill("What matters most to you?")
    saved(page, lambda: draft()[0]["text"] == "What matters most to you?")
    expect(page.locator("#q-q1-text-error")).to_have_count(0, timeout=WAIT)

    # Publish: the live version and no unpublished changes.
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#questions-status")).to_contain_text("version 1", timeout=WAIT)
    expect(page.locator("#questions-status")).to_contain_text("The draft is the live version")
    survey.refresh_from_db()
    assert survey.version == 1
    assert [q["id"] for q in survey.published_questions] == ["q1", "q2", "q3"]
    shot(page, "designer-published")
    assert page.errors == []
