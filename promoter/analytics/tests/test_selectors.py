"""Every selector's histogram equals the same figure computed from the raw rows in Python."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter, defaultdict

import pytest

from promoter.actions.projects import project_create
from promoter.analytics.metrics import summarize
from promoter.analytics.selectors import (
    NOT_SET,
    OTHER,
    ResponseFilter,
    bucket_start,
    funnel,
    histogram,
    histograms_by_channel,
    histograms_by_period,
    histograms_by_property,
    histograms_by_survey,
    histograms_by_tag,
    property_names,
    responses_for,
)
from promoter.demo.seed import seed_project
from promoter.responses.models import Display, Response, ResponseTag, Tag
from promoter.surveys.eligibility import Condition, matches
from promoter.surveys.scales import category_for

UNTIL = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from promoter.accounts.models import User

        owner = User.objects.create_user("seed-owner@example.com", "x" * 12)
        project = project_create(owner=owner, name="Seeded", slug="seeded")
        project.timezone = "America/New_York"
        project.save()
        seed_project(project=project, responses=1500, seed=7, until=UNTIL)
        survey = project.surveys.get(kind="nps")
        tags = [Tag.objects.create(project=project, name=n) for n in ("pricing", "speed")]
        picked = list(Response.objects.filter(survey=survey).order_by("pk")[:400])
        ResponseTag.objects.bulk_create(
            [ResponseTag(response=r, tag=tags[i % 2]) for i, r in enumerate(picked)]
            + [ResponseTag(response=r, tag=tags[1]) for r in picked[:50:2]]
        )
        yield project
        project.delete()
        owner.delete()


def rows(project, **filters):
    return list(
        Response.objects.filter(project=project, excluded=False, **filters).select_related("survey")
    )


def bins_of(scores, kind):
    low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
    counts = Counter(scores)
    return [counts.get(s, 0) for s in range(low, high + 1)]


@pytest.mark.django_db
def test_whole_histogram_and_summary_match_the_rows(seeded):
    for survey in seeded.surveys.all():
        raw = [r.score for r in rows(seeded, survey=survey)]
        bins = histogram(project=seeded, flt=ResponseFilter(survey=survey))
        assert bins == bins_of(raw, survey.kind)
        assert summarize(survey.kind, bins).n == len(raw) > 0


@pytest.mark.django_db
def test_filters_match_the_rows(seeded):
    survey = seeded.surveys.get(kind="nps")
    since = UNTIL - datetime.timedelta(days=120)
    conditions = (
        Condition("plan", "in", ["pro", "enterprise"]),
        Condition("mrr_amount", "gte", 50),
    )
    flt = ResponseFilter(
        survey=survey,
        since=since,
        until=UNTIL,
        channels=("web", "ios"),
        conditions=conditions,
        categories=("detractor", "passive"),
        has_comment=True,
    )
    expected = [
        r
        for r in rows(seeded, survey=survey)
        if since <= r.created_at < UNTIL
        and r.channel in ("web", "ios")
        and all(matches(c, r.properties) for c in conditions)
        and category_for("nps", r.score) in ("detractor", "passive")
        and r.comment
    ]
    assert expected, "the filter should select some seeded rows"
    assert histogram(project=seeded, flt=flt) == bins_of([r.score for r in expected], "nps")
    word = next(w for w in expected[0].comment.split() if len(w) > 4)
    searched = [r for r in rows(seeded, survey=survey) if word.lower() in r.comment.lower()]
    got = responses_for(project=seeded, flt=ResponseFilter(survey=survey, search=word)).count()
    assert got == len(searched)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "condition",
    [
        Condition("plan", "eq", "Pro"),
        Condition("plan", "ne", "free"),
        Condition("country", "not_in", ["US", "GB"]),
        Condition("mrr_amount", "lt", 100),
        Condition("account", "contains", "a"),
        Condition("variant", "exists"),
        Condition("nonexistent", "missing"),
    ],
    ids=lambda c: c.describe(),
)
def test_each_operator_matches_the_targeting_engine(seeded, condition):
    survey = seeded.surveys.get(kind="nps")
    expected = [r.score for r in rows(seeded, survey=survey) if matches(condition, r.properties)]
    flt = ResponseFilter(survey=survey, conditions=(condition,))
    assert histogram(project=seeded, flt=flt) == bins_of(expected, "nps")


@pytest.mark.django_db
@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_periods_in_the_project_timezone_match_the_rows(seeded, bucket):
    survey = seeded.surveys.get(kind="nps")
    tz = zoneinfo.ZoneInfo("America/New_York")
    since = UNTIL - datetime.timedelta(days=75)
    flt = ResponseFilter(survey=survey, since=since, until=UNTIL)
    series = histograms_by_period(project=seeded, flt=flt, bucket=bucket)
    grouped = defaultdict(list)
    for r in rows(seeded, survey=survey):
        if since <= r.created_at < UNTIL:
            grouped[bucket_start(r.created_at, bucket, tz)].append(r.score)
    got = {day: bins for day, bins in series if sum(bins)}
    assert got == {day: bins_of(scores, "nps") for day, scores in grouped.items()}
    days = [day for day, _ in series]
    assert days == sorted(days) and len(days) == len(set(days))


@pytest.mark.django_db
def test_property_values_top_other_and_not_set(seeded):
    survey = seeded.surveys.get(kind="nps")
    groups = defaultdict(list)
    for r in rows(seeded, survey=survey):
        value = r.properties.get("account")
        groups[NOT_SET if value in (None, "") else str(value)].append(r.score)
    result = histograms_by_property(
        project=seeded, flt=ResponseFilter(survey=survey), name="account", top=5
    )
    labels = [label for label, _ in result]
    named = sorted((k for k in groups if k != NOT_SET), key=lambda k: (-len(groups[k]), k))
    assert labels[:5] == named[:5]
    assert OTHER in labels
    total = sum(sum(bins) for _, bins in result)
    assert total == sum(len(v) for v in groups.values())
    for label, bins in result[:5]:
        assert bins == bins_of(groups[label], "nps")
    plans = dict(
        histograms_by_property(project=seeded, flt=ResponseFilter(survey=survey), name="plan")
    )
    for plan, bins in plans.items():
        assert bins == bins_of(groups_by(seeded, survey, "plan")[plan], "nps")


def groups_by(project, survey, name):
    groups = defaultdict(list)
    for r in rows(project, survey=survey):
        value = r.properties.get(name)
        groups[NOT_SET if value in (None, "") else str(value)].append(r.score)
    return groups


@pytest.mark.django_db
def test_tags_channels_and_surveys_match_the_rows(seeded, django_assert_max_num_queries):
    survey = seeded.surveys.get(kind="nps")
    flt = ResponseFilter(survey=survey)
    by_tag = defaultdict(list)
    for link in ResponseTag.objects.filter(response__survey=survey).select_related(
        "response", "tag"
    ):
        by_tag[link.tag.name].append(link.response.score)
    with django_assert_max_num_queries(2):
        tagged = histograms_by_tag(project=seeded, flt=flt)
    assert {tag.name: bins for tag, bins in tagged} == {
        name: bins_of(scores, "nps") for name, scores in by_tag.items()
    }
    by_channel = defaultdict(list)
    for r in rows(seeded, survey=survey):
        by_channel[r.channel].append(r.score)
    assert dict(histograms_by_channel(project=seeded, flt=flt)) == {
        c: bins_of(s, "nps") for c, s in by_channel.items()
    }
    with django_assert_max_num_queries(2):
        per_survey = histograms_by_survey(project=seeded)
    for each, bins in per_survey:
        assert bins == bins_of([r.score for r in rows(seeded, survey=each)], each.kind)
    tagged_only = ResponseFilter(survey=survey, tag_ids=(tagged[0][0].pk,))
    assert sum(histogram(project=seeded, flt=tagged_only)) == len(by_tag[tagged[0][0].name])


@pytest.mark.django_db
def test_funnel_counts_displays_declines_and_in_app_responses(seeded):
    survey = seeded.surveys.get(kind="nps")
    since = UNTIL - datetime.timedelta(days=30)
    flt = ResponseFilter(survey=survey, since=since, until=UNTIL)
    result = funnel(project=seeded, flt=flt)
    displays = Display.objects.filter(survey=survey, created_at__gte=since, created_at__lt=UNTIL)
    assert result.displays == displays.count() > 0
    in_app = [
        r
        for r in rows(seeded, survey=survey)
        if since <= r.created_at < UNTIL and r.channel in ("web", "ios", "android")
    ]
    assert result.responses == len(in_app)
    assert 0 < result.response_rate <= 100


@pytest.mark.django_db
def test_previous_period_and_property_names(seeded):
    survey = seeded.surveys.get(kind="nps")
    flt = ResponseFilter(survey=survey, since=UNTIL - datetime.timedelta(days=30), until=UNTIL)
    before = flt.previous_period()
    assert (before.since, before.until) == (UNTIL - datetime.timedelta(days=60), flt.since)
    names = property_names(project=seeded, survey=survey)
    assert {"plan", "account", "country"} <= set(names)
    # Most frequent first (ties by name), over the latest ``sample`` responses only.
    latest = list(
        Response.objects.filter(project=seeded, survey=survey)
        .order_by("-created_at")
        .values_list("properties", flat=True)[:50]
    )
    counted = Counter(name for properties in latest for name in properties)
    expected = sorted(counted, key=lambda name: (-counted[name], name))
    assert property_names(project=seeded, survey=survey, sample=50) == expected
    assert property_names(project=seeded, survey=survey, sample=0) == []


@pytest.mark.django_db
def test_a_parent_tag_filter_rolls_its_children_up_each_response_once(seeded):
    survey = seeded.surveys.get(kind="nps")
    pricing, speed = (
        Tag.objects.get(project=seeded, name="pricing"),
        Tag.objects.get(project=seeded, name="speed"),
    )
    parent = Tag.objects.create(project=seeded, name="product")
    Tag.objects.filter(pk__in=[pricing.pk, speed.pk]).update(parent=parent)
    try:
        carrying = {
            link.response_id
            for link in ResponseTag.objects.filter(
                response__survey=survey, tag__in=[pricing, speed]
            )
        }
        flt = ResponseFilter(survey=survey, tag_ids=(parent.pk,))
        assert responses_for(project=seeded, flt=flt).count() == len(carrying) > 0
        scores = [r.score for r in rows(seeded, survey=survey) if r.pk in carrying]
        assert histogram(project=seeded, flt=flt) == bins_of(scores, "nps")
        # A child tag alone still selects only its own responses.
        only = ResponseFilter(survey=survey, tag_ids=(speed.pk,))
        own = ResponseTag.objects.filter(response__survey=survey, tag=speed).count()
        assert responses_for(project=seeded, flt=only).count() == own
    finally:
        Tag.objects.filter(pk__in=[pricing.pk, speed.pk]).update(parent=None)
        parent.delete()


@pytest.mark.django_db
def test_sentiment_bands_match_the_rows(seeded):
    survey = seeded.surveys.get(kind="nps")
    values = [-0.8, -0.05, -0.0499, 0.0, 0.0499, 0.05, 0.9, None]
    picked = list(Response.objects.filter(survey=survey).order_by("-pk")[: len(values)])
    originals = {r.pk: r.sentiment for r in picked}
    for response, value in zip(picked, values, strict=True):
        response.sentiment = value
    Response.objects.bulk_update(picked, ["sentiment"])
    try:
        ids = {r.pk for r in picked}

        def selected(*labels):
            flt = ResponseFilter(survey=survey, sentiments=labels)
            got = responses_for(project=seeded, flt=flt).filter(pk__in=ids)
            return sorted(got.values_list("sentiment", flat=True))

        assert selected("negative") == [-0.8, -0.05]
        assert selected("neutral") == [-0.0499, 0.0, 0.0499]
        assert selected("positive") == [0.05, 0.9]
        assert selected("negative", "positive") == [-0.8, -0.05, 0.05, 0.9]
        with pytest.raises(ValueError, match="unknown sentiment"):
            selected("angry")
    finally:
        for response in picked:
            response.sentiment = originals[response.pk]
        Response.objects.bulk_update(picked, ["sentiment"])
