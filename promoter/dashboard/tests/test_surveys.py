"""The survey settings page: every eligibility setting, texts and look, edited by admins."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from promoter.surveys.forms import parse_targeting, render_targeting
from promoter.surveys.models import Survey
from promoter.surveys.services import survey_update

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
    "pages_include_text": "https://app.example.com/billing\n/projects/*/settings\ncontains docs",
    "pages_exclude_text": "# not while they leave\n/billing/cancel",
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
    assert survey.pages == {
        "include": [
            {"op": "equals", "value": "/billing"},
            {"op": "matches", "value": "/projects/*/settings"},
            {"op": "contains", "value": "docs"},
        ],
        "exclude": [{"op": "equals", "value": "/billing/cancel"}],
    }
    assert survey.texts["en"]["question"] == "Would you recommend {product} to your team?"
    assert "thank_you" not in survey.texts["en"]  # blank: back to the built-in text
    assert survey.look == {"primary_color": "#0f766e", "position": "bottom-left"}
    page = world.client_for("viewer").get(url(world, survey)).content.decode()
    assert "plan in pro, enterprise" in page
    assert "mrr_amount gte 100" in page
    assert "/billing\n/projects/*/settings\ncontains docs</textarea>" in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"targeting_text": "plan is pro"}, "targeting_text", "Line 1"),
        ({"targeting_text": "country exists\nplan in"}, "targeting_text", "Line 2"),
        ({"pages_include_text": "/home\nbilling"}, "pages_include_text", "Line 2"),
        ({"pages_exclude_text": "/billing?tab=2"}, "pages_exclude_text", "?query"),
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


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("plan eq pro", "pro"),
        ("seats gte 3", 3),
        ("seats lt -2.5", -2.5),
        ("beta_user eq false", False),
        ('zip eq "02139"', "02139"),  # quoted: stays text
        ('flag eq "true"', "true"),
        ("name contains Mary Ann", "Mary Ann"),
        ("ratio eq nan", "nan"),  # not a number to Python's float() alone
        ('plan in pro, "a, b", 100, "100"', ["pro", "a, b", 100, "100"]),
        ('note eq "say ""hi"""', 'say "hi"'),
        ("signed_up gte 2024-01-31", "2024-01-31"),
    ],
)
def test_targeting_values_keep_their_type_both_ways(line, value):
    (condition,) = parse_targeting(line)
    assert condition["value"] == value and type(condition["value"]) is type(value)
    assert parse_targeting(render_targeting([condition])) == [condition]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plan is pro", "Line 1 ('plan is pro'): write `property operator value`"),
        ("# comment\n\nplan in ,", "Line 3 ('plan in ,'): `in` needs a value"),
        ("mrr gte lots", "Line 1 ('mrr gte lots'): `gte` compares numbers or dates"),
        ('plan eq "open', "no closing quote"),
        ("country exists FR", "`exists` takes no value"),
    ],
)
def test_bad_targeting_lines_are_named(text, message):
    with pytest.raises(Exception) as caught:
        parse_targeting(text)
    assert message in " ".join(caught.value.messages)


def test_a_bad_targeting_line_is_shown_escaped_on_the_page(world):
    survey = nps(world)
    before = survey.targeting
    text = "plan in pro\n<script>x</script> is y"
    response = world.client_for("admin").post(url(world, survey), {**FORM, "targeting_text": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 2" in html
    assert "<script>x</script>" not in html
    survey.refresh_from_db()
    assert survey.targeting == before


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_viewers_and_members_cannot_save(world, role):
    survey = nps(world)
    before = {f.attname: getattr(survey, f.attname) for f in Survey._meta.concrete_fields}
    response = world.client_for(role).post(url(world, survey), FORM)
    assert response.status_code == 403
    survey.refresh_from_db()
    assert {f.attname: getattr(survey, f.attname) for f in Survey._meta.concrete_fields} == before
    create = world.client_for(role).post(
        reverse("project-surveys", args=["alpha"]), {"kind": "ces"}
    )
    assert create.status_code == 403
    assert world.alpha.surveys.count() == 1


def test_a_member_sees_disabled_fields(world):
    html = world.client_for("member").get(url(world, nps(world))).content.decode()
    assert 'name="resurvey_after_days" value="90" min="0" required disabled' in html
    assert "Save survey" not in html


def test_the_look_form_keeps_other_keys_and_blank_means_the_projects(world):
    survey = nps(world)
    survey.look = {"primary_color": "#111111", "kept": "by a later version"}
    survey.save()
    data = {**FORM, "primary_color": "", "text_color": "#222222", "position": "", "font": "serif"}
    assert world.client_for("owner").post(url(world, survey), data).status_code == 302
    survey.refresh_from_db()
    assert survey.look == {"kept": "by a later version", "text_color": "#222222", "font": "serif"}


def test_a_look_below_wcag_aa_is_refused_naming_the_field_and_nothing_is_saved(world):
    survey = nps(world)
    client = world.client_for("owner")
    for field, value, why in (
        ("text_color", "#aaaaaa", "text needs 4.5:1"),
        ("primary_color", "#f0f0f0", "the focus ring need 3:1"),
        ("radius", "99", "from 0 to 24"),
        ("logo_url", "http://example.com/logo.png", "https://"),
        ("font", "Comic Sans", "Select a valid choice"),
    ):
        reply = client.post(url(world, survey), {**FORM, field: value})
        assert reply.status_code == 200, field
        assert why in reply.content.decode(), field
        assert reply.context["form"].errors[field], field
    # The dark theme's colours are checked when the survey may show it.
    reply = client.post(url(world, survey), {**FORM, "theme": "auto", "dark_text_color": "#333333"})
    assert "dark_text_color" in reply.context["form"].errors
    survey.refresh_from_db()
    assert survey.look == {}
    # A readable look is saved, and the widget gets it over the defaults.
    good = {**FORM, "theme": "auto", "radius": "4", "font": "serif", "powered_by": "off",
            "logo_url": "https://cdn.example.com/logo.png"}  # fmt: skip
    assert client.post(url(world, survey), good).status_code == 302
    survey.refresh_from_db()
    assert survey.look == {"primary_color": "#0f766e", "position": "bottom-left", "theme": "auto",
                           "radius": "4", "font": "serif", "powered_by": "off",
                           "logo_url": "https://cdn.example.com/logo.png"}  # fmt: skip
    from promoter.surveys.payload import survey_payload

    look = survey_payload(project=world.alpha, survey=survey, locale="en")["look"]
    assert (look["font"], look["text_color"], look["dark_primary_color"]) == (
        "serif", "#111827", "#a5b4fc")  # fmt: skip


def test_survey_update_saves_only_the_fields_given(world):
    survey = nps(world)
    with CaptureQueriesContext(connection) as captured:
        survey_update(survey=survey, data={"name": "Renamed"})
    (update,) = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"name"' in update and "resurvey_after_days" not in update
    with pytest.raises(ValueError, match="not editable: project"):
        survey_update(survey=survey, data={"project": world.beta})


def test_pages_take_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for kind in ("csat", "ces"):
        world.client_for("owner").post(reverse("project-surveys", args=["alpha"]), {"kind": kind})
    client = world.client_for("viewer")
    with django_assert_max_num_queries(6):
        assert client.get(reverse("project-surveys", args=["alpha"])).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(url(world, nps(world))).status_code == 200


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
    unknown = reverse("project-survey", args=["alpha", "00000000-0000-0000-0000-000000000000"])
    assert world.client_for("owner").get(unknown).status_code == 404


def test_an_outsider_cannot_reach_a_survey_through_their_own_project(world):
    survey = nps(world)
    through_beta = reverse("project-survey", args=["beta", survey.public_id])
    outsider = world.client_for("outsider")
    assert outsider.get(through_beta).status_code == 404
    assert outsider.post(through_beta, FORM).status_code == 404
    assert outsider.get(url(world, survey)).status_code == 404
    survey.refresh_from_db()
    assert survey.name == "Net Promoter Score"
