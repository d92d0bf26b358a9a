"""The survey settings page: every eligibility setting, texts and look, edited by admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from promoter.surveys.forms import parse_targeting, render_targeting
from promoter.surveys.models import Survey

FORM = {
    "name": "NPS in app",
    "is_active": "on",
    "channels": ["web", "ios"],
    "trigger_event": " checkout_completed ",
    "delay_seconds": "5",
    "first_survey_after_days": "14",
    "resurvey_after_days": "120",
    "after_decline_days": "45",
    "sampling_percent": "25",
    "anonymous_sampling_percent": "5",
    "daily_cap": "200",
    "cta_url": "https://example.com/review",
    "targeting_text": "plan in pro, enterprise\nmrr_amount gte 100\ncountry exists",
    "text_question": "Would you recommend {product} to your team?",
    "text_thank_you": "",
    "primary_color": "#0f766e",
    "position": "bottom-left",
}


def url(world, survey: Survey) -> str:
    return reverse("project-survey", args=[world.alpha.slug, survey.public_id])


def nps(world) -> Survey:
    return world.alpha.surveys.get(kind="nps")


def test_an_admin_saves_every_setting(world):
    survey = nps(world)
    response = world.client_for("admin").post(url(world, survey), FORM)
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.name == "NPS in app"
    assert survey.channels == ["web", "ios"]
    assert survey.trigger_event == "checkout_completed"
    assert (survey.delay_seconds, survey.first_survey_after_days) == (5, 14)
    assert (survey.resurvey_after_days, survey.after_decline_days) == (120, 45)
    assert (survey.sampling_percent, survey.anonymous_sampling_percent) == (25, 5)
    assert survey.daily_cap == 200
    assert survey.targeting == [
        {"property": "plan", "op": "in", "value": ["pro", "enterprise"]},
        {"property": "mrr_amount", "op": "gte", "value": 100},
        {"property": "country", "op": "exists", "value": None},
    ]
    assert survey.texts["en"]["question"] == "Would you recommend {product} to your team?"
    assert "thank_you" not in survey.texts["en"]  # blank: back to the built-in text
    assert survey.look == {"primary_color": "#0f766e", "position": "bottom-left"}
    page = world.client_for("viewer").get(url(world, survey)).content.decode()
    assert "plan in pro, enterprise" in page
    assert "mrr_amount gte 100" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"targeting_text": "plan is pro"}, "targeting_text", "Line 1"),
        ({"targeting_text": "country exists\nplan in"}, "targeting_text", "Line 2"),
        ({"sampling_percent": "101"}, "sampling_percent", "100"),
        ({"primary_color": "teal"}, "primary_color", "#rrggbb"),
        ({"resurvey_after_days": "-1"}, "resurvey_after_days", ""),
        ({"cta_url": "not a url"}, "cta_url", ""),
    ],
)
def test_invalid_settings_are_shown_and_nothing_is_saved(world, change, field, message):
    survey = nps(world)
    response = world.client_for("owner").post(url(world, survey), {**FORM, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    survey.refresh_from_db()
    assert survey.name == "Net Promoter Score"


def test_targeting_lines_round_trip():
    text = "plan in pro, enterprise\nseats gt 2.5\nbeta_user eq true\nregion missing"
    assert render_targeting(parse_targeting(text)) == text


def test_the_page_shows_the_defaults(world):
    page = world.client_for("viewer").get(url(world, nps(world))).content.decode()
    assert "Default 90." in page and "Default 30." in page
    assert "Save survey" not in page  # read-only for a viewer


def test_an_admin_creates_a_csat_survey(world):
    response = world.client_for("admin").post(
        reverse("project-surveys", args=["alpha"]), {"kind": "csat"}
    )
    survey = world.alpha.surveys.get(kind="csat")
    assert response["Location"] == url(world, survey)
    assert (
        world.client_for("admin")
        .post(reverse("project-surveys", args=["alpha"]), {"kind": "xyz"})
        .status_code
        == 302
    )
    assert world.alpha.surveys.count() == 2


def test_another_projects_survey_is_not_found(world):
    other = world.beta.surveys.get()
    response = world.client_for("owner").get(url(world, other))
    assert response.status_code == 404
    assert world.client_for("owner").post(url(world, other), FORM).status_code == 404
    other.refresh_from_db()
    assert other.name != "NPS in app"
    bad = reverse("project-survey", args=["alpha", "not-a-uuid"])
    assert world.client_for("owner").get(bad).status_code == 404
