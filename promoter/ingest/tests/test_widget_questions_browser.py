"""The widget's additional questions (questions.js) in a real browser: on the demo page as a
detractor and as a promoter, with the keyboard alone, right to left, the closing message,
and the survey editor's preview (``Promoter.preview``), which sends nothing.

A missing browser is a failure, never a skip: `make test` installs chromium when it can.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from promoter.ingest.tests.widget_page import open_demo, wait_for
from promoter.ingest.widget import questions_asset, widget_asset
from promoter.responses.models import Answer, Decline, Response
from promoter.surveys.models import Survey
from promoter.surveys.payload import survey_payload
from promoter.surveys.tests.asking import ask

pytestmark = pytest.mark.django_db(transaction=True)

REASON = {
    "id": "reason",
    "type": "multiple_choice",
    "text": "What should we fix first?",
    "required": True,
    "choices": [
        {"id": "speed", "text": "Speed"},
        {"id": "price", "text": "Price"},
        {"id": "docs", "text": "Docs"},
    ],
    "other": True,
    "show_if": [{"kind": "category", "categories": ["detractor"]}],
}
STARS = {"id": "stars", "type": "rating", "text": "How good are our docs?", "style": "stars"}
MORE = {"id": "more", "type": "text", "text": "Anything else?"}


@pytest.fixture
def asked(demo) -> Survey:
    """The demo project's NPS survey, with three questions published: what to fix first
    (detractors only, required, with an Other box), a star rating and a line of text."""
    return ask(Survey.objects.get(project=demo, kind="nps"), REASON, STARS, MORE)


def answers_of(person: str) -> dict[str, Any]:
    return {
        a.question: a.value for a in Answer.objects.filter(response__end_user__external_id=person)
    }


def question(page: Any, question_id: str) -> Any:
    """Wait for the question ``question_id`` on screen; return its controls."""
    box = page.locator(f'[data-question="{question_id}"]')
    box.wait_for(state="visible")
    return box


@contextlib.contextmanager
def patched(page: Any) -> Iterator[None]:
    """Expect the PATCH that sends an answer (or a comment), and that it is accepted."""
    with page.expect_response(
        lambda r: "/i/v1/responses/" in r.url and r.request.method == "PATCH"
    ) as sent:
        yield
    assert sent.value.status == 200, sent.value.text()


def test_a_detractor_answers_every_question_and_each_answer_is_stored(asked, page):
    open_demo(page, "as=ada")
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.locator('[data-promoter="score"][data-score="3"]').click()
    page.locator('[data-promoter="comment"]').fill("Slow exports")
    page.locator('[data-promoter="submit"]').click()

    reason = question(page, "reason")
    assert page.locator("#pq").inner_text() == "What should we fix first?"
    assert [c.get_attribute("value") for c in reason.locator("input[type=checkbox]").all()] == [
        "speed",
        "price",
        "docs",
        "other",
    ]
    # Required: no answer, no "Next".
    page.locator('[data-promoter="next"]').click()
    assert page.get_by_role("alert").inner_text() != ""
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.locator('[data-promoter="skip"]').count() == 0
    page.get_by_label("Price").check()
    page.locator('[data-promoter="other"]').fill("Needs SSO")  # ticks Other by itself
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    # Sent at once: a person who leaves now keeps this answer.
    assert wait_for(lambda: "reason" in answers_of("demo-ada"))

    question(page, "stars").locator("label").nth(3).click()
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    question(page, "more").fill("More export formats")
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")

    assert wait_for(lambda: len(answers_of("demo-ada")) == 3)
    assert answers_of("demo-ada") == {
        "reason": {"choices": ["price"], "other": "Needs SSO"},
        "stars": {"rating": 4},
        "more": {"text": "More export formats"},
    }
    response = Response.objects.get(end_user__external_id="demo-ada")
    assert (response.score, response.comment) == (3, "Slow exports")
    assert set(Answer.objects.values_list("version", flat=True)) == {asked.version}
    assert page.alerts == []


def test_a_promoter_is_not_asked_the_detractors_question_and_may_skip(asked, page):
    open_demo(page, "as=chloe")
    page.locator('[data-promoter="score"][data-score="10"]').click()
    page.locator('[data-promoter="skip"]').click()  # no comment

    question(page, "stars")  # the first question a promoter sees
    assert page.locator('[data-question="reason"]').count() == 0
    # Optional. A double click skips once: its second click, on the next question's Skip in
    # the same place, is no answer.
    page.locator('[data-promoter="skip"]').dblclick()
    question(page, "more").fill("Keep it up")
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    assert page.locator('[data-promoter="cta"]').get_attribute("href") == (
        "https://example.com/review"
    )
    assert wait_for(lambda: answers_of("demo-chloe")) == {"more": {"text": "Keep it up"}}


def test_the_questions_can_be_answered_with_the_keyboard_alone(asked, page):
    open_demo(page, "as=ben")
    page.locator('[data-promoter="score"]:focus').wait_for()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.keyboard.press("Enter")  # 2: a detractor
    page.locator('[data-promoter="comment"]:focus').wait_for()
    page.keyboard.press("Tab")  # skip
    page.keyboard.press("Enter")

    # Focus moves to the new question's first control; its heading labels the group.
    reason = question(page, "reason")
    focused = page.locator('[data-promoter="choice"]:focus')
    assert focused.get_attribute("value") == "speed"
    assert reason.get_attribute("aria-labelledby") == "pq"
    page.keyboard.press("Enter")  # required: refused, focus stays
    assert page.get_by_role("alert").inner_text() != ""
    page.keyboard.press("Space")  # speed
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # docs
    with patched(page):
        page.keyboard.press("Enter")

    # A star rating is a radio group: the arrow keys move and choose.
    question(page, "stars")
    page.locator('[data-promoter="rating"]:focus').wait_for()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    assert page.locator('[data-promoter="rating"]:checked').get_attribute("value") == "3"
    with patched(page):
        page.keyboard.press("Enter")

    question(page, "more")
    page.locator('[data-promoter="answer"]:focus').wait_for()
    page.keyboard.type("Typed, never clicked")
    with patched(page):
        page.keyboard.press("Enter")
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    assert wait_for(lambda: len(answers_of("demo-ben")) == 3)
    assert answers_of("demo-ben") == {
        "reason": {"choices": ["speed", "docs"]},
        "stars": {"rating": 3},
        "more": {"text": "Typed, never clicked"},
    }


def test_arabic_renders_right_to_left_and_answers_are_stored(asked, page):
    Survey.objects.filter(pk=asked.pk).update(
        texts={
            "ar": {
                "question": "ما مدى احتمال أن توصي بنا لصديق؟",
                "followup_detractor": "ما الذي خيب أملك؟",
                "submit": "إرسال",
                "skip": "تخطي",
                "thank_you": "شكرا لك!",
            }
        }
    )
    open_demo(page, "as=diego&locale=ar")
    dialog = page.locator('[data-promoter="dialog"]')
    dialog.wait_for(state="visible")
    assert dialog.get_attribute("dir") == "rtl"
    assert dialog.get_attribute("lang") == "ar"
    page.locator('[data-promoter="score"][data-score="1"]').click()
    page.locator('[data-promoter="skip"]').click()

    reason = question(page, "reason")
    assert dialog.get_attribute("dir") == "rtl"
    assert page.locator('[data-promoter="next"]').inner_text() == "إرسال"
    # Mirrored: each box to tick stands at the right of its choice.
    label = reason.locator("label").first.bounding_box()
    tick = reason.locator("input").first.bounding_box()
    assert label is not None and tick is not None
    assert tick["x"] > label["x"] + label["width"] / 2
    page.get_by_label("Speed").check()
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    question(page, "stars").locator("label").nth(4).click()
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    question(page, "more").fill("شكرا")
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    assert wait_for(lambda: len(answers_of("demo-diego")) == 3)
    assert answers_of("demo-diego") == {
        "reason": {"choices": ["speed"]},
        "stars": {"rating": 5},
        "more": {"text": "شكرا"},
    }
    assert Response.objects.get(end_user__external_id="demo-diego").locale == "ar"


def test_closing_half_way_keeps_what_was_sent(asked, page):
    open_demo(page, "as=ada")
    page.locator('[data-promoter="score"][data-score="0"]').click()
    page.locator('[data-promoter="skip"]').click()
    question(page, "reason")
    page.get_by_label("Docs").check()
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    question(page, "stars")
    page.keyboard.press("Escape")
    page.locator('[data-promoter="dialog"]').wait_for(state="detached")
    assert wait_for(lambda: answers_of("demo-ada")) == {"reason": {"choices": ["docs"]}}
    assert Decline.objects.count() == 0  # answered: closing is no dismissal
    assert page.evaluate("() => Promoter._state().step") == "closed"


def test_a_closing_message_replaces_the_thank_you(demo, page):
    survey = Survey.objects.get(project=demo, kind="nps")
    ask(
        survey,
        {
            "id": "plan",
            "type": "single_choice",
            "text": "Which plan would suit you?",
            "choices": [{"id": "team", "text": "Team"}, {"id": "solo", "text": "Solo"}],
        },
        {
            "id": "bye",
            "type": "message",
            "text": "Thanks! Our team will write to you.",
            "cta_text": "Book a call",
            "cta_url": "https://example.com/call",
            "show_if": [{"kind": "answer", "question": "plan", "choices": ["team"]}],
        },
    )
    open_demo(page, "as=ada")
    page.locator('[data-promoter="score"][data-score="5"]').click()
    page.locator('[data-promoter="skip"]').click()
    question(page, "plan")
    page.get_by_label("Team").check()
    with patched(page):
        page.locator('[data-promoter="next"]').click()
    message = page.locator('[data-promoter="message"]')
    message.wait_for(state="visible")
    assert message.inner_text() == "Thanks! Our team will write to you."
    cta = page.locator('[data-promoter="cta"]')
    assert (cta.inner_text(), cta.get_attribute("href")) == (
        "Book a call",
        "https://example.com/call",
    )
    assert page.locator('[data-promoter="thanks"]').count() == 0
    assert wait_for(lambda: answers_of("demo-ada")) == {"plan": {"choices": ["team"]}}


# --- the preview --------------------------------------------------------------------------

PREVIEW_HOST = "https://preview.example"


def preview_page(page: Any, scripts: list[str]) -> list[str]:
    """Open a page at PREVIEW_HOST that includes ``scripts`` (served from the assets, no
    server); return the list every request made from then on is added to."""
    bodies = {
        "promoter.js": widget_asset().body,
        "questions.js": questions_asset().body,
    }
    tags = "".join(f'<script src="/w/{name}"></script>' for name in scripts)
    html = f'<!doctype html><html lang="en"><body><div id="root"></div>{tags}</body></html>'

    def serve(route: Any) -> None:
        name = route.request.url.rsplit("/", 1)[-1]
        script = name.split(".", 1)[0] + ".js"  # questions.<version>.js too
        if script in bodies:
            route.fulfill(body=bodies[script], content_type="text/javascript")
        else:
            route.fulfill(body=html, content_type="text/html")

    page.route(f"{PREVIEW_HOST}/**", serve)
    page.goto(f"{PREVIEW_HOST}/")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    return requests


def preview(page: Any, payload: dict[str, Any], score: int) -> list[str]:
    """Preview ``payload`` for ``score``; return the questions shown, in order."""
    page.evaluate(
        """([survey, score]) => Promoter.preview({
            survey, score, locale: "en", root: document.getElementById("root")})""",
        [payload, score],
    )
    ids = "[...document.querySelectorAll('[data-promoter=preview]')]"
    return page.evaluate(
        f"""() => {ids}.map((h) => h.shadowRoot.querySelector("[data-question]"))
            .filter(Boolean).map((q) => q.dataset.question)"""
    )


@pytest.mark.parametrize(
    "scripts", [["promoter.js", "questions.js"], ["questions.js", "promoter.js"]]
)
def test_the_preview_renders_a_scores_path_and_sends_nothing(asked, page, scripts):
    payload = json.loads(
        json.dumps(
            survey_payload(project=asked.project, survey=asked, locale="en"),
            cls=DjangoJSONEncoder,
        )
    )
    requests = preview_page(page, scripts)

    assert preview(page, payload, 3) == ["reason", "stars", "more"]
    cards = page.locator("[data-promoter=preview]")
    # The score chosen, the comment, three questions, the thank-you: a card each.
    assert cards.count() == 6
    assert page.locator('[data-promoter="score"][aria-checked="true"]').inner_text() == "3"
    assert page.locator('[data-promoter="comment"]').count() == 1
    assert page.locator('[data-promoter="thanks"]').count() == 1
    assert cards.last.locator('[data-promoter="thanks"]').count() == 1  # the closing card last
    assert page.evaluate("() => document.activeElement === document.body")  # no focus taken

    # Called again, it replaces what it showed: a promoter is not asked the reason.
    assert preview(page, payload, 10) == ["stars", "more"]
    assert cards.count() == 5
    assert page.locator('[data-promoter="score"][aria-checked="true"]').inner_text() == "10"
    assert page.locator('[data-promoter="cta"]').get_attribute("href") == (
        "https://example.com/review"
    )

    # Answering in the preview sends nothing either, and nothing is stored.
    page.locator('[data-promoter="rating"]').nth(2).check()
    page.locator('[data-promoter="next"]').first.click()
    page.wait_for_timeout(200)
    assert requests == []
    assert page.evaluate("() => localStorage.length") == 0
    assert page.evaluate("() => Promoter._state().step") == "idle"
    assert Response.objects.count() == 0


def test_the_preview_loads_questions_js_when_the_page_has_not(asked, page):
    payload = json.loads(
        json.dumps(
            survey_payload(project=asked.project, survey=asked, locale="en"),
            cls=DjangoJSONEncoder,
        )
    )
    requests = preview_page(page, ["promoter.js"])
    assert preview(page, payload, 2) == ["reason", "stars", "more"]
    assert [url.rsplit("/", 1)[-1] for url in requests] == [
        f"questions.{questions_asset().version}.js"
    ]
    page.wait_for_timeout(100)
    assert len(requests) == 1
