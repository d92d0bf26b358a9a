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
from promoter.analytics.questions import (
    QuestionFigure,
    choice_shares,
    histogram_of,
    question_figures,
    questions_merged,
)
from promoter.analytics.selectors import (
    ResponseFilter,
    answer_tallies,
    histogram,
    histograms_by_period,
    response_count,
)
from promoter.surveys.questions import CHOICE_TYPES, as_asked
from promoter.surveys.selectors import survey_questions_published
from promoter.surveys.texts import product_name


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


def questions_figure(
    *, project: Project, flt: ResponseFilter, latest: int = 5
) -> tuple[int, list[QuestionFigure]]:
    """Return how many responses ``flt`` selects and the figures of the answers to each
    question of every published version of its survey (the newest wording, as asked;
    grouped by question id and type), with the ``latest`` text answers of text questions."""
    survey = flt.survey
    asked = as_asked(
        survey_questions_published(survey=survey), product=product_name(survey.project)
    )
    responses = response_count(project=project, flt=flt)
    tallies = answer_tallies(project=project, flt=flt, latest=latest)
    figures = question_figures(
        kind=survey.kind,
        questions=questions_merged(asked),
        tallies=tallies,
        responses=responses,
    )
    return responses, figures


def choice_histograms(*, project: Project, flt: ResponseFilter) -> list[tuple[str, list[int]]]:
    """Return, for each choice of each choice question of ``flt``'s survey ("<question>:
    <choice>", the newest wording), the score histogram of the selected responses whose
    answer picked it: the groups Top reasons weighs as drivers, as it weighs tags."""
    survey = flt.survey
    asked = as_asked(
        survey_questions_published(survey=survey), product=product_name(survey.project)
    )
    tallies = answer_tallies(project=project, flt=flt, latest=0)
    groups = []
    for question in questions_merged(asked):
        tally = tallies.get((str(question["id"]), str(question["type"])))
        if tally is None or question["type"] not in CHOICE_TYPES:
            continue
        for choice in choice_shares(question, tally):
            if choice.count:
                bins = histogram_of(survey.scale, tally.picks.get(choice.choice, {}))
                groups.append((f"{question['text']}: {choice.label}", bins))
    return groups
