"""Figures as the interfaces show them: the selectors' histograms with their statistics.

One function per figure: the dashboard, the REST API, the Delighted-compatible
API and ``promoter report`` call it and only format what it returns for their page, wire
format or terminal, so the same filter gives the same numbers everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from promoter.accounts.models import Project
from promoter.analytics import metrics
from promoter.analytics.selectors import ResponseFilter, histogram, histograms_by_period


@dataclass(frozen=True)
class TrendPoint:
    """The figure of one bucket of a trend: its first day and its score."""

    start: datetime.date
    summary: metrics.Summary


@dataclass(frozen=True)
class OverviewFigure:
    """The headline figure of the responses a filter selects.

    ``histogram`` holds the counts per score of the survey's scale and ``summary`` the score
    with its 95% interval and counts. ``previous`` and ``change`` (this period's score minus
    the previous one's, with its interval and significance) are those of the period of equal
    length just before, when asked for and the period has both ends; ``trend`` is one point
    per ``bucket``, oldest first, when a bucket was asked for.
    """

    kind: str
    histogram: list[int]
    summary: metrics.Summary
    previous: metrics.Summary | None = None
    change: metrics.Comparison | None = None
    bucket: str | None = None
    trend: tuple[TrendPoint, ...] = ()


def overview_figure(
    *,
    project: Project,
    flt: ResponseFilter,
    bucket: str | None = None,
    previous: bool = False,
) -> OverviewFigure:
    """Return the overview figure of the responses ``flt`` selects in ``project``.

    With ``previous``, also the previous period's score and the change against it (nothing
    when ``flt`` lacks ``since`` or ``until``); with a ``bucket`` (day, week, month), the
    trend per bucket in the project's timezone. Raise ValueError for an unknown bucket.
    """
    kind = flt.survey.kind
    bins = histogram(project=project, flt=flt)
    before_summary = change = None
    if previous and flt.since is not None and flt.until is not None:
        before = histogram(project=project, flt=flt.previous_period())
        before_summary = metrics.summarize(kind, before)
        change = metrics.compare(kind, bins, before)
    trend: tuple[TrendPoint, ...] = ()
    if bucket is not None:
        trend = tuple(
            TrendPoint(start=start, summary=metrics.summarize(kind, period_bins))
            for start, period_bins in histograms_by_period(project=project, flt=flt, bucket=bucket)
        )
    return OverviewFigure(
        kind=kind,
        histogram=bins,
        summary=metrics.summarize(kind, bins),
        previous=before_summary,
        change=change,
        bucket=bucket,
        trend=trend,
    )
