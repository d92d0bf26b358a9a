"""The feedback button through the ingest API: offered whatever the eligibility, answered
with the channel ``button``, held to its daily limit per person, refused where there is none,
and refused calls write nothing."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from promoter.responses.models import Channel, Response
from promoter.surveys.services import survey_update

from .test_answers import call, respond

pytestmark = pytest.mark.usefixtures("clean_cache")


@pytest.fixture
def nps(world):
    survey = world.alpha.surveys.get(kind="nps")
    survey_update(survey=survey, data={"button": {**BUTTON}})
    return survey


BUTTON = {"placement": "left", "label": "Ideas?", "per_day": 2, "in_score": False}


def eligibility(world, **extra):
    body = {"key": world.alpha.public_key, "user": {"id": "u1"}, **extra}
    return call("POST", "eligibility", body).json()


def test_the_button_is_offered_even_when_no_survey_is_due(world, nps):
    respond(world, nps, 9)  # just answered: the survey itself is not due again
    answer = eligibility(world)
    assert answer["eligible"] is False
    button = answer["button"]
    assert (button["placement"], button["label"]) == ("left", "Ideas?")
    assert button["survey"]["id"] == str(nps.public_id)
    assert button["survey"]["texts"]["question"]  # the whole survey, to render on a click
    # Not on a channel the survey is not shown on.
    survey_update(survey=nps, data={"channels": ["ios"]})
    assert eligibility(world)["button"] is None


def test_no_button_no_offer(world):
    assert eligibility(world)["button"] is None


def test_button_answers_carry_their_channel_and_skip_the_resurvey_delay(world, nps):
    first = respond(world, nps, 3, source="button")
    assert first.status_code == 201, first.content
    second = respond(world, nps, 8, source="button", comment="Dark mode please")
    assert second.status_code == 201, second.content
    assert list(Response.objects.values_list("channel", flat=True)) == [Channel.BUTTON] * 2


def test_the_daily_limit_is_a_429_that_writes_nothing_and_retries_are_free(world, nps):
    rid = str(uuid.uuid4())
    assert respond(world, nps, 3, rid, source="button").status_code == 201
    assert respond(world, nps, 4, source="button").status_code == 201
    refused = respond(world, nps, 5, source="button")
    assert refused.status_code == 429
    assert refused.json()["fields"] == {"source": "over the feedback button's daily limit"}
    assert Response.objects.count() == 2
    # A retry of an answer already stored is not a new one.
    assert respond(world, nps, 3, rid, source="button").status_code == 200
    # A day later the limit starts again; the survey's own answers never counted.
    Response.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert respond(world, nps, 6, source="button").status_code == 201


def test_a_survey_without_a_button_refuses_button_answers(world):
    survey = world.alpha.surveys.get(kind="nps")
    refused = respond(world, survey, 5, source="button")
    assert refused.status_code == 400
    assert "source" in refused.json()["fields"]
    bad = respond(world, survey, 5, source="tab")
    assert bad.status_code == 400 and not Response.objects.exists()
