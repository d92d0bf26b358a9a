"""Issue 22's whole road in chromium: build a three-question survey in the editor, its
first question for detractors only, watch the preview follow the path, publish; answer it on
the demo page as a detractor (asked that question) and as a promoter in dark mode (not asked
it); then find both on the Feedback cards, on the survey's Answers page and in the CSV export.

A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from promoter.responses.models import Answer, Response
from promoter.surveys.services import survey_update

from .test_questions_editor_browser import WAIT, acme, add, page, saved, shot

__all__ = ["acme", "page"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def answer_on_the_demo_page(browser: Any, live_server: Any, who: str, score: int, dark: bool):
    """Open the demo page as ``who`` and answer ``score``; return the page at the first
    additional question shown (or the thank-you)."""
    context = browser.new_context(
        base_url=live_server.url, color_scheme="dark" if dark else "light"
    )
    demo = context.new_page()
    demo.goto(f"/demo/?as={who}")
    score_button = demo.locator(f'[data-promoter="score"][data-score="{score}"]')
    score_button.wait_for(timeout=WAIT)
    with demo.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        score_button.click()
    demo.locator('[data-promoter="skip"]').first.click()  # no comment
    return demo


def test_design_publish_answer_and_find_the_answers_everywhere(
    acme, page, browser, live_server, settings
):
    from playwright.sync_api import expect

    settings.DEMO_MODE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    survey = acme.surveys.get(kind="nps")
    page.goto(f"/p/acme/surveys/{survey.public_id}/questions/")

    def draft() -> list[dict[str, Any]]:
        survey.refresh_from_db()
        return list(survey.questions)

    # Build: a multiple choice for detractors only, a star rating, a line of text.
    first = add(page, "multiple_choice", 1)
    saved(page, lambda: len(draft()) == 1)
    first.get_by_label("Kind of condition").select_option("category")
    first.get_by_role("button", name="Add a condition").click()
    saved(
        page, lambda: draft()[0]["show_if"] == [{"kind": "category", "categories": ["detractor"]}]
    )
    add(page, "rating", 2)
    add(page, "text", 3)
    saved(page, lambda: [q["type"] for q in draft()] == ["multiple_choice", "rating", "text"])

    # The preview follows the path: the detractors' question only on theirs.
    frame = page.frame_locator("#preview-frame")
    page.locator("#preview-switches [name=path][value=detractor]").check()
    expect(frame.get_by_text("Which ones apply?")).to_be_visible(timeout=WAIT)
    page.locator("#preview-switches [name=path][value=promoter]").check()
    expect(frame.get_by_text("How would you rate it?")).to_be_visible(timeout=WAIT)
    expect(frame.get_by_text("Which ones apply?")).to_have_count(0, timeout=WAIT)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#questions-status")).to_contain_text("version 1", timeout=WAIT)

    # A detractor is asked the detractors' question, and picks two choices.
    demo = answer_on_the_demo_page(browser, live_server, "ada", 2, dark=False)
    choices = demo.locator('[data-question="q1"]')
    choices.wait_for(timeout=WAIT)
    demo.get_by_label("Option 1").check()
    demo.get_by_label("Option 2").check()
    with demo.expect_response(lambda r: "/i/v1/responses/" in r.url):
        demo.locator('[data-promoter="next"]').click()
    demo.locator('[data-question="q2"]').wait_for(timeout=WAIT)
    shot(demo, "flow-detractor-rating")

    # A promoter, in dark mode (the survey follows the person's theme), is not: their first
    # question is the rating.
    survey_update(survey=survey, data={"look": {"theme": "auto"}})
    demo = answer_on_the_demo_page(browser, live_server, "ben", 10, dark=True)
    demo.locator('[data-question="q2"]').wait_for(timeout=WAIT)
    assert demo.locator('[data-question="q1"]').count() == 0
    background = demo.evaluate(
        """() => getComputedStyle(document.getElementById("promoter-widget").shadowRoot
            .querySelector("[data-promoter=dialog]")).backgroundColor"""
    )
    assert background == "rgb(31, 41, 55)"  # the dark theme's background
    demo.locator('[data-question="q2"] label').nth(4).click()
    with demo.expect_response(lambda r: "/i/v1/responses/" in r.url):
        demo.locator('[data-promoter="next"]').click()
    shot(demo, "flow-promoter-text")

    for _ in range(200):
        if Answer.objects.count() == 2:
            break
        page.wait_for_timeout(100)
    detractor = Response.objects.get(end_user__external_id="demo-ada")
    promoter = Response.objects.get(end_user__external_id="demo-ben")
    assert {a.question: a.value for a in detractor.answers.all()} == {
        "q1": {"choices": ["c1", "c2"]}
    }
    assert {a.question: a.value for a in promoter.answers.all()} == {"q2": {"rating": 5}}

    # The Feedback cards show each answer with its question.
    page.goto("/p/acme/responses/?period=all")
    detractor_card = page.locator(f"#r-{detractor.public_id}")
    expect(detractor_card).to_contain_text("Which ones apply?", timeout=WAIT)
    expect(detractor_card).to_contain_text("Option 1, Option 2")
    expect(page.locator(f"#r-{promoter.public_id}")).to_contain_text(
        re.compile(r"How would you rate it\?\s*5")
    )

    # The Answers page counts them.
    page.goto(f"/p/acme/surveys/{survey.public_id}/answers/?period=all")
    expect(page.locator("main")).to_contain_text("Which ones apply?", timeout=WAIT)
    expect(page.locator("main")).to_contain_text("1 answered")
    shot(page, "flow-answers-page")

    # The CSV export has a column per question.
    csv = page.request.get("/p/acme/responses.csv?period=all").text()
    header, *rows = csv.splitlines()
    assert re.search(r"answer:q1.*answer:q2.*answer:q3", header)
    assert any("c1; c2" in row for row in rows) and any(",5," in row for row in rows)
