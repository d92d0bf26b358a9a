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
