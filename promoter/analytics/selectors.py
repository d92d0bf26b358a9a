"""Reads for analytics: every figure comes from a score histogram aggregated in the database."""

from __future__ import annotations

import datetime

from django.db.models import Count

from promoter.responses.models import Response
from promoter.surveys.models import Survey


def score_histogram(
    *,
    survey: Survey,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> list[int]:
    """Return the counts of each score of ``survey``'s scale in [since, until)."""
    low, high = survey.scale
    qs = Response.objects.filter(project_id=survey.project_id, survey=survey, excluded=False)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    bins = [0] * (high - low + 1)
    for row in qs.values("score").annotate(n=Count("id")).order_by():
        if low <= row["score"] <= high:
            bins[row["score"] - low] = row["n"]
    return bins
