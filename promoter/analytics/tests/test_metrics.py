"""Check metrics.py against the worked examples of shared reference/statistics.md and against
values computed by hand (in the comments). Pure: no database."""

import math

import pytest

from promoter.analytics.metrics import (
    DEFAULT_NPS_VARIANCE,
    Z95,
    compare,
    key_driver_impact,
    nps_interval,
    responses_needed,
    sample_size,
    summarize,
    t_cdf,
    t_quantile,
    wald_nps_interval,
    wilson_interval,
)

Z = 1.959964  # z(0.975)
Z80 = 0.841621  # z(0.8)
WORKED = [2, 2, 2, 2, 4, 4, 4, 15, 15, 25, 25]  # n = 100, P = 50, passives 30, D = 20
EMPTY = {"nps": [0] * 11, "csat": [0] * 5, "ces": [0] * 7}


# --- headline figures ---------------------------------------------------------------------------


def test_nps_from_histogram():
    # 20 detractors (scores 0-6), 30 passives (7-8), 50 promoters (9-10): NPS = 50 - 20 = 30.
    summary = summarize("nps", WORKED)
    assert (summary.n, summary.promoters, summary.passives, summary.detractors) == (100, 50, 30, 20)
    assert summary.score == pytest.approx(30.0)
    assert (summary.promoter_percent, summary.passive_percent, summary.detractor_percent) == (
        pytest.approx(50.0),
        pytest.approx(30.0),
        pytest.approx(20.0),
    )
    assert not summary.small_sample


def test_csat_is_the_share_of_4_and_5():
    summary = summarize("csat", [5, 5, 10, 40, 40])
    assert summary.score == pytest.approx(80.0)
    assert (summary.detractors, summary.passives, summary.promoters) == (10, 10, 80)
    assert summary.variance == pytest.approx(0.8 * 0.2)  # p(1 − p), proportion units


def test_ces_is_the_mean_on_1_to_7():
    summary = summarize("ces", [0, 0, 0, 0, 1, 0, 1])
    assert summary.score == pytest.approx(6.0)
    assert summary.promoters == 2
    assert summary.ces_top_percent == pytest.approx(100.0)


def test_small_sample_means_under_30_responses():
    assert summarize("nps", [0] * 10 + [29]).small_sample
    assert not summarize("nps", [0] * 10 + [30]).small_sample


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_empty_histogram_has_no_score_and_no_exception(kind):
    summary = summarize(kind, EMPTY[kind])
    assert summary.n == 0
    assert (summary.score, summary.low, summary.high, summary.se, summary.variance) == (None,) * 5
    assert summary.promoter_percent is None and summary.detractor_percent is None
    assert summary.ces_top_percent is None
    assert summary.small_sample


@pytest.mark.parametrize(
    ("kind", "bins"), [("nps", 10), ("nps", 12), ("csat", 7), ("ces", 5), ("xyz", 11)]
)
def test_wrong_shapes_and_kinds_are_refused(kind, bins):
    with pytest.raises(ValueError):
        summarize(kind, [1] * bins)
    with pytest.raises(ValueError):
        compare(kind, [1] * bins, [1] * bins)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        summarize("csat", [1, 1, -1, 1, 1])


# --- NPS intervals (worked example of the reference) --------------------------------------------


def test_worked_example_wald_interval():
    # Var = 0.5 + 0.2 − 0.09 = 0.61; SE = 100·√0.0061 = 7.8102; 30 ± 1.959964·7.8102 = 30 ± 15.308.
    low, high = wald_nps_interval(50, 20, 100)
    assert (round(low, 1), round(high, 1)) == (14.7, 45.3)
    assert (round(low, 2), round(high, 2)) == (14.69, 45.31)


def test_worked_example_adjusted_wald_interval():
    # n′ = 103, p′ = 50.75/103, d′ = 20.75/103, NPS′ = 29.13, Var′ = 0.60935, SE′ = 7.692.
    low, high, se = nps_interval(50, 20, 100)
    assert (round(low, 2), round(high, 2)) == (14.05, 44.20)
    assert se == pytest.approx(7.692, abs=1e-3)
    summary = summarize("nps", WORKED)
    assert summary.score == pytest.approx(30.0)  # the point estimate stays the plain NPS
    assert (round(summary.low, 2), round(summary.high, 2)) == (14.05, 44.20)
    assert summary.se == pytest.approx(se)
    assert summary.variance == pytest.approx(0.61)  # the plain variance, for planning


def test_all_promoters_still_have_an_honest_interval():
    # n′ = 15, p′ = 12.75/15 = 0.85, d′ = 0.05: NPS′ = 80, Var′ = 0.9 − 0.64 = 0.26,
    # SE′ = 100·√(0.26/15) = 13.166 → [54.20, 105.80] clipped to [54.20, 100].
    summary = summarize("nps", [0] * 10 + [12])
    assert summary.score == 100
    assert summary.high == 100
    assert summary.low == pytest.approx(80 - Z * 13.166, abs=1e-2)
    assert wald_nps_interval(12, 0, 12) == (100, 100)  # what Wald would claim
    assert summary.small_sample
    mirrored = summarize("nps", [12] + [0] * 10)
    assert (mirrored.score, mirrored.low) == (-100, -100)
    assert mirrored.high == pytest.approx(-summary.low)


# --- CSAT and CES intervals ---------------------------------------------------------------------


def test_csat_wilson_interval_by_hand():
    # 45 of 50: p = 0.9, z = 1.959964, z² = 3.841459; centre = (0.9 + z²/100) / (1 + z²/50)
    # = 0.938415 / 1.076829 = 0.871460; half = z·√(0.0018 + z²/10000) / 1.076829
    # = 1.959964 · 0.0467348 / 1.076829 = 0.085063 → [78.64, 95.65] %.
    low, high = wilson_interval(45, 50)
    assert (round(low, 2), round(high, 2)) == (78.64, 95.65)
    summary = summarize("csat", [2, 1, 2, 20, 25])
    assert summary.score == pytest.approx(90.0)
    assert (round(summary.low, 2), round(summary.high, 2)) == (78.64, 95.65)
    assert summary.variance == pytest.approx(0.09)


def test_csat_all_satisfied_is_not_degenerate():
    # 12 of 12: p = 1, so p(1 − p) = 0 and the half width is z·√(z²/(4·144))/den = (z²/24)/den
    # with den = 1 + z²/12 = 1.320122: centre = (1 + z²/24)/den = 1.160061/1.320122 = 0.878751,
    # half = 0.160061/1.320122 = 0.121248 → low = 0.757503 → [75.75, 100] %.
    summary = summarize("csat", [0, 0, 0, 2, 10])
    assert summary.score == 100 and summary.high == 100
    assert round(summary.low, 2) == 75.75
    assert summary.se is not None and summary.se > 0  # Agresti-Coull keeps comparisons honest


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.706), (2, 4.303), (5, 2.571), (10, 2.228), (29, 2.045)]
)
def test_t_quantiles_match_the_table(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-3)
    assert t_cdf(t_quantile(0.975, df), df) == pytest.approx(0.975, abs=1e-9)


def test_t_tends_to_the_normal_and_refuses_nonsense():
    assert t_quantile(0.975, 1e6) == pytest.approx(Z95, abs=1e-4)
    assert t_cdf(0.0, 7) == pytest.approx(0.5)
    for p in (0.0, 1.0):
        with pytest.raises(ValueError):
            t_quantile(p, 5)
    with pytest.raises(ValueError):
        t_quantile(0.975, 0)


def test_ces_mean_interval_uses_t_for_small_samples():
    # Scores 4, 5, 5, 6, 7, 7: mean 34/6 = 5.6667; squared deviations 2.7778, 0.4444 (×2),
    # 0.1111, 1.7778 (×2) sum to 7.3333, s² = 7.3333/5 = 1.4667; SE = √(1.4667/6) = 0.4944;
    # t(0.975, 5) = 2.5706 → 5.6667 ± 1.2710 = [4.3957, 6.9377].
    summary = summarize("ces", [0, 0, 0, 1, 2, 1, 2])
    assert summary.score == pytest.approx(5.6667, abs=1e-4)
    assert summary.variance == pytest.approx(1.4667, abs=1e-4)
    assert summary.se == pytest.approx(0.4944, abs=1e-4)
    assert summary.low == pytest.approx(4.3957, abs=2e-3)
    assert summary.high == pytest.approx(6.9377, abs=2e-3)
    # "% 5-7" = 5 of 6 with its Wilson interval.
    assert summary.ces_top_percent == pytest.approx(500 / 6)
    assert (summary.ces_top_low, summary.ces_top_high) == wilson_interval(5, 6)


def test_ces_mean_interval_uses_z_from_30_responses():
    # 10 each of 4, 5, 6, 7: mean 5.5, s² = (2·10·2.25 + 2·10·0.25)/39 = 50/39 = 1.28205,
    # SE = √(1.28205/40) = 0.179029 → 5.5 ± 1.959964·0.179029 = [5.14911, 5.85089].
    summary = summarize("ces", [0, 0, 0, 10, 10, 10, 10])
    assert summary.low == pytest.approx(5.14911, abs=1e-5)
    assert summary.high == pytest.approx(5.85089, abs=1e-5)
    assert summary.ces_top_percent == pytest.approx(75.0)


def test_a_single_ces_answer_has_the_whole_scale_as_interval():
    summary = summarize("ces", [0, 0, 0, 0, 0, 1, 0])
    assert (summary.score, summary.low, summary.high, summary.se) == (6.0, 1.0, 7.0, None)


# --- comparisons --------------------------------------------------------------------------------


def test_compare_two_groups_by_hand():
    # A: n=100, P=50, D=20 → SE_A = 7.692 (adjusted). B: n=100, P=30, D=30 (NPS 0):
    # n′=103, p′=d′=30.75/103=0.29854, Var′=0.59709, SE_B=100·√(0.59709/103)=7.614.
    # SE_Δ = √(7.692² + 7.614²) = 10.823; z = 30/10.823 = 2.772; p = 2(1 − Φ(2.772)) = 0.0056.
    b = [3, 3, 3, 3, 6, 6, 6, 20, 20, 15, 15]
    result = compare("nps", WORKED, b)
    se = (7.692**2 + 7.614**2) ** 0.5
    assert result.difference == pytest.approx(30.0)
    assert result.low == pytest.approx(30 - Z * se, abs=0.01)
    assert result.high == pytest.approx(30 + Z * se, abs=0.01)
    assert result.z == pytest.approx(30 / se, abs=1e-3)
    assert result.p_value == pytest.approx(0.00557, abs=1e-5)
    assert result.significant


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("nps", WORKED, [3, 3, 3, 3, 6, 6, 6, 20, 20, 15, 15]),
        ("csat", [2, 1, 2, 20, 25], [5, 5, 10, 15, 15]),
        ("ces", [0, 0, 0, 1, 2, 1, 2], [0, 1, 2, 1, 1, 0, 0]),
    ],
)
def test_p_value_is_symmetric(kind, a, b):
    forward, reverse = compare(kind, a, b), compare(kind, b, a)
    assert reverse.difference == pytest.approx(-forward.difference)
    assert reverse.z == pytest.approx(-forward.z)
    assert reverse.p_value == pytest.approx(forward.p_value)
    assert (reverse.low, reverse.high) == (
        pytest.approx(-forward.high),
        pytest.approx(-forward.low),
    )
    assert reverse.significant == forward.significant
    assert 0 < forward.p_value < 1


def test_compare_csat_by_hand():
    # Agresti-Coull, ñ = 50 + z² = 53.841459. A 45/50: p̃ = 46.920729/53.841459 = 0.871461,
    # SE_A = 100·√(0.871461·0.128539/53.841459) = 4.5612. B 30/50: p̃ = 31.920729/53.841459
    # = 0.592862, SE_B = 100·√(0.592862·0.407138/53.841459) = 6.6956. SE_Δ = 8.1015;
    # Δ = 90 − 60 = 30 pp, z = 3.7030, p = 0.00021.
    result = compare("csat", [2, 1, 2, 20, 25], [5, 5, 10, 15, 15])
    assert result.difference == pytest.approx(30.0)
    assert result.z == pytest.approx(3.7030, abs=1e-3)
    assert result.low == pytest.approx(30 - Z * 8.1015, abs=1e-2)
    assert result.p_value == pytest.approx(0.000213, abs=1e-5)


def test_compare_ces_by_hand():
    # A: 4, 5, 5, 6, 7, 7 → mean 5.6667, SE 0.4944. B: 2, 3, 3, 4, 5 → mean 3.4,
    # s² = (1.96 + 0.16 + 0.16 + 0.36 + 2.56)/4 = 1.3, SE = √(1.3/5) = 0.5099.
    # Δ = 2.2667, SE_Δ = √(0.24444 + 0.26) = 0.71024, z = 3.1914, p = 0.00142.
    result = compare("ces", [0, 0, 0, 1, 2, 1, 2], [0, 1, 2, 1, 1, 0, 0])
    assert result.difference == pytest.approx(2.2667, abs=1e-4)
    assert result.z == pytest.approx(3.1914, abs=1e-3)
    assert result.low == pytest.approx(2.2667 - Z * 0.71024, abs=1e-3)
    assert result.p_value == pytest.approx(0.00142, abs=1e-5)
    assert result.significant


def test_a_small_difference_is_not_significant_and_empty_groups_are_safe():
    close = [2, 2, 2, 2, 4, 4, 5, 15, 15, 24, 25]
    near = compare("nps", WORKED, close)
    assert not near.significant and near.low < 0 < near.high and near.p_value > 0.05
    for kind in ("nps", "csat", "ces"):
        for a, b in ((EMPTY[kind], EMPTY[kind]), (EMPTY[kind], [1] * len(EMPTY[kind]))):
            result = compare(kind, a, b)
            assert (result.difference, result.low, result.high) == (None, None, None)
            assert (result.z, result.p_value, result.significant) == (None, None, False)


def test_a_single_ces_answer_gives_a_difference_without_an_interval():
    result = compare("ces", [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 2, 1, 2])
    assert result.difference == pytest.approx(7 - 34 / 6)
    assert (result.low, result.p_value, result.significant) == (None, None, False)


def test_ces_groups_without_any_spread_compare_without_an_error():
    # Every answer alike in both groups: SE_Δ = 0, so the interval is the difference itself.
    apart = compare("ces", [0, 0, 0, 0, 3, 0, 0], [0, 0, 0, 0, 0, 0, 4])
    assert (apart.difference, apart.low, apart.high, apart.z) == (-2, -2, -2, None)
    assert (apart.p_value, apart.significant) == (0.0, True)
    same = compare("ces", [0, 0, 0, 0, 3, 0, 0], [0, 0, 0, 0, 2, 0, 0])
    assert (same.difference, same.p_value, same.significant) == (0, 1.0, False)


# --- sample sizes -------------------------------------------------------------------------------


def test_sample_size_worked_example():
    # (z(0.975) + z(0.8))² = (1.959964 + 0.841621)² = 7.848880; · (0.6 + 0.6) / (10/100)²
    # = 941.87 → 942 per group.
    exact = (Z + Z80) ** 2 * 1.2 / 0.01
    assert exact == pytest.approx(941.87, abs=0.01)
    assert sample_size("nps", 0.6, 0.6, 10) == math.ceil(exact) == 942


def test_sample_size_for_csat_ces_and_other_alpha_and_power():
    # CSAT 80% vs 70%: 7.848880 · (0.16 + 0.21) / 0.1² = 290.41 → 291.
    assert sample_size("csat", 0.16, 0.21, 10) == 291
    # CES s² = 1.5 each, δ = 0.5: 7.848880 · 3 / 0.25 = 94.19 → 95.
    assert sample_size("ces", 1.5, 1.5, 0.5) == 95
    # α = 0.01, power 0.9: (2.575829 + 1.281552)² · 1.2 / 0.01 = 1785.53 → 1786.
    assert sample_size("nps", 0.6, 0.6, 10, alpha=0.01, power=0.9) == 1786


@pytest.mark.parametrize(
    "arguments",
    [
        ("nps", 0.6, 0.6, 0),
        ("nps", 0.6, 0.6, -5),
        ("nps", -0.1, 0.6, 10),
        ("nps", 0.6, 0.6, 10, 0.0),
        ("nps", 0.6, 0.6, 10, 0.05, 1.0),
        ("xyz", 0.6, 0.6, 10),
    ],
)
def test_sample_size_refuses_nonsense(arguments):
    with pytest.raises(ValueError):
        sample_size(*arguments)


def test_responses_needed_takes_variances_from_the_data():
    assert responses_needed("nps", WORKED, WORKED, 10) == sample_size("nps", 0.61, 0.61, 10)
    # An empty NPS group is planned with DEFAULT_NPS_VARIANCE = 0.6.
    assert DEFAULT_NPS_VARIANCE == 0.6
    assert responses_needed("nps", EMPTY["nps"], EMPTY["nps"], 10) == 942
    assert responses_needed("nps", WORKED, EMPTY["nps"], 10) == sample_size("nps", 0.61, 0.6, 10)
    # So is a group without spread yet (all promoters: variance 0 would promise n = 0).
    assert responses_needed("nps", [0] * 10 + [5], EMPTY["nps"], 10) == 942
    # CSAT falls back to the largest p(1 − p), 0.25; CES borrows the other group's variance.
    assert responses_needed("csat", EMPTY["csat"], [5, 5, 10, 40, 40], 10) == sample_size(
        "csat", 0.25, 0.16, 10
    )
    six = [0, 0, 0, 1, 2, 1, 2]
    assert responses_needed("ces", six, EMPTY["ces"], 0.5) == sample_size(
        "ces", 22 / 15, 22 / 15, 0.5
    )
    assert responses_needed("ces", EMPTY["ces"], EMPTY["ces"], 0.5) is None
    assert responses_needed("nps", WORKED, WORKED, 0) is None


# --- key-driver impact --------------------------------------------------------------------------


def test_key_driver_impact_is_the_share_of_tagged_detractors():
    # 5 of the 20 detractors carry the tag: NPS_new = 100·(50 − 15)/100 = 35 → +5 points.
    assert key_driver_impact(WORKED, 5) == pytest.approx(5.0)
    assert key_driver_impact(WORKED, 5) == pytest.approx(100 * (50 - (20 - 5)) / 100 - 30)
    assert key_driver_impact(EMPTY["nps"], 0) == 0.0
    for tagged in (-1, 21):
        with pytest.raises(ValueError):
            key_driver_impact(WORKED, tagged)
