"""The statistics of the answers to a survey's additional questions: pure functions over the
counts :func:`promoter.analytics.selectors.answer_tallies` aggregates in the database.

- A choice's share is the share of the people who answered the question (not of every
  response) who picked it, with its Wilson 95% interval. A multiple-choice question's shares
  can add up to more than 100%: one person may pick several choices. "Other" is a choice.
- A rating's mean comes with mean ± t·s/√n (Student's t below 30 answers, z from 30 on),
  clipped to the scale: :func:`promoter.analytics.metrics.mean_interval`, as the CES mean.
- The product-market-fit score is the share of "Very disappointed" among those who answered,
  with its Wilson interval, set against the 40% benchmark (Sean Ellis): above it only when
  the whole interval is.
- The cross-tab by score category compares, for each cell (a category × a choice), the
  category's share with the share among the other categories' respondents (never with the
  whole, which includes the cell's own people), as Segments compares a value with the rest:
  the difference of two shares, each with its Agresti-Coull standard error, a two-sided z
  test (:func:`promoter.analytics.metrics.compare_shares`). A page tests many cells at once,
  so the p-values are adjusted by Holm-Bonferroni across every cell of the page
  (:func:`holm`): a cell is marked when its adjusted p is below 0.05, which keeps the chance
  of marking any noise at all under 5%.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promoter.analytics import metrics
from promoter.surveys.questions import CHOICE_TYPES, OTHER, TYPE_LABELS, fixed_choices, rating_range
from promoter.surveys.scales import CATEGORIES, category_for

ALPHA = 0.05
PMF_BENCHMARK = 40.0  # % "very disappointed" above which a product has found its market
PMF_VERY = "very_disappointed"
OTHER_LABEL = "Other"


# --- what the selector counts ---------------------------------------------------------------


@dataclass(frozen=True)
class LatestText:
    """One of the latest answers to a text question."""

    text: str
    response: str  # the response's public id
    created_at: datetime.datetime


@dataclass(frozen=True)
class Tally:
    """The counts of one question's answers (by id and type) among the selected responses.

    ``answered`` and each of ``picks`` count by the response's score; ``picks`` is keyed by
    choice id, :data:`~promoter.surveys.questions.OTHER` for the Other box. ``ratings``
    counts each rating given; ``latest`` holds the latest text answers, newest first.
    """

    question: str
    type: str
    answered: dict[int, int] = field(default_factory=dict)
    picks: dict[str, dict[int, int]] = field(default_factory=dict)
    ratings: dict[int, int] = field(default_factory=dict)
    latest: tuple[LatestText, ...] = ()

    @property
    def n(self) -> int:
        """Return how many people answered the question."""
        return sum(self.answered.values())

    def picked(self, choice: str) -> int:
        """Return how many people picked ``choice``."""
        return sum(self.picks.get(choice, {}).values())


def by_category(kind: str, by_score: Mapping[int, int]) -> dict[str, int]:
    """Return counts by score as counts by score category (promoter, passive, detractor)."""
    out = dict.fromkeys(CATEGORIES, 0)
    for score, count in by_score.items():
        out[category_for(kind, score)] += count
    return out


def histogram_of(scale: tuple[int, int], by_score: Mapping[int, int]) -> list[int]:
    """Return counts by score as a histogram of the scale (lowest, highest); scores off the
    scale are left out, as the score histograms leave them."""
    low, high = scale
    bins = [0] * (high - low + 1)
    for score, count in by_score.items():
        if low <= score <= high:
            bins[score - low] += count
    return bins


# --- the questions of every published version -----------------------------------------------


def questions_merged(questions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return one question per (id, type) of ``questions`` (newest wording first, as
    :func:`promoter.surveys.selectors.survey_questions_published` lists them): the first
    occurrence's wording and settings, with the choices of every occurrence (the newest
    wording of each; those the newest no longer offers after its own, ``offered`` False).
    Closing messages take no answer and are left out."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for question in questions:
        kind = str(question.get("type"))
        if kind == "message":
            continue
        key = (str(question["id"]), kind)
        choices = [
            {"id": str(c["id"]), "text": str(c["text"])}
            for c in (fixed_choices(question) if kind in CHOICE_TYPES else [])
        ]
        if key not in merged:
            merged[key] = {
                **question,
                "choices": [{**c, "offered": True} for c in choices],
                "other": bool(question.get("other")),
            }
            continue
        into = merged[key]
        known = {c["id"] for c in into["choices"]}
        into["choices"].extend({**c, "offered": False} for c in choices if c["id"] not in known)
        into["other"] = into["other"] or bool(question.get("other"))
    return list(merged.values())


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """How many of the people who answered a question picked one choice, with the share's
    Wilson 95% interval (percentages; None without answers)."""

    choice: str
    label: str
    count: int
    base: int
    percent: float | None
    low: float | None
    high: float | None
    offered: bool = True


def share(choice: str, label: str, count: int, base: int, *, offered: bool = True) -> Share:
    """Return the share of ``count`` among ``base`` with its Wilson interval."""
    if base <= 0:
        return Share(choice, label, count, 0, None, None, None, offered)
    low, high = metrics.wilson_interval(count, base)
    return Share(choice, label, count, base, 100.0 * count / base, low, high, offered)


def choice_shares(question: Mapping[str, Any], tally: Tally) -> list[Share]:
    """Return every choice of ``question`` (as :func:`questions_merged` gives it) with its
    count and share of the people who answered, then "Other" when offered or picked, then
    any choice answered but no longer in any version (by its id)."""
    base = tally.n
    listed = [
        (str(c["id"]), str(c["text"]), bool(c.get("offered", True))) for c in question["choices"]
    ]
    known = {choice for choice, _label, _offered in listed}
    if question.get("other") or tally.picked(OTHER):
        listed.append((OTHER, OTHER_LABEL, bool(question.get("other"))))
    listed.extend((c, c, False) for c in sorted(tally.picks) if c not in known and c != OTHER)
    return [
        share(choice, label, tally.picked(choice), base, offered=offered)
        for choice, label, offered in listed
    ]


@dataclass(frozen=True)
class Rating:
    """A rating question's answers: the count of each rating (low to high) and their mean
    with its 95% interval (None without answers)."""

    n: int
    low: int
    high: int
    counts: tuple[tuple[int, int, float | None], ...]  # (rating, answers, % of answers)
    mean: metrics.Mean | None


def rating_figure(counts: Mapping[int, int], scale: tuple[int, int]) -> Rating:
    """Return the distribution and mean of ``counts`` (answers by rating) on ``scale``
    (lowest, highest), widened to any rating an older version allowed."""
    low = min([scale[0], *counts])
    high = max([scale[1], *counts])
    histogram = [counts.get(value, 0) for value in range(low, high + 1)]
    n = sum(histogram)
    rows = tuple(
        (low + i, count, 100.0 * count / n if n else None) for i, count in enumerate(histogram)
    )
    mean = metrics.mean_interval(histogram, first=low) if n else None
    return Rating(n, low, high, rows, mean)


@dataclass(frozen=True)
class PmfScore:
    """The product-market-fit score: the % "very disappointed" with its Wilson interval."""

    n: int
    very: int
    percent: float
    low: float
    high: float
    benchmark: float = PMF_BENCHMARK

    @property
    def width(self) -> float:
        """Return the width of the interval, in percentage points."""
        return self.high - self.low

    @property
    def verdict(self) -> str:
        """Return "above" or "below" when the whole interval is on that side of the
        benchmark, "unclear" when the interval holds it."""
        if self.low >= self.benchmark:
            return "above"
        if self.high < self.benchmark:
            return "below"
        return "unclear"


def pmf_score(very: int, n: int) -> PmfScore | None:
    """Return the PMF score of ``very`` "very disappointed" among ``n`` answers (None when
    nobody answered)."""
    if n <= 0:
        return None
    low, high = metrics.wilson_interval(very, n)
    return PmfScore(n, very, 100.0 * very / n, low, high)


def holm(p_values: Sequence[float]) -> list[float]:
    """Return the Holm-Bonferroni adjusted p-values of ``p_values``, in their order.

    Sorted ascending, the i-th smallest (from 0) of m becomes max over j ≤ i of
    min(1, (m − j)·p₍ⱼ₎); a hypothesis is rejected at level α when its adjusted p < α. It
    holds the chance of any false rejection under α, for any dependence between the tests,
    and rejects at least what Bonferroni rejects.
    """
    m = len(p_values)
    if any(not 0.0 <= p <= 1.0 for p in p_values):
        raise ValueError("p-values lie between 0 and 1")
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True)
class Cell:
    """One cell of a cross-tab: the people of a score category who answered a choice
    question, and the share of them who picked one choice, against the other categories'.

    ``versus_rest`` is the category's share minus the others' (percentage points), with its
    raw p-value; ``adjusted_p`` the p-value adjusted across every cell of the page
    (:func:`holm_marked`); ``significant`` whether that is below 0.05.
    """

    category: str
    share: Share
    versus_rest: metrics.Comparison
    adjusted_p: float | None = None

    @property
    def significant(self) -> bool:
        return self.adjusted_p is not None and self.adjusted_p < ALPHA


def crosstab(kind: str, tally: Tally, shares: Sequence[Share]) -> dict[str, list[Cell]]:
    """Return, per score category of ``kind``, one cell per choice of ``shares`` (from
    :func:`choice_shares`), each compared with the other categories' respondents."""
    answered = by_category(kind, tally.answered)
    total = sum(answered.values())
    out: dict[str, list[Cell]] = {}
    for category in CATEGORIES:
        base = answered[category]
        cells = []
        for whole in shares:
            picks = by_category(kind, tally.picks.get(whole.choice, {}))
            count = picks[category]
            rest_count = sum(picks.values()) - count
            cell_share = share(whole.choice, whole.label, count, base, offered=whole.offered)
            cells.append(
                Cell(
                    category=category,
                    share=cell_share,
                    versus_rest=metrics.compare_shares(count, base, rest_count, total - base),
                )
            )
        out[category] = cells
    return out


def holm_marked(tables: Sequence[Mapping[str, Sequence[Cell]]]) -> list[dict[str, list[Cell]]]:
    """Return ``tables`` (cross-tabs of :func:`crosstab`) with every cell that has a p-value
    given its Holm-Bonferroni adjusted p-value, adjusted across all the cells together."""
    tested = [
        cell
        for table in tables
        for cells in table.values()
        for cell in cells
        if cell.versus_rest.p_value is not None
    ]
    adjusted = dict(
        zip(
            (id(cell) for cell in tested),
            holm([float(cell.versus_rest.p_value or 0.0) for cell in tested]),
            strict=True,
        )
    )
    return [
        {
            category: [
                dataclasses.replace(cell, adjusted_p=adjusted.get(id(cell))) for cell in cells
            ]
            for category, cells in table.items()
        }
        for table in tables
    ]


@dataclass(frozen=True)
class QuestionFigure:
    """The figures of one question: which of ``shares`` (choice questions), ``rating``,
    ``pmf`` (product-market fit) and ``latest`` (text answers) apply to its type, and
    ``crosstab`` (choice questions, per score category)."""

    question: dict[str, Any]  # the newest wording, as asked (questions_merged)
    answered: int
    responses: int  # the responses selected, answered or not
    shares: tuple[Share, ...] = ()
    rating: Rating | None = None
    pmf: PmfScore | None = None
    latest: tuple[LatestText, ...] = ()
    crosstab: dict[str, list[Cell]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.question["id"])

    @property
    def type(self) -> str:
        return str(self.question["type"])

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    @property
    def answered_percent(self) -> float | None:
        return 100.0 * self.answered / self.responses if self.responses else None

    @property
    def crosstab_bases(self) -> list[tuple[str, int]]:
        """Return each score category with how many of its people answered."""
        return [(c, cells[0].share.base) for c, cells in self.crosstab.items() if cells]

    @property
    def crosstab_rows(self) -> list[tuple[Share, list[Cell]]]:
        """Return each choice's share with its cells, one per score category."""
        columns = list(self.crosstab.values())
        return [(whole, [cells[i] for cells in columns]) for i, whole in enumerate(self.shares)]


def question_figures(
    *,
    kind: str,
    questions: Sequence[Mapping[str, Any]],
    tallies: Mapping[tuple[str, str], Tally],
    responses: int,
) -> list[QuestionFigure]:
    """Return the figures of each of ``questions`` (from :func:`questions_merged`) for a
    ``kind`` survey, from ``tallies`` (by question id and type) among ``responses``
    selected responses; the cross-tabs' cells are Holm-adjusted across all questions."""
    figures: list[QuestionFigure] = []
    tables: list[dict[str, list[Cell]]] = []
    for question in questions:
        qid, qtype = str(question["id"]), str(question["type"])
        tally = tallies.get((qid, qtype)) or Tally(question=qid, type=qtype)
        shares: tuple[Share, ...] = ()
        rating = pmf = None
        table: dict[str, list[Cell]] = {}
        if qtype in CHOICE_TYPES:
            shares = tuple(choice_shares(question, tally))
            table = crosstab(kind, tally, shares)
            if qtype == "pmf":
                pmf = pmf_score(tally.picked(PMF_VERY), tally.n)
        elif qtype == "rating":
            rating = rating_figure(tally.ratings, rating_range(question))
        tables.append(table)
        figures.append(
            QuestionFigure(
                question=dict(question),
                answered=tally.n,
                responses=responses,
                shares=shares,
                rating=rating,
                pmf=pmf,
                latest=tally.latest,
                crosstab=table,
            )
        )
    marked = holm_marked(tables)
    return [
        dataclasses.replace(figure, crosstab=table)
        for figure, table in zip(figures, marked, strict=True)
    ]


def cells_tested(figures: Sequence[QuestionFigure]) -> int:
    """Return how many cross-tab cells of ``figures`` were tested (the m of Holm's
    adjustment): those with someone to compare on both sides."""
    return sum(
        1
        for figure in figures
        for cells in figure.crosstab.values()
        for cell in cells
        if cell.adjusted_p is not None
    )
