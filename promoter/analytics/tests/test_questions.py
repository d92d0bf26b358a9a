"""The statistics of answers to additional questions, against values worked out by hand."""

from __future__ import annotations

import math
import random

import pytest

from promoter.analytics import metrics
from promoter.analytics import questions as q


def test_wilson_matches_known_values():
    # Wilson (1927) / Newcombe (1998) table: 5 of 10 and 0 of 10 at 95%.
    assert metrics.wilson_interval(5, 10) == pytest.approx((23.6593, 76.3407), abs=1e-3)
    low, high = metrics.wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-9) and high == pytest.approx(27.7533, abs=1e-3)
    # 81 of 263 (Newcombe's example 5): 0.2553 to 0.3662.
    assert metrics.wilson_interval(81, 263) == pytest.approx((25.53, 36.62), abs=0.01)


def test_a_share_is_of_those_who_answered_with_its_wilson_interval():
    tally = q.Tally(
        question="reason",
        type="single_choice",
        answered={3: 6, 10: 4},
        picks={"speed": {3: 1, 10: 4}, "price": {3: 5}, "other": {}},
    )
    question = {
        "id": "reason",
        "type": "single_choice",
        "other": True,
        "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}],
    }
    shares = q.choice_shares(question, tally)
    assert [(s.choice, s.count, s.base) for s in shares] == [
        ("speed", 5, 10),
        ("price", 5, 10),
        ("other", 0, 10),
    ]
    assert shares[0].percent == 50.0
    assert (shares[0].low, shares[0].high) == pytest.approx((23.6593, 76.3407), abs=1e-3)
    assert shares[2].label == "Other" and shares[2].high == pytest.approx(27.7533, abs=1e-3)


def test_multiple_choice_shares_can_add_up_to_more_than_100():
    tally = q.Tally(
        question="f", type="multiple_choice", answered={9: 4}, picks={"a": {9: 4}, "b": {9: 3}}
    )
    question = {"id": "f", "type": "multiple_choice", "choices": [{"id": "a", "text": "A"},
                {"id": "b", "text": "B"}]}  # fmt: skip
    shares = q.choice_shares(question, tally)
    assert sum(s.percent or 0 for s in shares) == pytest.approx(175.0)


def test_no_answers_give_no_share_and_no_error():
    share = q.share("a", "A", 0, 0)
    assert share.percent is None and share.low is None and share.high is None


def test_rating_mean_interval_uses_t_below_30_answers_and_z_from_30():
    # 1, 2, 3, 4, 5 once each: mean 3, s² = 2.5, SE = √0.5, t(0.975, 4) = 2.776.
    figure = q.rating_figure({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, (1, 5))
    assert figure.mean is not None
    half = metrics.t_quantile(0.975, 4) * math.sqrt(0.5)
    assert half == pytest.approx(1.9632, abs=1e-4)
    assert (figure.mean.low, figure.mean.high) == pytest.approx((3 - half, 3 + half))
    assert [row[1] for row in figure.counts] == [1, 1, 1, 1, 1]
    # 40 answers: 20 fours and 20 fives; s² = 40·0.25/39, z = 1.96.
    large = q.rating_figure({4: 20, 5: 20}, (1, 5))
    assert large.mean is not None
    se = math.sqrt(40 * 0.25 / 39 / 40)
    assert (large.mean.low, large.mean.high) == pytest.approx(
        (4.5 - metrics.Z95 * se, 4.5 + metrics.Z95 * se)
    )
    # Clipped to the scale, and one answer says nothing of the spread.
    assert q.rating_figure({5: 3}, (1, 5)).mean == metrics.Mean(3, 5.0, 5.0, 5.0, 0.0, 0.0)
    single = q.rating_figure({4: 1}, (1, 5)).mean
    assert single is not None and (single.low, single.high, single.se) == (1.0, 5.0, None)
    assert q.rating_figure({}, (0, 10)).mean is None


def test_a_rating_of_an_older_range_widens_the_distribution():
    figure = q.rating_figure({7: 2, 3: 1}, (1, 5))
    assert (figure.low, figure.high) == (1, 7)
    assert figure.counts[-1] == (7, 2, pytest.approx(200 / 3))


def test_the_ces_mean_is_the_same_computation():
    histogram = [0, 2, 3, 5, 9, 4, 1]
    summary = metrics.summarize("ces", histogram)
    mean = metrics.mean_interval(histogram, first=1)
    assert (summary.score, summary.low, summary.high, summary.se) == (
        mean.mean,
        mean.low,
        mean.high,
        mean.se,
    )


@pytest.mark.parametrize(
    ("very", "n", "verdict"), [(60, 100, "above"), (40, 100, "unclear"), (20, 100, "below")]
)
def test_pmf_score_is_the_very_disappointed_share_against_40_percent(very, n, verdict):
    score = q.pmf_score(very, n)
    assert score is not None
    assert score.percent == 100.0 * very / n
    assert (score.low, score.high) == metrics.wilson_interval(very, n)
    assert score.verdict == verdict and score.benchmark == 40.0
    assert q.pmf_score(0, 0) is None


def test_pmf_interval_by_hand():
    # 40 of 100: Wilson 30.94% to 49.80%, so 40% cannot be told apart.
    score = q.pmf_score(40, 100)
    assert score is not None
    assert (score.low, score.high) == pytest.approx((30.9401, 49.7997), abs=1e-3)


def test_holm_adjusts_step_down_by_hand():
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, max(0.06, 0.04·1) = 0.06.
    assert q.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert q.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert q.holm([]) == []
    with pytest.raises(ValueError):
        q.holm([1.5])


def test_holm_rejects_at_least_what_bonferroni_rejects():
    rng = random.Random(7)
    for _ in range(50):
        ps = [rng.random() ** 3 for _ in range(12)]
        adjusted = q.holm(ps)
        for p, a in zip(ps, adjusted, strict=True):
            assert a <= min(1.0, 12 * p) + 1e-12 and a >= p


def test_compare_shares_by_hand():
    # 70 of 100 vs 15 of 150, each with its Agresti-Coull standard error.
    comparison = metrics.compare_shares(70, 100, 15, 150)
    se = math.sqrt(metrics.share_se(70, 100) ** 2 + metrics.share_se(15, 150) ** 2)
    assert comparison.difference == pytest.approx(60.0)
    assert comparison.low == pytest.approx(60.0 - metrics.Z95 * se)
    n_adj = 100 + metrics.Z95**2
    adjusted = (70 + metrics.Z95**2 / 2) / n_adj
    assert metrics.share_se(70, 100) == pytest.approx(
        100 * math.sqrt(adjusted * (1 - adjusted) / n_adj)
    )
    assert comparison.significant
    assert metrics.compare_shares(1, 0, 1, 2).p_value is None
    # The CSAT comparison is the same test on the share of 4-5.
    csat = metrics.compare("csat", [30, 0, 0, 0, 70], [135, 0, 0, 0, 15])
    assert csat.p_value == pytest.approx(comparison.p_value)


def _tally(
    rng: random.Random, rates: dict[int, dict[str, float]], people: dict[int, int]
) -> q.Tally:
    answered: dict[int, int] = {}
    picks: dict[str, dict[int, int]] = {}
    for score, n in people.items():
        answered[score] = n
        for choice, rate in rates[score].items():
            picks.setdefault(choice, {})[score] = sum(rng.random() < rate for _ in range(n))
    return q.Tally(question="x", type="multiple_choice", answered=answered, picks=picks)


QUESTION = {
    "id": "x",
    "type": "multiple_choice",
    "other": False,
    "choices": [{"id": c, "text": c.title()} for c in ("price", "speed", "docs", "support")],
}


def test_the_crosstab_marks_a_planted_effect():
    rng = random.Random(1)
    flat = {"price": 0.2, "speed": 0.3, "docs": 0.25, "support": 0.2}
    planted = {**flat, "price": 0.7}
    rates = {3: planted, 8: flat, 10: flat}
    tally = _tally(rng, rates, {3: 120, 8: 80, 10: 150})
    [figure] = q.question_figures(
        kind="nps", questions=[QUESTION], tallies={("x", "multiple_choice"): tally}, responses=400
    )
    marked = {
        (cell.category, cell.share.choice)
        for cells in figure.crosstab.values()
        for cell in cells
        if cell.significant
    }
    assert ("detractor", "price") in marked
    # Detractors pick price more, so the others pick it less: the same effect, seen twice.
    assert marked <= {("detractor", "price"), ("promoter", "price"), ("passive", "price")}
    detractors_price = figure.crosstab["detractor"][0]
    assert detractors_price.versus_rest.difference is not None
    assert detractors_price.versus_rest.difference > 30
    assert detractors_price.adjusted_p is not None
    assert detractors_price.adjusted_p >= (detractors_price.versus_rest.p_value or 0)
    rows = figure.crosstab_rows
    assert [whole.choice for whole, _cells in rows] == ["price", "speed", "docs", "support"]
    assert [cell.category for cell in rows[0][1]] == ["promoter", "passive", "detractor"]
    assert dict(figure.crosstab_bases) == {"promoter": 150, "passive": 80, "detractor": 120}
    assert q.cells_tested([figure]) == 4 * 3


def test_the_crosstab_does_not_mark_noise_even_where_raw_p_values_would():
    rng = random.Random(11)
    flat = {"price": 0.2, "speed": 0.3, "docs": 0.25, "support": 0.2}
    rates = {s: flat for s in (2, 8, 10)}
    questions = [{**QUESTION, "id": f"q{i}"} for i in range(6)]
    tallies = {
        (f"q{i}", "multiple_choice"): _tally(rng, rates, {2: 60, 8: 60, 10: 60}) for i in range(6)
    }
    figures = q.question_figures(kind="nps", questions=questions, tallies=tallies, responses=180)
    cells = [c for f in figures for cs in f.crosstab.values() for c in cs]
    assert len(cells) == 6 * 4 * 3
    assert not any(cell.significant for cell in cells)
    # Without the adjustment, some of these 72 noise cells would have been marked.
    assert any((cell.versus_rest.p_value or 1) < 0.05 for cell in cells)


def test_questions_merged_keeps_the_newest_wording_and_every_choice():
    newest = [
        {"id": "r", "type": "single_choice", "text": "Why now?", "other": False,
         "choices": [{"id": "a", "text": "A2"}]},
        {"id": "end", "type": "message", "text": "Thanks"},
    ]  # fmt: skip
    older = [
        {"id": "r", "type": "single_choice", "text": "Why?", "other": True,
         "choices": [{"id": "a", "text": "A1"}, {"id": "b", "text": "B1"}]},
        {"id": "r", "type": "text", "text": "Why, in words?"},
        {"id": "p", "type": "pmf", "text": "Disappointed?"},
    ]  # fmt: skip
    merged = q.questions_merged([*newest, *older])
    assert [(m["id"], m["type"], m["text"]) for m in merged] == [
        ("r", "single_choice", "Why now?"),
        ("r", "text", "Why, in words?"),
        ("p", "pmf", "Disappointed?"),
    ]
    assert merged[0]["choices"] == [
        {"id": "a", "text": "A2", "offered": True},
        {"id": "b", "text": "B1", "offered": False},
    ]
    assert merged[0]["other"] is True
    assert [c["id"] for c in merged[2]["choices"]] == [
        "very_disappointed",
        "somewhat_disappointed",
        "not_disappointed",
    ]


def test_a_pmf_question_gets_its_score_from_the_figures():
    question = q.questions_merged([{"id": "p", "type": "pmf", "text": "?"}])
    tally = q.Tally(
        question="p",
        type="pmf",
        answered={9: 50, 3: 50},
        picks={"very_disappointed": {9: 45, 3: 5}, "not_disappointed": {9: 5, 3: 45}},
    )
    [figure] = q.question_figures(
        kind="nps", questions=question, tallies={("p", "pmf"): tally}, responses=120
    )
    assert figure.pmf is not None and figure.pmf.percent == 50.0
    assert figure.answered == 100 and figure.answered_percent == pytest.approx(100 * 100 / 120)
    assert [s.count for s in figure.shares] == [50, 0, 50]
