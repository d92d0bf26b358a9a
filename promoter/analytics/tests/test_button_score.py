"""The feedback button's answers stay out of the survey's score by default, on the rollups'
path and the raw one alike, while the Feedback stream lists them; the setting counts them,
and the Overview says which is in effect."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from promoter.actions.responses import response_record
from promoter.analytics import rollups
from promoter.analytics.selectors import (
    ResponseFilter,
    histogram,
    histograms_by_property,
    histograms_by_survey,
    response_count,
)
from promoter.people.services import Identity
from promoter.responses.models import Channel
from promoter.surveys.services import survey_update

BUTTON = {"placement": "right", "label": "Feedback", "per_day": 20, "in_score": False}


@pytest.fixture
def answered(world):
    """Alpha's NPS survey with a button: two 10s asked by the survey, three 0s through the
    button, all two days ago (whole days: the rollups answer them)."""
    survey = world.alpha.surveys.get(kind="nps")
    survey_update(survey=survey, data={"button": dict(BUTTON)})
    when = timezone.now() - datetime.timedelta(days=2)
    for i, (score, channel) in enumerate([(10, "web")] * 2 + [(0, Channel.BUTTON)] * 3):
        response_record(
            survey=survey,
            score=score,
            person=Identity(external_id=f"p{i}", properties={"plan": "pro"}),
            channel=channel,
            created_at=when,
        )
    return survey


def figures(world, survey):
    flt = ResponseFilter(survey=survey, since=timezone.now() - datetime.timedelta(days=30))
    by_plan = histograms_by_property(project=world.alpha, flt=flt, name="plan")
    by_survey = dict(histograms_by_survey(project=world.alpha, since=flt.since))
    return (
        histogram(project=world.alpha, flt=flt),
        dict(by_plan)["pro"],
        by_survey[survey],
        response_count(project=world.alpha, flt=flt),
    )


@pytest.mark.parametrize("raw", [False, True])
def test_button_answers_stay_out_of_the_score_unless_counted(world, answered, raw):
    with rollups.raw_only() if raw else contextlib.nullcontext():
        histogram_, by_plan, by_survey, n = figures(world, answered)
    assert histogram_[0] == 0 and histogram_[10] == 2 and n == 2
    assert by_plan[0] == 0 and by_plan[10] == 2
    assert by_survey[0] == 0 and by_survey[10] == 2
    survey_update(survey=answered, data={"button": {**BUTTON, "in_score": True}})
    with rollups.raw_only() if raw else contextlib.nullcontext():
        histogram_, by_plan, by_survey, n = figures(world, answered)
    assert histogram_[0] == 3 and histogram_[10] == 2 and n == 5
    assert by_plan[0] == 3 and by_survey[0] == 3


def test_the_feedback_stream_lists_them_and_the_overview_says_they_are_left_out(world, answered):
    client = world.client_for("viewer")
    feed = client.get(reverse("project-responses", args=["alpha"]), {"period": "30d"})
    assert len(feed.context["cards"]) == 5
    overview = client.get(reverse("project-overview", args=["alpha"]), {"period": "30d"})
    html = overview.content.decode()
    assert "Leaves out the 3 answers given through the feedback button" in html
    survey_update(survey=answered, data={"button": {**BUTTON, "in_score": True}})
    overview = client.get(reverse("project-overview", args=["alpha"]), {"period": "30d"})
    assert "Counts the 3 answers given through the feedback button" in overview.content.decode()


def test_a_survey_without_a_button_says_nothing_of_it(world):
    overview = world.client_for("viewer").get(reverse("project-overview", args=["alpha"]))
    assert 'data-figure="button"' not in overview.content.decode()
