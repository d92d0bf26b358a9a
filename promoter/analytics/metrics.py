"""Pure statistics over score histograms. No Django imports (see shared reference/statistics.md).

A histogram is a sequence of counts indexed by score offset from the scale's lowest value:
11 bins for NPS (0-10), 5 for CSAT (1-5), 7 for CES (1-7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """The headline figure of one histogram: NPS, CSAT % or CES mean, with its counts."""

    kind: str
    n: int
    score: float | None  # NPS (-100..100), CSAT % (0..100) or CES mean (1..7); None when n = 0
    promoters: int
    passives: int
    detractors: int


def summarize(kind: str, histogram: Sequence[int]) -> Summary:
    """Return the headline figure of ``histogram`` for a survey ``kind`` (nps, csat or ces)."""
    sizes = {"nps": 11, "csat": 5, "ces": 7}
    if kind not in sizes:
        raise ValueError(f"unknown survey kind {kind!r}")
    if len(histogram) != sizes[kind]:
        raise ValueError(f"a {kind} histogram has {sizes[kind]} bins, got {len(histogram)}")
    n = sum(histogram)
    if kind == "nps":
        detractors, passives, promoters = (
            sum(histogram[:7]),
            sum(histogram[7:9]),
            sum(histogram[9:]),
        )
        score = 100.0 * (promoters - detractors) / n if n else None
    elif kind == "csat":
        detractors, passives, promoters = sum(histogram[:2]), histogram[2], sum(histogram[3:])
        score = 100.0 * promoters / n if n else None
    else:
        detractors, passives, promoters = sum(histogram[:3]), histogram[3], sum(histogram[4:])
        score = sum((i + 1) * c for i, c in enumerate(histogram)) / n if n else None
    return Summary(kind, n, score, promoters, passives, detractors)
