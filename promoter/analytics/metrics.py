"""Compute survey scores, their 95% intervals, comparisons and sample sizes from histograms.

No Django imports: the standard library only (see shared reference/statistics.md), so this
module can be tested without a database and reused by the CLI report.

A histogram is a sequence of counts indexed by score offset from the scale's lowest value:
11 bins for NPS (0-10), 5 for CSAT (1-5), 7 for CES (1-7).

Every headline figure comes with a 95% interval: adjusted-Wald for NPS (MeasuringU: add
three pseudo-responses, 0.75 promoter, 0.75 detractor, 1.5 passive; Rocks 2016 shows it keeps
near-nominal coverage where the plain Wald interval does not), Wilson for CSAT and for CES's
"% 5-7", Student's t for the CES mean below 30 responses (z from 30 on). Differences of
independent groups add the two variances; significance means the difference's interval
excludes 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from promoter.surveys.scales import KINDS, SCALES, bins, category_scores

SIZES = {kind: bins(kind) for kind in KINDS}
SMALL_SAMPLE = 30
_NORMAL = NormalDist()
Z95 = _NORMAL.inv_cdf(0.975)
# Per-response variance assumed for sample-size planning when an NPS group has no responses
# (or no spread) yet: a typical NPS spread (e.g. 50% promoters and 20% detractors give 0.61).
DEFAULT_NPS_VARIANCE = 0.6
# The same for CSAT: p(1 − p) is at most 0.25 (at p = 0.5), so the plan errs on the safe side.
DEFAULT_CSAT_VARIANCE = 0.25


@dataclass(frozen=True)
class Summary:
    """Hold the headline figure of one histogram with its 95% interval and its counts.

    ``score`` is the NPS (-100..100, the plain 100·(p − d)), the CSAT % of 4-5 (0..100) or
    the CES mean (1..7); it, ``low`` and ``high`` are None when n = 0. ``promoters``,
    ``passives`` and ``detractors`` are the positive, neutral and negative answers (for CSAT
    4-5, 3 and 1-2; for CES 5-7, 4 and 1-3). ``se`` is the standard error the interval and
    comparisons use, in score units (adjusted-Wald for NPS, Agresti-Coull for CSAT, s/√n for
    CES). ``variance`` is the plain per-response variance for sample-size planning: p + d −
    (p − d)² for NPS, p(1 − p) in proportion units for CSAT, the sample variance for CES.
    ``ces_top_percent`` (CES only) is the % of 5-7 with its Wilson interval.
    """

    kind: str
    n: int
    score: float | None
    promoters: int
    passives: int
    detractors: int
    low: float | None = None
    high: float | None = None
    se: float | None = None
    variance: float | None = None
    ces_top_percent: float | None = None
    ces_top_low: float | None = None
    ces_top_high: float | None = None

    @property
    def small_sample(self) -> bool:
        """Return whether there are too few responses for a reliable score (under 30)."""
        return self.n < SMALL_SAMPLE

    def _percent(self, count: int) -> float | None:
        return 100.0 * count / self.n if self.n else None

    @property
    def promoter_percent(self) -> float | None:
        """Return the % of promoters (positive answers), None without responses."""
        return self._percent(self.promoters)

    @property
    def passive_percent(self) -> float | None:
        """Return the % of passives (neutral answers), None without responses."""
        return self._percent(self.passives)

    @property
    def detractor_percent(self) -> float | None:
        """Return the % of detractors (negative answers), None without responses."""
        return self._percent(self.detractors)


def _check_kind(kind: str) -> None:
    if kind not in SIZES:
        raise ValueError(f"unknown survey kind {kind!r}")


def _check(kind: str, histogram: Sequence[int]) -> None:
    _check_kind(kind)
    if len(histogram) != SIZES[kind]:
        raise ValueError(f"a {kind} histogram has {SIZES[kind]} bins, got {len(histogram)}")
    if any(count < 0 for count in histogram):
        raise ValueError("a histogram cannot have negative counts")


def categories(kind: str, histogram: Sequence[int]) -> tuple[int, int, int]:
    """Return (promoters, passives, detractors) of ``histogram``.

    For CSAT and CES these are the positive (4-5, 5-7), neutral (3, 4) and negative answers.
    Raise ValueError for an unknown kind, a wrong number of bins or a negative count.
    """
    _check(kind, histogram)
    low = SCALES[kind][0]
    counts = {
        category: sum(histogram[first - low : last - low + 1])
        for category, (first, last) in category_scores(kind).items()
    }
    return counts["promoter"], counts["passive"], counts["detractor"]


def nps_interval(
    promoters: int, detractors: int, n: int, z: float = Z95
) -> tuple[float, float, float]:
    """Return (low, high, se) of the adjusted-Wald interval of an NPS, in points.

    n′ = n + 3, p′ = (P + 0.75)/n′, d′ = (D + 0.75)/n′; the interval is centred on
    100(p′ − d′) with SE′ = 100·√((p′ + d′ − (p′ − d′)²)/n′), clipped to [−100, 100].
    Defined for n = 0 too (then it is the whole range).
    """
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = 100.0 * (p - d)
    se = 100.0 * math.sqrt((p + d - (p - d) ** 2) / n_adj)
    return max(-100.0, centre - z * se), min(100.0, centre + z * se), se


def wald_nps_interval(
    promoters: int, detractors: int, n: int, z: float = Z95
) -> tuple[float, float]:
    """Return the plain Wald interval of an NPS (too narrow for small n: for reference only).

    NPS ± z·100·√((p + d − (p − d)²)/n), unclipped; raise ValueError when n = 0.
    """
    if n <= 0:
        raise ValueError("no observations")
    p, d = promoters / n, detractors / n
    se = 100.0 * math.sqrt((p + d - (p - d) ** 2) / n)
    nps = 100.0 * (p - d)
    return nps - z * se, nps + z * se


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion, in percent.

    (p + z²/2n ± z·√(p(1 − p)/n + z²/4n²)) / (1 + z²/n); raise ValueError when n = 0.
    """
    if n <= 0:
        raise ValueError("no observations")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


def share_se(successes: int, n: int, z: float = Z95) -> float:
    """Return the standard error of a share, in percentage points, from the Agresti-Coull
    adjusted proportion (n + z² answers, successes + z²/2): above 0 even when all agree.

    Raise ValueError when n = 0.
    """
    if n <= 0:
        raise ValueError("no observations")
    n_adj = n + z * z
    adjusted = (successes + z * z / 2) / n_adj
    return 100.0 * math.sqrt(adjusted * (1 - adjusted) / n_adj)


def _betacf(a: float, b: float, x: float) -> float:
    """Evaluate the incomplete beta function's continued fraction (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """Return the regularized incomplete beta function I_x(a, b) for a, b > 0."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast on this side; use the symmetry on the other.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Return P(T ≤ t) for Student's t distribution with ``df`` > 0 degrees of freedom.

    Uses P(|T| > |t|) = I_{df/(df + t²)}(df/2, 1/2).
    """
    if df <= 0:
        raise ValueError("df must be positive")
    x = df / (df + t * t)
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Return the ``p`` quantile of Student's t with ``df`` degrees of freedom.

    Bisection on :func:`t_cdf` to 1e-12; t(0.975, 1) = 12.706, t(0.975, 29) = 2.045.
    """
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


def summarize(kind: str, histogram: Sequence[int]) -> Summary:
    """Return the headline figure of ``histogram`` for ``kind`` with its 95% interval.

    ``kind`` is nps, csat or ces. With no responses, score, interval, se and variance are None
    (no exception); the counts are still returned. Raise ValueError for an unknown kind or a
    histogram of the wrong shape.
    """
    promoters, passives, detractors = categories(kind, histogram)
    n = sum(histogram)
    if n == 0:
        return Summary(kind, 0, None, promoters, passives, detractors)
    if kind == "nps":
        p, d = promoters / n, detractors / n
        low, high, se = nps_interval(promoters, detractors, n)
        return Summary(
            kind, n, 100.0 * (p - d), promoters, passives, detractors,
            low=low, high=high, se=se, variance=p + d - (p - d) ** 2,
        )  # fmt: skip
    if kind == "csat":
        share = promoters / n
        low, high = wilson_interval(promoters, n)
        se = share_se(promoters, n)
        return Summary(
            kind, n, 100.0 * share, promoters, passives, detractors,
            low=low, high=high, se=se, variance=share * (1 - share),
        )  # fmt: skip
    spread = mean_interval(histogram, first=SCALES[kind][0])
    top_low, top_high = wilson_interval(promoters, n)
    return Summary(
        kind, n, spread.mean, promoters, passives, detractors,
        low=spread.low, high=spread.high, se=spread.se, variance=spread.variance,
        ces_top_percent=100.0 * promoters / n, ces_top_low=top_low, ces_top_high=top_high,
    )  # fmt: skip


@dataclass(frozen=True)
class Mean:
    """The mean of answers on a scale with its 95% interval, clipped to the scale.

    ``se`` and ``variance`` (the sample variance) are None for a single answer, whose
    interval is then the whole scale: one answer says nothing about the spread.
    """

    n: int
    mean: float
    low: float
    high: float
    se: float | None
    variance: float | None


def mean_interval(histogram: Sequence[int], *, first: int) -> Mean:
    """Return the mean of the values ``first``, ``first`` + 1, … counted by ``histogram``,
    with its 95% interval: mean ± t·s/√n with Student's t below 30 answers, z from 30 on.

    Raise ValueError without answers or with a negative count.
    """
    if any(count < 0 for count in histogram):
        raise ValueError("a histogram cannot have negative counts")
    n = sum(histogram)
    if n == 0:
        raise ValueError("no observations")
    last = first + len(histogram) - 1
    mean = sum((first + i) * count for i, count in enumerate(histogram)) / n
    if n == 1:
        return Mean(n, mean, float(first), float(last), None, None)
    variance = sum(count * ((first + i) - mean) ** 2 for i, count in enumerate(histogram))
    variance /= n - 1
    se = math.sqrt(variance / n)
    critical = t_quantile(0.975, n - 1) if n < SMALL_SAMPLE else Z95
    low, high = max(float(first), mean - critical * se), min(float(last), mean + critical * se)
    return Mean(n, mean, low, high, se, variance)


@dataclass(frozen=True)
class Comparison:
    """Hold A − B for two independent groups, with its 95% interval and two-sided p-value.

    ``difference``, ``low`` and ``high`` are in score units (NPS points, CSAT percentage
    points, CES scale units). All are None when a group is empty; when a group has a score but
    no standard error (a single CES answer) only ``difference`` is set.
    """

    kind: str
    difference: float | None
    low: float | None
    high: float | None
    z: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        """Return whether the 95% interval of the difference excludes 0."""
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


def compare(kind: str, histogram_a: Sequence[int], histogram_b: Sequence[int]) -> Comparison:
    """Return the difference of the scores of two independent groups (A − B).

    SE_Δ = √(SE_A² + SE_B²) with each group's own standard error (the adjusted one for
    NPS); the interval is Δ ± 1.96·SE_Δ, z = Δ / SE_Δ and p = 2·(1 − Φ(|z|)). Groups must not
    overlap (compare a segment with the rest, not with the whole).
    """
    a, b = summarize(kind, histogram_a), summarize(kind, histogram_b)
    if a.score is None or b.score is None:
        return Comparison(kind, None, None, None, None, None)
    difference = a.score - b.score
    if a.se is None or b.se is None:
        return Comparison(kind, difference, None, None, None, None)
    se = math.sqrt(a.se**2 + b.se**2)
    if se == 0:
        # Only CES groups whose answers are all alike: no sampling noise is visible at all.
        same = difference == 0
        return Comparison(kind, difference, difference, difference, None, 1.0 if same else 0.0)
    z = difference / se
    p_value = 2.0 * _NORMAL.cdf(-abs(z))
    return Comparison(kind, difference, difference - Z95 * se, difference + Z95 * se, z, p_value)


def compare_shares(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Comparison:
    """Return the difference of two independent groups' shares (A − B), in percentage
    points, as :func:`compare` does for CSAT: each group's Agresti-Coull standard error
    (:func:`share_se`), SE_Δ = √(SE_A² + SE_B²), Δ ± 1.96·SE_Δ, p = 2·(1 − Φ(|Δ|/SE_Δ)).

    All None when a group is empty.
    """
    if n_a <= 0 or n_b <= 0:
        return Comparison("share", None, None, None, None, None)
    for successes, n in ((successes_a, n_a), (successes_b, n_b)):
        if not 0 <= successes <= n:
            raise ValueError("successes must be between 0 and n")
    difference = 100.0 * (successes_a / n_a - successes_b / n_b)
    se = math.sqrt(share_se(successes_a, n_a) ** 2 + share_se(successes_b, n_b) ** 2)
    z = difference / se
    p_value = 2.0 * _NORMAL.cdf(-abs(z))
    return Comparison("share", difference, difference - Z95 * se, difference + Z95 * se, z, p_value)


def sample_size(
    kind: str,
    variance_a: float,
    variance_b: float,
    delta: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Return the responses each of two equal groups needs to detect a difference ``delta``.

    n = (z₁₋α/₂ + z_power)² · (V_A + V_B) / δ², rounded up, with two-sided ``alpha``. ``delta``
    is in NPS points or CSAT percentage points (divided by 100 here, to match variances in
    proportion units: p + d − (p − d)² and p(1 − p)) and in scale units for the CES mean
    (with sample variances). V = 0.6 each and δ = 10 NPS points give 942.
    """
    _check_kind(kind)
    if delta <= 0:
        raise ValueError("delta must be positive")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be between 0 and 1")
    if variance_a < 0 or variance_b < 0:
        raise ValueError("variances cannot be negative")
    effect = delta / 100.0 if kind in ("nps", "csat") else delta
    z = _NORMAL.inv_cdf(1 - alpha / 2) + _NORMAL.inv_cdf(power)
    return math.ceil(z * z * (variance_a + variance_b) / (effect * effect))


def responses_needed(
    kind: str, histogram_a: Sequence[int], histogram_b: Sequence[int], delta: float
) -> int | None:
    """Return the responses per group needed to detect ``delta``, with variances from the data.

    A group without responses, or whose answers show no spread yet (variance 0, e.g. all
    promoters), gets a planning value instead: DEFAULT_NPS_VARIANCE (0.6) for NPS,
    DEFAULT_CSAT_VARIANCE (0.25, the largest p(1 − p)) for CSAT, and for CES the other
    group's variance. Return None when ``delta`` ≤ 0 or no CES variance is known.
    """
    if delta <= 0:
        return None
    variances = [summarize(kind, h).variance for h in (histogram_a, histogram_b)]
    fallback: float | None
    if kind == "nps":
        fallback = DEFAULT_NPS_VARIANCE
    elif kind == "csat":
        fallback = DEFAULT_CSAT_VARIANCE
    else:
        fallback = next((v for v in variances if v), None)
    if fallback is None:
        return None
    filled = [v if v else fallback for v in variances]
    return sample_size(kind, filled[0], filled[1], delta)


def key_driver_impact(total_histogram: Sequence[int], tagged_detractors: int) -> float:
    """Return the NPS points gained if a tag's detractors became passives: 100·D_T/n.

    ``total_histogram`` is the NPS histogram of all responses (n = its total); 0.0 when empty.
    """
    _check("nps", total_histogram)
    if tagged_detractors < 0:
        raise ValueError("tagged_detractors cannot be negative")
    n = sum(total_histogram)
    if tagged_detractors > sum(total_histogram[:7]):
        raise ValueError("more tagged detractors than detractors")
    return 100.0 * tagged_detractors / n if n else 0.0
