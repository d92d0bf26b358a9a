"""The link page's additional questions in chromium: a question asked after a choice on the
same page shows once it is picked, and the page is answered with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.responses.models import Answer
from promoter.surveys.tests.asking import ask

from .test_page_questions import FIX, SPEED, nps

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dependent_question_follows_the_choice_and_the_keyboard_answers(
    browser: Any, live_server: Any, world: Any
) -> None:
    survey = ask(nps(world), FIX, SPEED)
    page = browser.new_context(base_url=live_server.url).new_page()
    page.goto(f"/l/{survey.public_id}/")
    page.get_by_role("button", name="2", exact=True).click()
    page.wait_for_url("**/r/**", timeout=30_000)
    detail = page.locator("#question-speed-detail")
    detail.wait_for(state="hidden", timeout=30_000)
    # Keyboard alone: Tab into the choices, Space ticks "Speed", the detail question shows.
    page.locator("#comment").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    detail.wait_for(state="visible", timeout=30_000)
    page.keyboard.press("Space")  # unticked: hidden again
    detail.wait_for(state="hidden", timeout=30_000)
    page.keyboard.press("Space")
    detail.wait_for(state="visible", timeout=30_000)
    detail.locator("input").fill("On exports")
    detail.locator("input").press("Enter")  # submits the form
    page.get_by_role("status").wait_for(timeout=30_000)
    stored = {a.question: a.value for a in Answer.objects.all()}
    assert stored == {"fix": {"choices": ["speed"]}, "speed-detail": {"text": "On exports"}}
