"""Overview, Segments, Compare and Feedback: figures, URL state, live updates, CSV, queries."""

from __future__ import annotations

import csv
import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from promoter.analytics import metrics
from promoter.analytics.selectors import ResponseFilter, histogram, histograms_by_property
from promoter.demo.seed import seed_project
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create
from promoter.surveys.eligibility import Condition


@pytest.fixture
def seeded(world):
    seed_project(project=world.alpha, responses=600, seed=3, until=timezone.now())
    return world


def nps(world):
    return world.alpha.surveys.get(kind="nps")


def figure(world, **kwargs) -> metrics.Summary:
    now = timezone.now()
    flt = ResponseFilter(
        survey=nps(world), since=now - datetime.timedelta(days=90), until=now, **kwargs
    )
    return metrics.summarize("nps", histogram(project=world.alpha, flt=flt))


def test_overview_shows_the_selector_figure_with_its_interval(
    seeded, django_assert_max_num_queries
):
    client = seeded.client_for("viewer")
    client.get(reverse("project-overview", args=["alpha"]))  # session warm-up
    # The trend reads the rollups' whole days and the period's partial ends: two queries.
    with django_assert_max_num_queries(14):
        page = client.get(reverse("project-overview", args=["alpha"]))
    html = page.content.decode()
    expected = figure(seeded)
    assert f"{expected.score:+.0f}" in html
    assert f"95% interval {expected.low:+.0f} to {expected.high:+.0f}" in html
    assert 'data-chart="trend"' in html and 'id="trend-data"' in html
    assert "vs the previous 90 days" in html or "No responses in the previous" in html
    assert "/vendor/" in html and "plotly.min.js" in html


@pytest.mark.parametrize("kind", ["csat", "ces"])
def test_the_survey_switch_shows_csat_and_ces(seeded, kind):
    survey = seeded.alpha.surveys.get(kind=kind)
    page = seeded.client_for("viewer").get(
        reverse("project-overview", args=["alpha"]), {"survey": str(survey.public_id)}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert ("CSAT" if kind == "csat" else "Customer Effort Score") in html


def test_segments_compare_each_value_with_the_rest_and_link_a_filter(
    seeded, django_assert_max_num_queries
):
    client = seeded.client_for("viewer")
    url = reverse("project-segments", args=["alpha"])
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url, {"by": "plan"})
    rows = page.context["rows"]
    assert {r["value"] for r in rows} >= {"pro", "enterprise"}
    enterprise = next(r for r in rows if r["value"] == "enterprise")
    assert (
        enterprise["summary"].n
        == figure(seeded, conditions=(Condition("plan", "eq", "enterprise"),)).n
    )
    assert "where=plan%3Aeq%3Aenterprise" in enterprise["filter"]
    filtered = client.get(url + enterprise["filter"] + "&by=plan")
    assert filtered.context["whole"].n == enterprise["summary"].n
    assert "plan eq &#x27;enterprise&#x27;" in filtered.content.decode()


def test_accounts_at_risk_are_the_same_from_one_aggregation_of_the_account_property(seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = seeded.client_for("viewer")
    url = reverse("project-segments", args=["alpha"])
    client.get(url)
    with CaptureQueriesContext(connection) as by_plan:
        plan_page = client.get(url, {"by": "plan"})
    with CaptureQueriesContext(connection) as by_account:
        account_page = client.get(url, {"by": "account"})
    at_risk = account_page.context["accounts"]
    assert at_risk, "the seeded data has unhappy accounts"
    assert [(a["account"], a["summary"], a["trend"]) for a in at_risk] == [
        (a["account"], a["summary"], a["trend"]) for a in plan_page.context["accounts"]
    ]
    # Each account's figure is the raw one for that account.
    worst = at_risk[0]
    assert worst["summary"] == figure(
        seeded, conditions=(Condition("account", "eq", worst["account"]),)
    )
    # By account: the page and "at risk now" share one aggregation (by plan they are two).
    now = timezone.now()
    flt = ResponseFilter(survey=nps(seeded), since=now - datetime.timedelta(days=90), until=now)
    with CaptureQueriesContext(connection) as one:
        histograms_by_property(project=seeded.alpha, flt=flt, name="account", top=None)
    assert len(one.captured_queries) >= 1
    assert len(by_account.captured_queries) == len(by_plan.captured_queries) - len(
        one.captured_queries
    )


def test_compare_a_b_variants(seeded, django_assert_max_num_queries):
    client = seeded.client_for("viewer")
    client.get(reverse("project-compare", args=["alpha"]))
    with django_assert_max_num_queries(8):
        page = client.get(
            reverse("project-compare", args=["alpha"]),
            {"period": "365d", "a": "variant:eq:B", "b": "variant:eq:A", "delta": "5"},
        )
    comparison = page.context["comparison"]
    a, b = page.context["a"]["summary"], page.context["b"]["summary"]
    assert a.n > 0 and b.n > 0
    assert comparison.difference == pytest.approx(a.score - b.score)
    assert page.context["needed"] > 100
    assert "each group needs about" in page.content.decode()


def test_bad_filters_are_reported_not_crashing(seeded):
    page = seeded.client_for("viewer").get(
        reverse("project-overview", args=["alpha"]),
        {"period": "forever", "where": "nonsense", "survey": "x", "tag": "not-a-uuid"},
    )
    assert page.status_code == 200
    problems = page.context["view"].problems
    assert len(problems) == 3


def test_the_feedback_stream_pages_filters_and_escapes(seeded, django_assert_max_num_queries):
    person = EndUser.objects.filter(project=seeded.alpha).first()
    response_create(
        public_id=uuid.uuid4(),
        survey=nps(seeded),
        end_user=person,
        score=2,
        comment="<img src=x onerror=alert(1)> =HYPERLINK(1)",
        now=timezone.now(),
    )
    client = seeded.client_for("viewer")
    url = reverse("project-responses", args=["alpha"])
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url, {"category": "detractor"})
    html = page.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    assert all(card.score <= 6 for card in page.context["cards"])
    assert 'hx-trigger="every 2s"' in html


def test_the_live_poll_returns_only_new_cards(seeded):
    client = seeded.client_for("viewer")
    url = reverse("project-responses", args=["alpha"])
    first = client.get(url)
    newest = first.context["newest"]
    at = first.context["at"]
    assert client.get(url, {"after": str(newest), "at": at}).status_code == 204
    person = EndUser.objects.filter(project=seeded.alpha).first()
    fresh = uuid.uuid4()
    response_create(
        public_id=fresh, survey=nps(seeded), end_user=person, score=10, comment="Brand new",
        now=timezone.now(),
    )  # fmt: skip
    poll = client.get(url, {"after": str(newest), "at": at})
    html = poll.content.decode()
    assert poll.status_code == 200
    assert "Brand new" in html and html.count("data-response=") == 1
    assert 'hx-swap-oob="true"' in html and f"after={fresh}" in html


def test_csv_export_of_the_current_view(seeded):
    person = EndUser.objects.filter(project=seeded.alpha).first()
    response_create(
        public_id=uuid.uuid4(), survey=nps(seeded), end_user=person, score=0,
        comment="=cmd|' /C calc'!A0", now=timezone.now(),
    )  # fmt: skip
    client = seeded.client_for("viewer")
    reply = client.get(reverse("project-responses-csv", args=["alpha"]), {"category": "detractor"})
    assert reply["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    expected = Response.objects.filter(
        survey=nps(seeded),
        score__lte=6,
        created_at__gte=timezone.now() - datetime.timedelta(days=90),
    ).count()
    assert len(rows) == expected
    assert {r["category"] for r in rows} == {"detractor"}
    assert any(r["comment"] == "'=cmd|' /C calc'!A0" for r in rows)


def test_report_command_prints_the_same_figures(seeded):
    out = io.StringIO()
    call_command("report", project="alpha", since="90d", by="plan", format="json", stdout=out)
    import json

    document = json.loads(out.getvalue())
    whole = document["rows"][0]
    expected = figure(seeded)
    assert whole["nps"] == pytest.approx(expected.score, abs=0.01)
    assert (whole["low"], whole["high"]) == (round(expected.low, 2), round(expected.high, 2))
    assert whole["n"] == expected.n
    assert {r["group"] for r in document["rows"][1:]} >= {"pro", "enterprise"}
    table = io.StringIO()
    call_command("report", project="alpha", stdout=table)
    assert "(all)" in table.getvalue()


def test_report_command_refuses_bad_input(seeded):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no project"):
        call_command("report", project="nope")
    with pytest.raises(CommandError, match="--since"):
        call_command("report", project="alpha", since="yesterday")
    with pytest.raises(CommandError, match="--where"):
        call_command("report", project="alpha", where=["plan"])


def test_a_comment_sent_after_the_score_updates_its_card(seeded):
    from promoter.responses.services import response_comment_set

    client = seeded.client_for("viewer")
    url = reverse("project-responses", args=["alpha"])
    person = EndUser.objects.filter(project=seeded.alpha).first()
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=nps(seeded), end_user=person, score=4, now=timezone.now()
    )
    page = client.get(url)
    assert page.context["newest"] == response.public_id
    at = page.context["at"]
    assert client.get(url, {"after": str(response.public_id), "at": at}).status_code == 204
    response_comment_set(
        response=response,
        comment="Arrived later",
        now=timezone.now() + datetime.timedelta(seconds=1),
    )
    poll = client.get(url, {"after": str(response.public_id), "at": at})
    html = poll.content.decode()
    assert poll.status_code == 200
    assert f'id="r-{response.public_id}"' in html and "Arrived later" in html
    assert html.count('hx-swap-oob="true"') == 2  # the updated card and the poller


def test_a_tag_chip_filters_the_stream_by_that_tag(seeded):
    from promoter.responses.models import ResponseTag, Tag

    tag = Tag.objects.create(project=seeded.alpha, name="pricing")
    tagged = list(Response.objects.filter(survey=nps(seeded)).order_by("-created_at")[:3])
    ResponseTag.objects.bulk_create([ResponseTag(response=r, tag=tag) for r in tagged])
    client = seeded.client_for("viewer")
    url = reverse("project-responses", args=["alpha"])
    html = client.get(url).content.decode()
    assert f"tag={tag.public_id}" in html
    page = client.get(url, {"tag": str(tag.public_id), "period": "all"})
    assert {c.public_id for c in page.context["cards"]} == {r.public_id for r in tagged}
    assert "tag pricing" in page.content.decode()


def test_sentiment_is_a_filter_and_a_column(seeded):
    from promoter.text.sentiment import sentiment_for

    rows = list(Response.objects.filter(survey=nps(seeded)).exclude(comment=""))
    for row in rows:
        row.sentiment = sentiment_for(row.comment)
    Response.objects.bulk_update(rows, ["sentiment"])
    client = seeded.client_for("viewer")
    url = reverse("project-responses", args=["alpha"])
    since = timezone.now() - datetime.timedelta(days=90)
    in_period = [r for r in rows if r.created_at >= since]
    by_label = {
        "negative": [r for r in in_period if r.sentiment <= -0.05],
        "neutral": [r for r in in_period if -0.05 < r.sentiment < 0.05],
        "positive": [r for r in in_period if r.sentiment >= 0.05],
    }
    assert all(by_label.values())  # the seeded comments span every band
    for label, expected in by_label.items():
        page = client.get(url, {"sentiment": label})
        assert page.context["page"].paginator.count == len(expected), label
        shown = page.context["cards"]
        assert {r.public_id for r in shown} <= {r.public_id for r in expected}
        html = page.content.decode()
        assert f'<span class="sentiment {label}"' in html
        assert f"{label} sentiment</span>" in html  # the active-filter chip
        assert f'<option value="{label}" selected>' in html
    both = client.get(url, {"sentiment": ["negative", "neutral"]})
    assert both.context["page"].paginator.count == len(by_label["negative"]) + len(
        by_label["neutral"]
    )
    # An unknown value is ignored, like other filters.
    assert client.get(url, {"sentiment": "angry"}).context["view"].filter.sentiments == ()
    # Figures follow the filter: the overview's score is that of the negative comments.
    overview = client.get(reverse("project-overview", args=["alpha"]), {"sentiment": "negative"})
    expected_bins = [0] * 11
    for r in by_label["negative"]:
        expected_bins[r.score] += 1
    assert overview.context["summary"].n == sum(expected_bins)
    reply = client.get(reverse("project-responses-csv", args=["alpha"]), {"sentiment": "positive"})
    exported = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    assert len(exported) == len(by_label["positive"])
    assert all(float(r["sentiment"]) >= 0.05 for r in exported)
