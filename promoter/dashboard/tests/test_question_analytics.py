"""The Answers page and the choice drivers of Top reasons: figures a hand count confirms, the
dashboard's filters, escaping, and tenant isolation."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from promoter.actions.responses import response_record
from promoter.analytics import metrics
from promoter.surveys.services import survey_create
from promoter.surveys.tests.asking import ask

QUESTIONS = (
    {"id": "reason", "type": "single_choice", "text": "What <b>matters</b> most?", "other": True,
     "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price & plans"}]},
    {"id": "features", "type": "multiple_choice", "text": "Which do you use?",
     "choices": [{"id": "api", "text": "API"}, {"id": "exports", "text": "Exports"}]},
    {"id": "stars", "type": "rating", "text": "Rate the docs"},
    {"id": "pmf", "type": "pmf", "text": ""},
    {"id": "why", "type": "text", "text": "Anything else?"},
)  # fmt: skip


def record(survey, score, answers, *, days_ago=1):
    when = timezone.now() - datetime.timedelta(days=days_ago)
    response, _ = response_record(
        survey=survey, score=score, person=None, channel="api", answers=answers, created_at=when
    )
    return response


@pytest.fixture
def answered(world):
    survey = ask(world.alpha.surveys.get(kind="nps"), *QUESTIONS)
    # 6 detractors: 5 say price, 1 says Other; 4 promoters say speed.
    for _ in range(5):
        record(survey, 2, {"reason": "price", "features": ["api"], "stars": 2,
                           "pmf": "not_disappointed"})  # fmt: skip
    record(survey, 4, {"reason": {"choices": [], "other": "The <script>alert(1)</script> UI"},
                       "why": "<img src=x onerror=alert(1)>"})  # fmt: skip
    for _ in range(4):
        record(survey, 10, {"reason": "speed", "features": ["api", "exports"], "stars": 5,
                            "pmf": "very_disappointed", "why": "Love it"})  # fmt: skip
    record(survey, 8, {})  # a passive who answered nothing more
    record(survey, 1, {"reason": "price"}, days_ago=200)  # outside the default 90 days
    return world, survey


def url(survey, slug="alpha"):
    return reverse("project-survey-answers", args=[slug, str(survey.public_id)])


def by_id(page):
    return {f.id: f for f in page.context["figures"]}


def test_the_page_counts_each_question_with_its_intervals(answered, django_assert_max_num_queries):
    world, survey = answered
    client = world.client_for("viewer")
    client.get(url(survey))  # session warm-up
    # Membership, survey, surveys, tags, count, three aggregations, one per text question.
    with django_assert_max_num_queries(12):
        page = client.get(url(survey))
    assert page.status_code == 200
    assert page.context["responses"] == 11
    figures = by_id(page)
    assert list(figures) == ["reason", "features", "stars", "pmf", "why"]
    reason = figures["reason"]
    assert reason.answered == 10
    counts = {s.choice: s.count for s in reason.shares}
    assert counts == {"speed": 4, "price": 5, "other": 1}
    price = next(s for s in reason.shares if s.choice == "price")
    assert price.percent == 50.0
    assert (price.low, price.high) == metrics.wilson_interval(5, 10)
    features = figures["features"]
    assert {s.choice: s.count for s in features.shares} == {"api": 9, "exports": 4}
    assert sum(s.percent or 0 for s in features.shares) > 100
    stars = figures["stars"]
    assert stars.rating is not None and stars.rating.mean is not None
    assert stars.rating.mean.mean == pytest.approx((5 * 2 + 4 * 5) / 9)
    assert [c for _v, c, _s in stars.rating.counts] == [0, 5, 0, 0, 4]
    pmf = figures["pmf"]
    assert pmf.pmf is not None and pmf.pmf.n == 9 and pmf.pmf.very == 4
    assert pmf.question["text"] == "How would you feel if you could no longer use Alpha?"
    why = figures["why"]
    assert why.answered == 5 and len(why.latest) == 5
    # The cross-tab: detractors picked price 5 times of 6, promoters never.
    rows = {whole.choice: cells for whole, cells in reason.crosstab_rows}
    cells = {cell.category: cell for cell in rows["price"]}
    assert (cells["detractor"].share.count, cells["detractor"].share.base) == (5, 6)
    assert (cells["promoter"].share.count, cells["promoter"].share.base) == (0, 4)
    html = page.content.decode()
    assert "95% interval" in html and "more than 100%" in html
    assert "Holm-Bonferroni" in html and 'id="crosstab-method"' in html
    assert "40% benchmark" in html


def test_user_text_is_escaped(answered):
    world, survey = answered
    html = world.client_for("viewer").get(url(survey)).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "What &lt;b&gt;matters&lt;/b&gt; most?" in html
    assert "Price &amp; plans" in html


def test_the_dashboard_filters_apply(answered):
    world, survey = answered
    client = world.client_for("viewer")
    detractors = client.get(url(survey), {"category": "detractor"})
    reason = by_id(detractors)["reason"]
    assert detractors.context["responses"] == 6
    assert {s.choice: s.count for s in reason.shares} == {"speed": 0, "price": 5, "other": 1}
    everything = client.get(url(survey), {"period": "all"})
    assert everything.context["responses"] == 12
    assert {s.choice: s.count for s in by_id(everything)["reason"].shares}["price"] == 6
    searched = client.get(url(survey), {"channel": "web"})
    assert searched.context["responses"] == 0
    assert all(f.answered == 0 for f in searched.context["figures"])


def test_another_projects_answers_never_show(answered):
    world, survey = answered
    theirs = ask(world.beta.surveys.get(kind="nps"), *QUESTIONS)
    for _ in range(3):
        record(theirs, 2, {"reason": "price", "why": "beta secret"})
    page = world.client_for("viewer").get(url(survey))
    assert by_id(page)["reason"].answered == 10
    assert "beta secret" not in page.content.decode()
    # A member of alpha cannot read beta's survey through alpha's address, nor beta's.
    assert world.client_for("viewer").get(url(theirs)).status_code == 404
    assert world.client_for("viewer").get(url(theirs, slug="beta")).status_code == 404


@pytest.mark.parametrize(("who", "status"), [("viewer", 200), ("owner", 200), ("outsider", 404)])
def test_who_may_read_the_page(answered, who, status):
    world, survey = answered
    assert world.client_for(who).get(url(survey)).status_code == status


def test_anonymous_is_sent_to_log_in_and_a_bad_id_is_404(answered):
    world, survey = answered
    assert world.client_for("anonymous").get(url(survey)).status_code == 302
    bad = reverse("project-survey-answers", args=["alpha", "not-a-uuid"])
    assert world.client_for("viewer").get(bad).status_code == 404


def test_the_survey_switch_goes_to_the_other_surveys_answers(answered):
    world, survey = answered
    csat = survey_create(project=world.alpha, kind="csat")
    reply = world.client_for("viewer").get(
        url(survey), {"survey": str(csat.public_id), "period": "30d"}
    )
    assert reply.status_code == 302
    assert reply["Location"].startswith(url(csat) + "?")
    assert "period=30d" in reply["Location"]
    page = world.client_for("viewer").get(url(csat))
    assert page.status_code == 200 and page.context["figures"] == []
    assert "no published questions" in page.content.decode()


def test_the_surveys_page_and_the_overview_link_to_the_answers(answered):
    world, survey = answered
    client = world.client_for("viewer")
    surveys = client.get(reverse("project-surveys", args=["alpha"])).content.decode()
    assert url(survey) in surveys
    overview = client.get(reverse("project-overview", args=["alpha"]), {"survey": survey.public_id})
    assert url(survey) in overview.content.decode()


def test_top_reasons_weighs_choices_as_drivers_like_tags(answered):
    world, _survey = answered
    cache.clear()
    page = world.client_for("viewer").get(reverse("project-reasons", args=["alpha"]))
    assert page.status_code == 200
    sections = {s["category"]: s for s in page.context["sections"]}
    drivers = {r.name: r for r in sections["detractor"]["choices"]}
    price = drivers["What <b>matters</b> most?: Price & plans"]
    assert price.kind == "choice" and price.count == 5
    total = [0] * 11
    for score, n in ((2, 5), (4, 1), (10, 4), (8, 1)):
        total[score] += n
    assert price.impact == pytest.approx(metrics.key_driver_impact(total, 5))
    assert price.impact == pytest.approx(100 * 5 / 11)
    assert price.share == pytest.approx(100 * 5 / 6)
    other = drivers["What <b>matters</b> most?: Other"]
    assert other.count == 1
    promoters = {r.name: r for r in sections["promoter"]["choices"]}
    assert promoters["Which do you use?: Exports"].count == 4
    assert promoters["Which do you use?: Exports"].impact is None
    html = page.content.decode()
    assert "What &lt;b&gt;matters&lt;/b&gt; most?: Price &amp; plans" in html
    assert 'data-drivers="choices"' in html


def test_a_where_condition_narrows_the_answers(answered):
    world, survey = answered
    response_record(
        survey=survey, score=9, person=None, channel="api", properties={"plan": "pro"},
        answers={"reason": "speed"}, created_at=timezone.now() - datetime.timedelta(hours=1),
    )  # fmt: skip
    page = world.client_for("viewer").get(url(survey), {"where": "plan:eq:pro"})
    assert page.context["responses"] == 1
    reason = by_id(page)["reason"]
    assert reason.answered == 1
    assert {s.choice: s.count for s in reason.shares} == {"speed": 1, "price": 0, "other": 0}
    assert "plan" in page.content.decode()


def test_a_csat_cross_tab_names_its_positive_neutral_and_negative_answers(world):
    survey = ask(
        survey_create(project=world.alpha, kind="csat"),
        {"id": "again", "type": "yes_no", "text": "Would you buy again?"},
    )
    for score, said in ((5, "yes"), (5, "yes"), (4, "yes"), (3, "no"), (1, "no"), (2, "no")):
        record(survey, score, {"again": said})
    page = world.client_for("viewer").get(url(survey))
    again = by_id(page)["again"]
    assert dict(again.crosstab_bases) == {"promoter": 3, "passive": 1, "detractor": 2}
    rows = {whole.choice: cells for whole, cells in again.crosstab_rows}
    assert [c.share.count for c in rows["yes"]] == [3, 0, 0]
    html = page.content.decode()
    assert "Positive" in html and "Neutral" in html and "Negative" in html
