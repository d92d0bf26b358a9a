"""Seeded simulation: the adjusted-Wald NPS interval covers the true NPS about 95% of the time
(for n = 30 and n = 1,000), where the plain Wald interval under-covers small extreme samples."""

from __future__ import annotations

import random

import pytest

from promoter.analytics.metrics import nps_interval, wald_nps_interval


def coverage(p: float, d: float, n: int, trials: int, *, adjusted: bool, seed: int) -> float:
    rng = random.Random(seed)
    truth = 100 * (p - d)
    hits = 0
    for _ in range(trials):
        promoters = detractors = 0
        for _ in range(n):
            u = rng.random()
            if u < p:
                promoters += 1
            elif u < p + d:
                detractors += 1
        if adjusted:
            low, high, _se = nps_interval(promoters, detractors, n)
        else:
            low, high = wald_nps_interval(promoters, detractors, n)
        hits += low <= truth <= high
    return hits / trials


@pytest.mark.parametrize(("p", "d"), [(0.5, 0.2), (0.35, 0.35)])
def test_adjusted_interval_covers_95_percent_at_n_30(p, d):
    assert 0.93 <= coverage(p, d, 30, 2000, adjusted=True, seed=1) <= 0.975


def test_adjusted_interval_covers_95_percent_at_n_1000():
    # Few trials (each draws 1,000 answers) keep this fast: a wider band for the same 95%.
    assert 0.92 <= coverage(0.5, 0.2, 1000, 400, adjusted=True, seed=2) <= 0.98


def test_plain_wald_under_covers_small_extreme_samples():
    adjusted = coverage(0.9, 0.02, 30, 2000, adjusted=True, seed=3)
    wald = coverage(0.9, 0.02, 30, 2000, adjusted=False, seed=3)
    assert wald < 0.92 < adjusted
