"""The survey's look and the feedback button in a real browser: the dark theme follows the
person's preference, the font, radius, logo and "Powered by" follow the settings, and the
feedback tab opens its survey on demand, by keyboard too, storing the answer with the channel
``button`` and no display."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.ingest.tests.widget_page import open_demo, wait_for
from promoter.responses.models import Channel, Display, Response
from promoter.surveys.models import Survey
from promoter.surveys.services import survey_update

pytestmark = pytest.mark.django_db(transaction=True)

LOOK = {
    "theme": "auto",
    "font": "serif",
    "radius": "0",
    "powered_by": "off",
    "primary_color": "#0f766e",
    "logo_url": "https://cdn.example.com/logo.png",
}


def dialog_style(page: Any, prop: str) -> str:
    return page.evaluate(
        """(prop) => {
            const d = document.getElementById("promoter-widget").shadowRoot
                .querySelector("[data-promoter=dialog]");
            return getComputedStyle(d)[prop];
        }""",
        prop,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_look_and_the_persons_colour_scheme(demo, page, scheme):
    survey = Survey.objects.get(project=demo, kind="nps")
    survey_update(survey=survey, data={"look": LOOK})
    page.emulate_media(color_scheme=scheme)
    open_demo(page, "as=ada")
    page.locator('[data-promoter="score"]').first.wait_for(state="visible")
    background = dialog_style(page, "backgroundColor")
    assert background == ("rgb(31, 41, 55)" if scheme == "dark" else "rgb(255, 255, 255)")
    assert "Georgia" in dialog_style(page, "fontFamily")
    assert dialog_style(page, "borderTopLeftRadius") == "0px"
    logo = page.locator("[data-promoter=dialog] img")
    assert logo.get_attribute("src") == LOOK["logo_url"] and logo.get_attribute("alt") == ""
    assert page.locator("[data-promoter=dialog] [part=powered-by]").count() == 0
    # The page's own CSS restyles the documented parts.
    page.add_style_tag(content="#promoter-widget::part(dialog){background-color:rgb(1, 2, 3)}")
    assert dialog_style(page, "backgroundColor") == "rgb(1, 2, 3)"


def test_the_feedback_tab_opens_its_survey_on_demand_by_keyboard(demo, page):
    survey = Survey.objects.get(project=demo, kind="nps")
    button = {"placement": "left", "label": "Ideas?", "per_day": 3, "in_score": False}
    # Never shown by itself (a sample of 0 %): only the tab opens it.
    survey_update(survey=survey, data={"button": button, "sampling_percent": 0})
    Survey.objects.filter(project=demo).exclude(pk=survey.pk).update(is_active=False)
    reply = open_demo(page, "as=ben")
    assert reply.json()["eligible"] is False
    tab = page.get_by_role("button", name="Ideas?")
    tab.wait_for(state="visible")
    assert page.locator('[data-promoter="score"]').count() == 0
    tab.focus()
    page.keyboard.press("Enter")
    score = page.locator('[data-promoter="score"][data-score="8"]')
    score.wait_for(state="visible")
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")) as sent:
        score.click()
    assert sent.value.status == 201, sent.value.text()
    stored = wait_for(lambda: Response.objects.filter(end_user__external_id="demo-ben").first())
    assert stored.channel == Channel.BUTTON and stored.score == 8
    assert not Display.objects.filter(end_user__external_id="demo-ben").exists()
