"""The overview figure: one function, the same numbers on the dashboard, the REST API, the
Delighted-compatible API and ``promoter report``."""

from __future__ import annotations

import base64
import datetime
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.analytics import metrics
from promoter.analytics.figures import overview_figure
from promoter.analytics.selectors import ResponseFilter, histogram, histograms_by_period
from promoter.demo.seed import seed_project


@pytest.fixture
def seeded(world):
    until = timezone.now()
    seed_project(project=world.alpha, responses=400, seed=11, until=until)
    return world, until


def test_the_figure_is_the_histograms_statistics(seeded):
    world, until = seeded
    survey = world.alpha.surveys.get(kind="nps")
    flt = ResponseFilter(survey=survey, since=until - datetime.timedelta(days=60), until=until)
    figure = overview_figure(project=world.alpha, flt=flt, bucket="week", previous=True)
    bins = histogram(project=world.alpha, flt=flt)
    before = histogram(project=world.alpha, flt=flt.previous_period())
    assert figure.kind == "nps" and figure.histogram == bins and sum(bins) > 0
    assert figure.summary == metrics.summarize("nps", bins)
    assert figure.previous == metrics.summarize("nps", before)
    assert figure.change == metrics.compare("nps", bins, before)
    assert figure.bucket == "week"
    weeks = histograms_by_period(project=world.alpha, flt=flt, bucket="week")
    assert [(p.start, p.summary) for p in figure.trend] == [
        (start, metrics.summarize("nps", b)) for start, b in weeks
    ]


def test_the_previous_period_and_the_trend_only_when_asked(seeded):
    world, until = seeded
    survey = world.alpha.surveys.get(kind="csat")
    bounded = ResponseFilter(survey=survey, since=until - datetime.timedelta(days=30), until=until)
    plain = overview_figure(project=world.alpha, flt=bounded)
    assert (plain.previous, plain.change, plain.bucket, plain.trend) == (None, None, None, ())
    # Over all time there is no period before to compare with.
    endless = overview_figure(project=world.alpha, flt=ResponseFilter(survey=survey), previous=True)
    assert (endless.previous, endless.change) == (None, None)
    with pytest.raises(ValueError, match="bucket"):
        overview_figure(project=world.alpha, flt=bounded, bucket="year")


def test_every_interface_shows_the_same_figure(seeded):
    world, _until = seeded
    cache.clear()
    survey = world.alpha.surveys.get(kind="nps")
    figure = overview_figure(project=world.alpha, flt=ResponseFilter(survey=survey))
    assert figure.summary.n > 0

    page = world.client_for("viewer").get(
        reverse("project-overview", args=["alpha"]), {"period": "all"}
    )
    assert page.context["summary"] == figure.summary

    key = api_key_create(project=world.alpha, name="t").secret
    rest = Client().get(
        "/api/v1/metrics", {"survey": str(survey.public_id)}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    overall = rest.json()["overall"]
    assert (overall["n"], overall["score"]) == (figure.summary.n, figure.summary.score)

    basic = base64.b64encode(f"{key}:".encode()).decode()
    delighted = Client().get(
        "/delighted/v1/metrics.json?since=0&until=4102444800", HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert delighted.json()["response_count"] == figure.summary.n
    assert delighted.json()["promoter_count"] == figure.summary.promoters

    out = io.StringIO()
    call_command("report", project="alpha", survey="nps", since="1970-01-01", format="json",
                 stdout=out)  # fmt: skip
    whole = json.loads(out.getvalue())["rows"][0]
    assert (whole["n"], whole["nps"]) == (figure.summary.n, round(figure.summary.score, 2))
