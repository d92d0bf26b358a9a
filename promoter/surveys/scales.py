"""The vocabulary of scores, defined once: the survey kinds, their scales (and the check that
a score range's bound lies on one), and the score categories with their thresholds. Pure
Python, no Django: ``analytics.metrics`` (the statistics), the models, the SQL builders, the
widget's survey payload and the rules' checks all read it.

NPS asks 0-10: 9-10 promoters, 7-8 passives, 0-6 detractors. CSAT asks 1-5 and CES 1-7;
their positive, neutral and negative answers (4-5 / 3 / 1-2 and 5-7 / 4 / 1-3) go by the same
three names, so one filter, breakdown and rule works for every kind.
"""

from __future__ import annotations

from promoter.core.errors import ApplicationError

KINDS = ("nps", "csat", "ces")
# (lowest, highest) score of each kind's scale.
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
# (highest detractor score, lowest promoter score) of each kind: passives lie between.
THRESHOLDS: dict[str, tuple[int, int]] = {"nps": (6, 9), "csat": (2, 4), "ces": (3, 5)}
CATEGORIES = ("promoter", "passive", "detractor")


def bins(kind: str) -> int:
    """Return how many scores the scale of ``kind`` has (the bins of its histograms)."""
    low, high = SCALES[kind]
    return high - low + 1


def category_for(kind: str, score: int) -> str:
    """Return the category (promoter, passive or detractor) of ``score`` for ``kind``."""
    detractor_max, promoter_min = THRESHOLDS[kind]
    if score >= promoter_min:
        return "promoter"
    if score <= detractor_max:
        return "detractor"
    return "passive"


def category_scores(kind: str) -> dict[str, tuple[int, int]]:
    """Return the (lowest, highest) score of each category of ``kind``, both included: what
    SQL filters and histogram slices are built from."""
    low, high = SCALES[kind]
    detractor_max, promoter_min = THRESHOLDS[kind]
    return {
        "promoter": (promoter_min, high),
        "passive": (detractor_max + 1, promoter_min - 1),
        "detractor": (low, detractor_max),
    }


def score_bound(value: int | None, *, field: str, scale: tuple[int, int]) -> int | None:
    """Return ``value``, one end of a score range (``field``), if it lies on ``scale``
    (lowest, highest score); None (no bound) stays None. Raise ApplicationError naming
    ``field`` for a score off the scale."""
    if value is None:
        return None
    low, high = scale
    if not low <= value <= high:
        raise ApplicationError(
            code="invalid",
            detail=f"Scores go from {low} to {high}.",
            fields={field: f"between {low} and {high}"},
        )
    return value
