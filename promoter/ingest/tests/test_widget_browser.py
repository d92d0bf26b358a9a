"""The widget in a real browser (Debian's chromium through Playwright) on the demo page.

A missing browser is a failure, never a skip: `make test` installs chromium when it can.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from promoter.ingest.tests.widget_page import LONG_WAIT_MS, open_demo, wait_for
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response
from promoter.surveys.models import Survey

XSS = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.django_db(transaction=True)


def test_keyboard_only_answer_stores_a_detractor_with_comment_and_properties(demo, page):
    open_demo(page, "as=ada")
    dialog = page.locator('[data-promoter="dialog"]')
    dialog.wait_for(state="visible")
    assert dialog.get_attribute("role") == "dialog"
    focused = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == "promoter-widget"  # focus moved into the widget's shadow root
    score = page.locator('[data-promoter="score"]:focus')
    assert score.get_attribute("data-score") == "0"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator('[data-promoter="score"]:focus').get_attribute("data-score") == "3"
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.keyboard.press("Enter")
    comment = page.locator('[data-promoter="comment"]')
    comment.wait_for(state="visible")
    assert comment.evaluate("el => el.matches(':focus')")
    page.keyboard.type(f"Exports are slow {XSS}")
    page.keyboard.press("Tab")  # skip
    page.keyboard.press("Tab")  # submit
    with page.expect_response(lambda r: "/i/v1/responses/" in r.url):
        page.keyboard.press("Enter")
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    # Detractors do not see the promoters' call-to-action.
    assert page.locator('[data-promoter="cta"]').count() == 0

    response = wait_for(lambda: Response.objects.filter(comment__startswith="Exports").first())
    assert response is not None
    assert (response.score, response.category) == (3, "detractor")
    assert response.comment == f"Exports are slow {XSS}"
    assert response.properties["plan"] == "enterprise"
    assert response.properties["account"] == "Analytical Engines Ltd"
    assert response.end_user.external_id == "demo-ada"
    assert Display.objects.filter(end_user=response.end_user).count() == 1
    assert page.alerts == []


def test_dismissing_records_a_decline_and_the_widget_stays_away_on_reload(demo, page):
    open_demo(page, "as=ben")
    page.locator('[data-promoter="dialog"]').wait_for(state="visible")
    with page.expect_response(lambda r: r.url.endswith("/i/v1/declines")):
        page.keyboard.press("Escape")
    page.locator('[data-promoter="dialog"]').wait_for(state="detached")
    assert wait_for(lambda: Decline.objects.filter(end_user__external_id="demo-ben").count()) == 1
    answer = open_demo(page, "as=ben")
    assert answer.json()["reason"] == "throttled_decline"
    page.wait_for_timeout(300)
    assert page.locator('[data-promoter="dialog"]').count() == 0
    assert Response.objects.count() == 0


def test_a_comment_with_markup_stays_inert_in_the_widget_and_the_dashboard(demo, page):
    open_demo(page, "as=chloe")
    page.locator('[data-promoter="score"][data-score="10"]').click()
    page.locator('[data-promoter="comment"]').fill(XSS)
    page.locator('[data-promoter="submit"]').click()
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    # A promoter sees the call-to-action, a plain link to the survey's review page.
    cta = page.locator('[data-promoter="cta"]')
    assert cta.get_attribute("href") == "https://example.com/review"
    assert wait_for(lambda: Response.objects.filter(comment=XSS).exists())

    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', "correct horse battery staple")
    page.click('button[type="submit"], input[type="submit"]')
    page.goto("/p/acme/responses/")
    assert page.get_by_text(XSS, exact=False).count() >= 1
    assert page.locator('img[src="x"]').count() == 0
    page.wait_for_timeout(200)
    assert page.alerts == []


def test_the_widget_works_on_a_page_that_resets_all_css(demo, page):
    open_demo(page, "as=diego&hostile=1")
    dialog = page.locator('[data-promoter="dialog"]')
    dialog.wait_for(state="visible")
    box = dialog.bounding_box()
    assert box is not None and box["width"] >= 280 and box["height"] >= 100
    position = page.evaluate(
        "() => getComputedStyle(document.getElementById('promoter-widget')).position"
    )
    assert position == "fixed"
    buttons = page.locator('[data-promoter="score"]')
    assert buttons.count() == 11
    first, last = buttons.nth(0).bounding_box(), buttons.nth(10).bounding_box()
    assert first["width"] >= 20 and last["width"] >= 20
    buttons.nth(8).click()
    page.locator('[data-promoter="comment"]').wait_for(state="visible")
    response = wait_for(lambda: Response.objects.filter(end_user__external_id="demo-diego").first())
    assert response is not None and response.score == 8


def test_a_retry_after_the_network_dropped_the_reply_stores_one_response(demo, page):
    cut: list[str] = []

    def commit_then_drop(route: Any) -> None:
        route.fetch()  # the server stores the response and answers...
        cut.append(route.request.post_data or "")
        route.abort("connectionreset")  # ...but the browser never sees the answer

    page.route("**/i/v1/responses", commit_then_drop)
    open_demo(page, "as=ada")
    # Wait on the events themselves, through Playwright (which runs the route's handler only
    # while it is called): the reply dropped after the server stored the response, then the
    # widget queued the send for a retry. A loaded machine only makes them come later.
    with page.expect_event(
        "requestfailed", lambda r: r.url.endswith("/i/v1/responses"), timeout=LONG_WAIT_MS
    ):
        page.locator('[data-promoter="score"][data-score="6"]').click()
    assert Response.objects.count() == 1
    page.wait_for_function("() => Promoter._state().queueLength >= 1", timeout=LONG_WAIT_MS)
    page.unroute("**/i/v1/responses")

    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")) as retried:
        page.reload()
    assert retried.value.status == 200  # the stored response, not a new one
    page.wait_for_function("() => Promoter._state().queueLength === 0", timeout=LONG_WAIT_MS)
    assert len(cut) == 1
    assert Response.objects.count() == 1
    person = EndUser.objects.get(external_id="demo-ada")
    assert Response.objects.get().end_user == person


def test_event_triggered_csat_shows_a_five_point_scale(demo, page):
    csat = Survey.objects.create(
        project=demo,
        name="Support CSAT",
        kind="csat",
        trigger_event="ticket_closed",
        texts={},
    )
    open_demo(page, "as=new")
    page.wait_for_timeout(200)
    page.locator('[data-promoter="dialog"]').wait_for(state="visible")
    page.keyboard.press("Escape")  # decline the NPS survey shown on load
    page.locator('[data-promoter="dialog"]').wait_for(state="detached")
    Survey.objects.filter(pk=csat.pk).update(is_active=True)
    demo.fatigue_days = 0
    demo.save(update_fields=["fatigue_days"])
    with page.expect_response(lambda r: r.url.endswith("/i/v1/eligibility")) as answer:
        page.click("#demo-ticket")
    assert answer.value.json()["survey"]["kind"] == "csat"
    buttons = page.locator('[data-promoter="score"]')
    buttons.first.wait_for(state="visible")
    assert buttons.count() == 5
    assert buttons.first.get_attribute("aria-label") == "1, Very unsatisfied"


# Words that mean a value leaked into the text a person reads instead of being left out.
STRAY = re.compile(r"\b(None|false|null|undefined|NaN|true)\b")


@pytest.mark.parametrize(
    ("score", "cta"),
    [(2, True), (7, True), (10, True), (10, False)],
    ids=["detractor", "passive", "promoter", "promoter-without-review-link"],
)
def test_every_step_of_the_widget_reads_without_a_stray_word(demo, page, score, cta):
    # The thank-you step showed "false" to a detractor (and would show "null" to a promoter
    # of a survey without a review link): its optional call-to-action was appended as is.
    if not cta:
        Survey.objects.filter(project=demo).update(cta_url="")
    open_demo(page, "as=new")
    dialog = page.locator('[data-promoter="dialog"]')
    dialog.wait_for(state="visible")
    seen = {"score": dialog.inner_text()}
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.locator(f'[data-promoter="score"][data-score="{score}"]').click()
    page.locator('[data-promoter="comment"]').wait_for(state="visible")
    seen["comment"] = dialog.inner_text()
    page.locator('[data-promoter="comment"]').fill("Fine")
    with page.expect_response(lambda r: "/i/v1/responses/" in r.url):
        page.locator('[data-promoter="submit"]').click()
    page.locator('[data-promoter="thanks"]').wait_for(state="visible")
    seen["thanks"] = dialog.inner_text()
    for step, text in seen.items():
        assert not STRAY.search(text), (step, text)
    assert page.locator('[data-promoter="cta"]').count() == (1 if cta and score == 10 else 0)


def test_a_survey_for_one_page_opens_when_a_single_page_app_reaches_it(demo, page):
    """The demo page at /demo/ is not /billing: nothing shows. The app then moves to /billing
    with history.pushState, no page load: the widget asks again and the survey opens."""
    Survey.objects.filter(project=demo).update(
        pages={"include": [{"op": "matches", "value": "/billing*"}]}
    )
    first = open_demo(page, "as=cy")
    assert first.json()["reason"] == "page"
    assert first.json()["watch_pages"] is True
    with page.expect_response(lambda r: r.url.endswith("/i/v1/eligibility")) as again:
        page.evaluate("() => history.pushState({}, '', '/billing/invoices')")
    reply = again.value
    assert reply.request.post_data_json["url"].endswith("/billing/invoices")
    assert reply.json()["eligible"] is True
    page.locator('[data-promoter="dialog"]').wait_for(state="visible")
    assert page.alerts == []
