import pytest

from promoter.analytics.metrics import summarize


def test_nps_from_histogram():
    # 20 detractors (scores 0-6), 30 passives (7-8), 50 promoters (9-10): NPS = 50 - 20 = 30.
    histogram = [2, 2, 2, 2, 4, 4, 4, 15, 15, 25, 25]
    summary = summarize("nps", histogram)
    assert (summary.n, summary.promoters, summary.passives, summary.detractors) == (100, 50, 30, 20)
    assert summary.score == pytest.approx(30.0)


def test_csat_is_the_share_of_4_and_5():
    summary = summarize("csat", [5, 5, 10, 40, 40])
    assert summary.score == pytest.approx(80.0)
    assert (summary.detractors, summary.passives, summary.promoters) == (10, 10, 80)


def test_ces_is_the_mean_on_1_to_7():
    summary = summarize("ces", [0, 0, 0, 0, 1, 0, 1])
    assert summary.score == pytest.approx(6.0)
    assert summary.promoters == 2


def test_empty_histogram_has_no_score():
    assert summarize("nps", [0] * 11).score is None


@pytest.mark.parametrize(("kind", "bins"), [("nps", 10), ("csat", 7), ("ces", 5), ("xyz", 11)])
def test_wrong_shapes_are_refused(kind, bins):
    with pytest.raises(ValueError):
        summarize(kind, [1] * bins)


# --- intervals, comparisons and sample sizes (shared/reference/statistics.md) -------------------

from promoter.analytics.metrics import (  # noqa: E402
    compare,
    key_driver_impact,
    nps_interval,
    responses_needed,
    sample_size,
    t_quantile,
    wald_nps_interval,
    wilson_interval,
)

WORKED = [2, 2, 2, 2, 4, 4, 4, 15, 15, 25, 25]  # n = 100, P = 50, D = 20


def test_worked_example_wald_interval():
    low, high = wald_nps_interval(50, 20, 100)
    assert (round(low, 1), round(high, 1)) == (14.7, 45.3)


def test_worked_example_adjusted_wald_interval():
    low, high, se = nps_interval(50, 20, 100)
    assert (round(low, 2), round(high, 2)) == (14.05, 44.20)
    assert se == pytest.approx(7.692, abs=1e-3)
    summary = summarize("nps", WORKED)
    assert summary.score == pytest.approx(30.0)  # the point estimate stays the plain NPS
    assert (round(summary.low, 2), round(summary.high, 2)) == (14.05, 44.20)
    assert summary.variance == pytest.approx(0.61)
    assert summary.promoter_percent == 50 and summary.detractor_percent == 20


def test_all_promoters_still_have_an_honest_interval():
    summary = summarize("nps", [0] * 10 + [12])
    assert summary.score == 100
    assert summary.high == 100 and summary.low < 85  # Wald would claim [100, 100]
    assert summary.small_sample


def test_csat_wilson_interval_by_hand():
    # 45 of 50: p = 0.9, z = 1.959964, z² = 3.841459; centre = (0.9 + z²/100) / (1 + z²/50)
    # = 0.938415 / 1.076829 = 0.871460; half = z·√(0.0018 + z²/10000) / 1.076829
    # = 1.959964 · 0.0467348 / 1.076829 = 0.085063 → [78.64, 95.65] %.
    low, high = wilson_interval(45, 50)
    assert (round(low, 2), round(high, 2)) == (78.64, 95.65)
    summary = summarize("csat", [2, 1, 2, 20, 25])
    assert summary.score == pytest.approx(90.0)
    assert (round(summary.low, 2), round(summary.high, 2)) == (78.64, 95.65)


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (29, 2.045)]
)
def test_t_quantiles_match_the_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)


def test_ces_mean_interval_uses_t_for_small_samples():
    # Scores 4, 5, 5, 6, 7, 7: mean 5.6667, s² = 1.4667, SE = 0.4944, t(0.975, 5) = 2.5706.
    summary = summarize("ces", [0, 0, 0, 1, 2, 1, 2])
    assert summary.score == pytest.approx(5.6667, abs=1e-4)
    assert summary.variance == pytest.approx(1.4667, abs=1e-4)
    assert summary.low == pytest.approx(5.6667 - 2.5706 * 0.4944, abs=2e-3)
    assert summary.high == pytest.approx(min(7.0, 5.6667 + 2.5706 * 0.4944), abs=2e-3)
    assert summary.ces_top_percent == pytest.approx(500 / 6)


def test_compare_two_groups_by_hand():
    # A: n=100, P=50, D=20 → SE_A = 7.692 (adjusted). B: n=100, P=30, D=30 (NPS 0):
    # n′=103, p′=d′=30.75/103=0.29854, Var′=0.59709, SE_B=100·√(0.59709/103)=7.614.
    b = [3, 3, 3, 3, 6, 6, 6, 20, 20, 15, 15]
    result = compare("nps", WORKED, b)
    se = (7.692**2 + 7.614**2) ** 0.5
    assert result.difference == pytest.approx(30.0)
    assert result.low == pytest.approx(30 - 1.959964 * se, abs=0.01)
    assert result.z == pytest.approx(30 / se, abs=1e-3)
    assert result.p_value == pytest.approx(0.0054, abs=2e-4)
    assert result.significant
    reverse = compare("nps", b, WORKED)
    assert reverse.difference == pytest.approx(-30.0)
    assert reverse.p_value == pytest.approx(result.p_value)


def test_a_small_difference_is_not_significant_and_empty_groups_are_safe():
    close = [2, 2, 2, 2, 4, 4, 5, 15, 15, 24, 25]
    assert not compare("nps", WORKED, close).significant
    empty = compare("nps", WORKED, [0] * 11)
    assert (empty.difference, empty.p_value, empty.significant) == (None, None, False)


def test_sample_size_worked_example():
    # (1.959964 + 0.841621)² · 1.2 / 0.01 = 941.98 → 942 per group.
    assert sample_size("nps", 0.6, 0.6, 10) == 942
    assert responses_needed("nps", WORKED, WORKED, 10) == sample_size("nps", 0.61, 0.61, 10)
    assert responses_needed("nps", [0] * 11, [0] * 11, 10) == 942
    with pytest.raises(ValueError):
        sample_size("nps", 0.6, 0.6, 0)


def test_key_driver_impact_is_the_share_of_tagged_detractors():
    assert key_driver_impact(WORKED, 5) == pytest.approx(5.0)
    assert key_driver_impact([0] * 11, 5) == 0.0
