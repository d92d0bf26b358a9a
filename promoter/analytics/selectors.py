"""Reads for analytics: every figure comes from a score histogram aggregated in the database.

One query path per figure: the dashboard, the CLI report and the REST API call
these functions with a :class:`ResponseFilter`, then hand the histograms to
:mod:`promoter.analytics.metrics`.
"""

from __future__ import annotations

import datetime
import json
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth, TruncWeek
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IExact,
    LessThan,
    LessThanOrEqual,
)

from promoter.accounts.models import Project
from promoter.analytics import rollups
from promoter.analytics.filters import AnswerCondition
from promoter.analytics.models import DailyProperty, DailyScore, WeeklyProperty
from promoter.analytics.questions import LatestText, Tally
from promoter.core.jsonkeys import HasElement, HasKey, JSONLiteral, KeyText, KeyValue
from promoter.core.replica import read_alias, replica_reads
from promoter.core.zones import zone
from promoter.responses.models import (
    Answer,
    Channel,
    Decline,
    Display,
    Response,
    ResponseTag,
    Tag,
)
from promoter.responses.selectors import tag_by_name
from promoter.surveys.button import counts_in_score
from promoter.surveys.eligibility import Condition
from promoter.surveys.models import Survey
from promoter.surveys.questions import CHOICE_TYPES
from promoter.surveys.questions import OTHER as OTHER_BOX
from promoter.surveys.scales import KINDS, category_scores
from promoter.text.sentiment import NEUTRAL_BAND

BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
NOT_SET = "(not set)"
OTHER = "(other)"


@dataclass(frozen=True)
class ResponseFilter:
    """Which responses of one survey a figure counts (every field narrows)."""

    survey: Survey
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    channels: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    tag_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    has_comment: bool | None = None
    search: str = ""
    sentiments: tuple[str, ...] = ()  # positive, neutral, negative (see text.sentiment)
    answers: tuple[AnswerCondition, ...] = ()  # on additional questions' answers
    # Whether answers given through the survey's feedback button count; None: as the survey's
    # setting says (surveys/button.py: by default they stay out of its score). Lists of
    # responses (the Feedback stream, bulk tagging) pass True.
    button: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def leaves_button_out(self) -> bool:
        """Whether this filter leaves out the answers given through the feedback button."""
        if self.button is not None:
            return not self.button
        return not counts_in_score(self.survey.button)

    def previous_period(self) -> ResponseFilter:
        """Return the same filter over the period of equal length just before this one."""
        if self.since is None or self.until is None:
            raise ValueError("a previous period needs both since and until")
        length = self.until - self.since
        return replace(self, since=self.since - length, until=self.since)


def _number(value: Any) -> float | None:
    """Return ``value`` as a finite number, or None (text, a boolean, NaN or infinity: no
    database holds the last two as JSON, so they compare as text)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float) else float(str(value))
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


ORDERINGS = {"gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual}


def condition_q(condition: Condition) -> Q:
    """Return the database filter for a property condition (the same operators as targeting).

    The property name is a JSON key, whatever it holds (``a__b``, ``a.b``, ``0``, quotes, the
    empty name): it reaches the database as a parameter (:mod:`promoter.core.jsonkeys`),
    never as an ORM lookup or a JSON path. The values compare as Django's key lookups did:
    text case-insensitively, a number as JSON, ordering as JSON on PostgreSQL and as SQL
    values on SQLite.
    """
    name, value, op = condition.property, condition.value, condition.op
    json_value = KeyValue("properties", name)
    text = KeyText("properties", name)
    present = Q(HasKey("properties", name)) & ~Q(Exact(json_value, JSONLiteral(None)))

    def equals(item: Any) -> Q:
        if isinstance(item, str):
            number = _number(item)
            q = Q(IExact(text, item))
            return q | Q(Exact(json_value, JSONLiteral(number))) if number is not None else q
        return Q(Exact(json_value, JSONLiteral(item)))

    if op == "exists":
        return present
    if op == "missing":
        return ~present
    if op == "eq":
        return equals(value)
    if op == "ne":
        return ~present | ~equals(value)
    if op in ("in", "not_in"):
        options = value if isinstance(value, list | tuple) else [value]
        any_of = Q(pk__in=[])
        for option in options:
            any_of |= equals(option)
        return any_of if op == "in" else (~present | ~any_of)
    if op == "contains":
        return Q(IContains(text, str(value)))
    number = _number(value)
    return Q(ORDERINGS[op](json_value, JSONLiteral(value if number is None else number)))


def answer_q(condition: AnswerCondition) -> Q:
    """Return the database filter for a condition on an answer: an EXISTS on the response's
    answer to the question (the unique index on response and question finds it).

    The stored value (``{"choices": [...], "other": "..."}``, ``{"text": ...}``,
    ``{"rating": n}``) is read with the same JSON expressions as the properties'
    (:mod:`promoter.core.jsonkeys`), so both databases answer alike. ``not_in``, ``ne`` and
    ``missing`` are the complements of ``in``, ``eq`` and ``exists``: they include the
    responses without an answer.
    """
    op, value = condition.op, condition.value
    answers = Answer.objects.filter(response_id=OuterRef("pk"), question=condition.question)
    negate = op in ("not_in", "ne", "missing")
    if op in ("in", "not_in"):
        options = value if isinstance(value, tuple) else ()
        any_of = Q(pk__in=[])
        for option in options:
            if option == OTHER_BOX:
                any_of |= Q(HasKey("value", "other")) & ~Q(Exact(KeyText("value", "other"), ""))
            else:
                any_of |= Q(HasElement(KeyValue("value", "choices"), option))
        answers = answers.filter(any_of)
    elif op == "contains":
        text = str(value)
        answers = answers.filter(
            Q(IContains(KeyText("value", "text"), text))
            | Q(IContains(KeyText("value", "other"), text))
        )
    elif op in ORDERINGS or op in ("eq", "ne"):
        lookup = ORDERINGS.get(op, Exact)
        answers = answers.filter(Q(lookup(KeyValue("value", "rating"), JSONLiteral(value))))
    found = Q(Exists(answers))
    return ~found if negate else found


def category_q(kind: str, categories: Sequence[str]) -> Q:
    """Return the filter for responses in ``categories`` on the scale of ``kind``."""
    ranges = category_scores(kind)
    combined = Q(pk__in=[])
    for category in categories:
        low, high = ranges[category]
        combined |= Q(score__gte=low, score__lte=high)
    return combined


def responses_for(*, project: Project, flt: ResponseFilter) -> QuerySet[Response]:
    """Return the counted responses of ``project`` that ``flt`` selects (not excluded)."""
    qs = Response.objects.filter(project=project, survey=flt.survey, excluded=False)
    if flt.since is not None:
        qs = qs.filter(created_at__gte=flt.since)
    if flt.until is not None:
        qs = qs.filter(created_at__lt=flt.until)
    if flt.channels:
        qs = qs.filter(channel__in=flt.channels)
    if flt.leaves_button_out():
        qs = qs.exclude(channel=Channel.BUTTON)
    for condition in flt.conditions:
        qs = qs.filter(condition_q(condition))
    for answer in flt.answers:
        qs = qs.filter(answer_q(answer))
    if flt.tag_ids:
        # A tag selects the responses carrying it or one of its children (figures roll up).
        carrying = ResponseTag.objects.filter(response_id=OuterRef("pk")).filter(
            Q(tag_id__in=flt.tag_ids) | Q(tag__parent_id__in=flt.tag_ids)
        )
        qs = qs.filter(Exists(carrying))
    if flt.categories:
        qs = qs.filter(category_q(flt.survey.kind, flt.categories))
    if flt.has_comment is True:
        qs = qs.exclude(comment="")
    elif flt.has_comment is False:
        qs = qs.filter(comment="")
    if flt.search.strip():
        qs = qs.filter(comment__icontains=flt.search.strip())
    if flt.sentiments:
        qs = qs.filter(sentiment_q(flt.sentiments))
    return qs


def responses_listed(
    *,
    project: Project,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    updated_since: datetime.datetime | None = None,
    survey: Survey | None = None,
    categories: Sequence[str] = (),
    score: int | None = None,
    tag: str | None = None,
    has_comment: bool | None = None,
    sentiments: Sequence[str] = (),
    conditions: Sequence[Condition] = (),
    answers: Sequence[AnswerCondition] = (),
) -> QuerySet[Response]:
    """Return the counted responses of ``project`` an API client lists: of every survey (or
    ``survey``), narrowed by each filter given (``tag`` by name, any letter case). Raise
    ValueError for an unknown sentiment."""
    qs = Response.objects.filter(project=project, excluded=False)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if survey is not None:
        qs = qs.filter(survey=survey)
    if categories:
        by_kind = Response.objects.none()
        for kind in KINDS:
            by_kind = by_kind | qs.filter(survey__kind=kind).filter(category_q(kind, categories))
        qs = by_kind
    if score is not None:
        qs = qs.filter(score=score)
    if tag:
        found = tag_by_name(project=project, name=tag)
        qs = qs.filter(response_tags__tag=found) if found else qs.none()
    if has_comment is True:
        qs = qs.exclude(comment="")
    elif has_comment is False:
        qs = qs.filter(comment="")
    if sentiments:
        qs = qs.filter(sentiment_q(sentiments))
    for condition in conditions:
        qs = qs.filter(condition_q(condition))
    for answer in answers:
        qs = qs.filter(answer_q(answer))
    return qs.select_related("survey", "end_user")


def sentiment_q(labels: Sequence[str]) -> Q:
    """Return the filter for responses whose comment's sentiment has one of ``labels``
    (positive, neutral, negative); responses without a comment have none."""
    ranges = {
        "positive": Q(sentiment__gte=NEUTRAL_BAND),
        "neutral": Q(sentiment__gt=-NEUTRAL_BAND, sentiment__lt=NEUTRAL_BAND),
        "negative": Q(sentiment__lte=-NEUTRAL_BAND),
    }
    unknown = set(labels) - set(ranges)
    if unknown:
        raise ValueError(f"unknown sentiment {sorted(unknown)[0]!r}")
    combined = Q(pk__in=[])
    for label in labels:
        combined |= ranges[label]
    return combined


def _bins(survey: Survey) -> list[int]:
    low, high = survey.scale
    return [0] * (high - low + 1)


def _add(bins: list[int], survey: Survey, score: int, n: int) -> None:
    low, high = survey.scale
    if low <= score <= high:
        bins[score - low] += n


@replica_reads
def histogram(*, project: Project, flt: ResponseFilter) -> list[int]:
    """Return the counts of each score of the survey's scale among the selected responses."""
    bins = _bins(flt.survey)
    for score, n in _score_counts(project=project, flt=flt).items():
        _add(bins, flt.survey, score, n)
    return bins


@replica_reads
def response_count(*, project: Project, flt: ResponseFilter) -> int:
    """Return how many responses ``flt`` selects (every score, in the scale or not)."""
    return sum(_score_counts(project=project, flt=flt).values())


def _score_counts(*, project: Project, flt: ResponseFilter) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    plan = _rollup_plan(project=project, flt=flt)
    parts = _raw_parts(project=project, flt=flt, cut=plan[0] if plan else None)
    queries: list[QuerySet[Any]] = [
        part.values("score").annotate(n=Count("id")).order_by() for part in parts
    ]
    if plan is not None:
        queries.insert(0, plan[1].values("score").annotate(n=Sum("n")).order_by())
    if not queries:
        return counts
    # One round trip: the whole days' rows and the edges' rows, added up here.
    rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    for row in rows:
        counts[row["score"]] += int(row["n"])
    return counts


# Rollups (see promoter.analytics.rollups): whole local days come from the daily tables, the
# partial days at the period's ends from the responses, with the same filter.


def _plain_text(value: Any) -> bool:
    return isinstance(value, str) and value != "" and len(value) <= rollups.MAX_TEXT


def _key_ok(name: str) -> bool:
    # The rollups keep keys up to MAX_TEXT characters (any text, the empty key included).
    return len(name) <= rollups.MAX_TEXT


def _rollup_source(flt: ResponseFilter) -> tuple[type[DailyScore] | type[DailyProperty], Q] | None:
    """Return the rollup table and its filter that count what ``flt`` selects, per day, or
    None when no rollup can (filters on tags, comments, text, sentiment, or on properties
    other than one ``eq``/``in`` condition on text values, on answers)."""
    if flt.tag_ids or flt.has_comment is not None or flt.search.strip() or flt.sentiments:
        return None
    if flt.answers:
        return None
    q = Q(survey_id=flt.survey.pk)
    if flt.categories:
        q &= category_q(flt.survey.kind, flt.categories)
    if not flt.conditions:
        if flt.channels:
            q &= Q(channel__in=flt.channels)
        if flt.leaves_button_out():
            q &= ~Q(channel=Channel.BUTTON)
        return DailyScore, q
    # The property rollup has no channel.
    if flt.channels or len(flt.conditions) > 1 or flt.leaves_button_out():
        return None
    condition = flt.conditions[0]
    if condition.op not in ("eq", "in") or not _key_ok(condition.property):
        return None
    value = condition.value
    options = list(value) if isinstance(value, list | tuple) else [value]
    if not options or not all(_plain_text(o) and _number(o) is None for o in options):
        return None
    # The same lookup as condition_q's on the JSON text, so both match alike on each database.
    any_of = Q(pk__in=[])
    for option in options:
        any_of |= Q(value__iexact=option)
    return DailyProperty, q & Q(key=condition.property) & any_of


def _rollup_plan(
    *, project: Project, flt: ResponseFilter
) -> tuple[rollups.Split, QuerySet[Any]] | None:
    """Return how to cut ``flt``'s period and the rollup rows of its whole days, or None
    when the rollups cannot answer (then count everything from the responses)."""
    if not rollups.enabled() or flt.survey.project_id != project.pk:
        return None  # (another project's survey: the raw path finds nothing, as it should)
    source = _rollup_source(flt)
    if source is None:
        return None
    cut = rollups.split(flt.since, flt.until, _tz(project))
    if cut is None:
        return None
    model, q = source
    # By survey only (it is the project's, checked above): the rollups' unique index leads
    # with it, where a project filter tempts PostgreSQL into the (project, day) index.
    rows = model.objects.filter(q, **cut.day_filter())
    return cut, rows


def _raw_parts(
    *, project: Project, flt: ResponseFilter, cut: rollups.Split | None
) -> list[QuerySet[Response]]:
    """Return the responses to count from the table: all that ``flt`` selects without a
    rollup ``cut``; with one, those in the partial days at the period's ends (one query)."""
    if cut is None:
        return [responses_for(project=project, flt=flt)]
    edges = Q(pk__in=[])
    if cut.head is not None:
        low, high = cut.head
        edges |= (
            Q(created_at__lt=high) if low is None else Q(created_at__gte=low, created_at__lt=high)
        )
    if cut.tail is not None:
        start, stop = cut.tail
        edges |= (
            Q(created_at__gte=start)
            if stop is None
            else Q(created_at__gte=start, created_at__lt=stop)
        )
    if cut.head is None and cut.tail is None:
        return []
    whole = replace(flt, since=None, until=None)
    return [responses_for(project=project, flt=whole).filter(edges)]


@replica_reads
def score_histogram(
    *,
    survey: Survey,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> list[int]:
    """Return the histogram of ``survey`` in [since, until) (no other filter)."""
    flt = ResponseFilter(survey=survey, since=since, until=until)
    return histogram(project=survey.project, flt=flt)


def _tz(project: Project) -> datetime.tzinfo:
    return zone(project.timezone)


def bucket_start(moment: datetime.datetime, bucket: str, tz: datetime.tzinfo) -> datetime.date:
    """Return the first day of the ``bucket`` (day, week from Monday, month) holding
    ``moment`` in timezone ``tz``."""
    day = moment.astimezone(tz).date()
    if bucket == "week":
        return day - datetime.timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(day: datetime.date, bucket: str) -> datetime.date:
    if bucket == "day":
        return day + datetime.timedelta(days=1)
    if bucket == "week":
        return day + datetime.timedelta(days=7)
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


@replica_reads
def histograms_by_period(
    *, project: Project, flt: ResponseFilter, bucket: str = "week"
) -> list[tuple[datetime.date, list[int]]]:
    """Return one histogram per ``bucket`` (day, week, month) in the project's timezone,
    oldest first, with empty buckets between the first and the last filled."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    tz = _tz(project)
    trunc = BUCKETS[bucket]("created_at", tzinfo=tz)
    by_period: dict[datetime.date, list[int]] = {}

    def add(period: datetime.date | datetime.datetime, score: int, n: int) -> None:
        day = period.astimezone(tz).date() if isinstance(period, datetime.datetime) else period
        day = bucket_start(datetime.datetime.combine(day, datetime.time(12), tzinfo=tz), bucket, tz)
        _add(by_period.setdefault(day, _bins(flt.survey)), flt.survey, score, n)

    plan = _rollup_plan(project=project, flt=flt)
    if plan is not None:
        for row in plan[1].values("day", "score").annotate(total=Sum("n")).order_by():
            if row["total"]:
                add(row["day"], row["score"], row["total"])
    for part in _raw_parts(project=project, flt=flt, cut=plan[0] if plan else None):
        rows = (
            part.annotate(period=trunc).values("period", "score").annotate(n=Count("id")).order_by()
        )
        for row in rows:
            add(row["period"], row["score"], row["n"])
    if not by_period:
        return []
    start = min(by_period)
    if flt.since is not None:
        start = min(start, bucket_start(flt.since, bucket, tz))
    end = max(by_period)
    if flt.until is not None:
        end = max(end, bucket_start(flt.until - datetime.timedelta(microseconds=1), bucket, tz))
    series = []
    day = start
    while day <= end:
        series.append((day, by_period.get(day, _bins(flt.survey))))
        day = _next(day, bucket)
    return series


@replica_reads
def histograms_by_property(
    *,
    project: Project,
    flt: ResponseFilter,
    name: str,
    top: int | None = 12,
    values: Collection[str] | None = None,
) -> list[tuple[str, list[int]]]:
    """Return one histogram per value of property ``name`` (the person's value when they
    answered), the ``top`` most frequent values first, then "(other)", then "(not set)";
    every value (and no "(other)") when ``top`` is None, for ``top_of`` to cut later.

    With ``values``, only those values' histograms (no "(other)", no "(not set)"), each the
    same as without: the database reads only their rows (a page's previous period, for the
    values it shows)."""
    wanted = None if values is None else frozenset(values)
    groups: dict[str, list[int]] = defaultdict(lambda: _bins(flt.survey))
    seen: dict[str, int] = defaultdict(int)  # responses per label, in the scale or not

    def put(label: str, score: int, n: int) -> None:
        if n and (wanted is None or label in wanted):
            seen[label] += n
            _add(groups[label], flt.survey, score, n)

    # The property rollup has no channel: with a channel filter, count from the responses.
    usable = (
        not flt.conditions and not flt.channels and not flt.leaves_button_out() and _key_ok(name)
    )
    plan = _rollup_plan(project=project, flt=flt) if usable else None
    rows, folded = _property_rows(project=project, flt=flt, name=name, plan=plan, values=wanted)
    if plan is not None and any(row[0] == "" for row in folded):
        # A value too long to store ("") in these days: count this property from responses.
        rows, folded = _property_rows(project=project, flt=flt, name=name, plan=None, values=wanted)
    unset: dict[int, int] = defaultdict(int)  # from the rollups: all minus those with a value
    for value, score, n, src in rows:
        if src == ALL:
            unset[score] += int(n)
        else:
            put(NOT_SET if value is None or value == "" else str(value), score, int(n))
    # The stored values, one row per value (and per rollup) with its counts per score 0-10.
    low, high = flt.survey.scale
    for value, *counts in folded:
        n = sum(counts)
        if n and (wanted is None or value in wanted):
            seen[value] += n
            bins = groups[value]
            for score in range(low, high + 1):
                bins[score - low] += counts[score]
    for score, column in enumerate(list(zip(*folded, strict=True))[1:]):
        unset[score] -= sum(column)
    for score, n in unset.items():
        put(NOT_SET, score, n)
    groups = {label: bins for label, bins in groups.items() if seen[label]}
    named = sorted(
        ((label, bins) for label, bins in groups.items() if label != NOT_SET),
        key=lambda item: (-sum(item[1]), item[0]),
    )
    if NOT_SET in groups:
        named.append((NOT_SET, groups[NOT_SET]))
    return named if top is None else top_of(named, top=top, survey=flt.survey)


def top_of(
    groups: list[tuple[str, list[int]]], *, top: int, survey: Survey
) -> list[tuple[str, list[int]]]:
    """Cut the every-value list of ``histograms_by_property(top=None)`` to its ``top`` values,
    then "(other)" (the rest added up), then "(not set)": one aggregation serves several
    cuts of the same property."""
    named = [(label, bins) for label, bins in groups if label != NOT_SET]
    result = named[:top]
    if len(named) > top:
        other = _bins(survey)
        for _label, bins in named[top:]:
            other = [a + b for a, b in zip(other, bins, strict=True)]
        result.append((OTHER, other))
    result.extend(item for item in groups if item[0] == NOT_SET)
    return result


ALL, RAW = 1, 2  # where a row of _property_rows comes from


def _property_rows(
    *,
    project: Project,
    flt: ResponseFilter,
    name: str,
    plan: tuple[rollups.Split, QuerySet[Any]] | None,
    values: frozenset[str] | None = None,
) -> tuple[list[tuple[Any, int, Any, int]], list[tuple[Any, ...]]]:
    """Return the counts of property ``name`` in two queries at most: (value, score, count,
    source) rows, and stored (value, count of score 0, ..., count of score 10) rows.

    With a rollup ``plan``, the stored rows are the whole days' (the whole weeks' from the
    weekly rollup, the days around them from the daily one, a row per value from each), the
    first rows the whole days' totals (ALL) and the partial days' responses (RAW); without
    one, the responses only (RAW). With ``values``, the stored rows are only those values'
    (and "", a value too long to store), without totals; the caller keeps the raw rows of
    those values."""
    queries: list[QuerySet[Any]] = []
    folded: list[tuple[Any, ...]] = []
    if plan is not None:
        cut, daily = plan
        stored: list[QuerySet[Any]] = []
        # By score category, the counts of some scores only: the daily rollup alone.
        whole = None if flt.categories else rollups.weeks(cut)
        days = DailyProperty.objects.filter(survey_id=flt.survey.pk, key=name)
        if flt.categories:
            days = days.filter(category_q(flt.survey.kind, flt.categories))
        by_score = {
            c: Cast(Sum("n", filter=Q(score=k), default=0), BigIntegerField())
            for k, c in enumerate(rollups.SCORE_COLUMNS)
        }
        if whole is None:
            stored.append(days.filter(**cut.day_filter()).values_list("value").annotate(**by_score))
        else:
            weekly = WeeklyProperty.objects.filter(
                survey_id=flt.survey.pk, key=name, **whole.week_filter()
            )
            stored.append(
                weekly.values_list("value").annotate(
                    **{c: Cast(Sum(c), BigIntegerField()) for c in rollups.SCORE_COLUMNS}
                )
            )
            # The days around the weeks, a part each: one index range each, where an OR of
            # the ranges (or the whole days' range with it) leads PostgreSQL to scan more.
            for low, high in whole.days:
                some_days = days.filter(day__gte=low, day__lt=high)
                stored.append(some_days.values_list("value").annotate(**by_score))
        if values is not None:
            stored = [q.filter(value__in=[*values, ""]) for q in stored]
        stored = [q.order_by() for q in stored]
        union = stored[0].union(*stored[1:], all=True) if len(stored) > 1 else stored[0]
        folded = _fetch(union)
    if plan is not None and values is None:
        queries.append(
            daily.annotate(value=Value("", CharField()))
            .values_list("value", "score")
            .annotate(total=Sum("n"), src=Value(ALL, IntegerField()))
            .order_by()
        )
    for part in _raw_parts(project=project, flt=flt, cut=plan[0] if plan else None):
        queries.append(
            part.annotate(value=KeyText("properties", name))
            .values_list("value", "score")
            .annotate(total=Count("id"), src=Value(RAW, IntegerField()))
            .order_by()
        )
    if not queries:
        return [], folded
    union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return _fetch(union), folded


def _fetch(query: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """Return the rows of ``query`` (a ``values_list``) as the database driver gives them,
    without Django's per-value converters (thousands of rows of a dozen counts each: the
    converters took a fifth of the Segments page); the callers take ``int()`` of counts."""
    alias = read_alias()
    sql, params = query.query.get_compiler(using=alias).as_sql()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@replica_reads
def histograms_by_tag(*, project: Project, flt: ResponseFilter) -> list[tuple[Tag, list[int]]]:
    """Return one histogram per tag carried by the selected responses, most used first."""
    rows = (
        ResponseTag.objects.filter(response__in=responses_for(project=project, flt=flt))
        .values("tag_id", "response__score")
        .annotate(n=Count("id"))
        .order_by()
    )
    groups: dict[int, list[int]] = defaultdict(lambda: _bins(flt.survey))
    for row in rows:
        _add(groups[row["tag_id"]], flt.survey, row["response__score"], row["n"])
    tags = Tag.objects.in_bulk(list(groups))
    ordered = sorted(groups.items(), key=lambda item: (-sum(item[1]), tags[item[0]].name))
    return [(tags[tag_id], bins) for tag_id, bins in ordered]


@replica_reads
def histograms_by_channel(*, project: Project, flt: ResponseFilter) -> list[tuple[str, list[int]]]:
    """Return one histogram per channel (web, ios, android, email, link, …)."""
    rows = (
        responses_for(project=project, flt=flt)
        .values("channel", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    groups: dict[str, list[int]] = defaultdict(lambda: _bins(flt.survey))
    for row in rows:
        _add(groups[row["channel"]], flt.survey, row["score"], row["n"])
    return sorted(groups.items(), key=lambda item: -sum(item[1]))


@replica_reads
def histograms_by_survey(
    *,
    project: Project,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> list[tuple[Survey, list[int]]]:
    """Return each survey of ``project`` (oldest first) with its histogram, in one query."""
    surveys = list(Survey.objects.filter(project=project).order_by("created_at", "pk"))
    bins = {survey.pk: _bins(survey) for survey in surveys}
    by_pk = {survey.pk: survey for survey in surveys}
    # Each survey's score leaves out its feedback button's answers unless it counts them.
    uncounted = ~Q(
        survey_id__in=[s.pk for s in surveys if not counts_in_score(s.button)],
        channel=Channel.BUTTON,
    )
    parts: list[tuple[datetime.datetime | None, datetime.datetime | None]] = [(since, until)]
    cut = rollups.split(since, until, _tz(project)) if rollups.enabled() else None
    if cut is not None:
        daily = DailyScore.objects.filter(uncounted, project_id=project.pk, **cut.day_filter())
        for row in daily.values("survey_id", "score").annotate(n=Sum("n")).order_by():
            if row["survey_id"] in bins:
                _add(bins[row["survey_id"]], by_pk[row["survey_id"]], row["score"], row["n"])
        parts = [edge for edge in (cut.head, cut.tail) if edge is not None]
    for low, high in parts:
        qs = Response.objects.filter(uncounted, project=project, excluded=False)
        if low is not None:
            qs = qs.filter(created_at__gte=low)
        if high is not None:
            qs = qs.filter(created_at__lt=high)
        for row in qs.values("survey_id", "score").annotate(n=Count("id")).order_by():
            _add(bins[row["survey_id"]], by_pk[row["survey_id"]], row["score"], row["n"])
    return [(survey, bins[survey.pk]) for survey in surveys]


@dataclass(frozen=True)
class Funnel:
    displays: int
    declines: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        """Return responses ÷ displays in percent (None without displays)."""
        return 100.0 * self.responses / self.displays if self.displays else None

    @property
    def decline_rate(self) -> float | None:
        return 100.0 * self.declines / self.displays if self.displays else None


@replica_reads
def funnel(*, project: Project, flt: ResponseFilter) -> Funnel:
    """Return how often the survey was shown and dismissed in the period, and answered."""

    def count(model: Any) -> int:
        qs = model.objects.filter(project=project, survey=flt.survey)
        if flt.since is not None:
            qs = qs.filter(created_at__gte=flt.since)
        if flt.until is not None:
            qs = qs.filter(created_at__lt=flt.until)
        if flt.channels:
            qs = qs.filter(channel__in=flt.channels)
        return int(qs.count())

    unfiltered = replace(
        flt, conditions=(), tag_ids=(), categories=(), has_comment=None, search="", sentiments=()
    )
    in_app = ("web", "ios", "android")
    channels = tuple(c for c in flt.channels if c in in_app) if flt.channels else in_app
    answered = (
        response_count(project=project, flt=replace(unfiltered, channels=channels))
        if channels
        else 0
    )
    return Funnel(displays=count(Display), declines=count(Decline), responses=answered)


@replica_reads
def property_names(*, project: Project, survey: Survey, sample: int = 2000) -> list[str]:
    """Return the property names seen on the survey's latest responses, most frequent first.

    The database takes the latest ``sample`` responses' properties apart and counts each
    name (a few rows come back, not ``sample`` JSON documents to decode here)."""
    connection = connections[read_alias()]
    properties = rollups.json_object_sql(connection.vendor, "r.properties")
    if connection.vendor == "postgresql":
        names = f"jsonb_object_keys({properties}) AS j(key)"
    else:
        names = f"json_each({properties}) AS j"
    latest = (
        f"SELECT properties FROM {Response._meta.db_table}"  # noqa: S608 (own table name)
        " WHERE project_id = %s AND survey_id = %s ORDER BY created_at DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT j.key, COUNT(*) FROM ({latest}) r, {names} GROUP BY j.key",  # noqa: S608
            [project.pk, survey.pk, sample],
        )
        seen = dict(cursor.fetchall())
    return sorted(seen, key=lambda name: (-seen[name], name))


# Tags: one query per figure for every tag at once. A top-level tag's figures count the
# responses carrying it or any of its children once each; a child tag's count its own.


@dataclass(frozen=True)
class TagFigures:
    """The responses carrying one tag (with its children for a top-level tag)."""

    bins: list[int]  # score histogram
    commented: int  # of them, with a comment
    sentiment_sum: float = 0.0
    sentiment_n: int = 0  # of them, with a sentiment
    # How many per bucket (first day of each day, week or month), when asked for.
    by_period: dict[datetime.date, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return sum(self.bins)

    @property
    def sentiment(self) -> float | None:
        """Return the mean sentiment (-1 … +1) of those with one, None without any."""
        return self.sentiment_sum / self.sentiment_n if self.sentiment_n else None


def _tag_keyed(*, project: Project, flt: ResponseFilter) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """Return the selected responses' tag links keyed by tag (``key``), in two parts:
    each (response, top-level tag) once, keyed by the top-level tag, and each link to a
    child tag, keyed by the child."""
    links = ResponseTag.objects.filter(response__in=responses_for(project=project, flt=flt))
    rolled = links.annotate(key=Coalesce("tag__parent_id", "tag_id"))
    # A response tagged with a parent and a child (or two children) links to the family
    # several times: only its link with the lowest tag id counts.
    earlier = ResponseTag.objects.filter(
        response_id=OuterRef("response_id"), tag_id__lt=OuterRef("tag_id")
    ).filter(Q(tag_id=OuterRef("key")) | Q(tag__parent_id=OuterRef("key")))
    rolled = rolled.filter(~Exists(earlier))
    children = links.filter(tag__parent__isnull=False).annotate(key=F("tag_id"))
    return rolled, children


@replica_reads
def tag_figures(
    *, project: Project, flt: ResponseFilter, bucket: str | None = None
) -> dict[int, TagFigures]:
    """Return the figures of every tag the selected responses carry, by tag pk, in one query.

    A top-level tag's figures include its children's responses, each response once. With a
    ``bucket`` (day, week, month), ``by_period`` counts them per bucket of the project's
    timezone, keyed like :func:`histograms_by_period`.
    """
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    tz = _tz(project)
    group = ["key", "response__score"]
    parts = []
    for part in _tag_keyed(project=project, flt=flt):
        if bucket is not None:
            part = part.annotate(period=BUCKETS[bucket]("response__created_at", tzinfo=tz))
        parts.append(
            part.values(*group, *(["period"] if bucket is not None else []))
            .annotate(
                n=Count("id"),
                commented=Count("id", filter=~Q(response__comment="")),
                sentiment_sum=Sum("response__sentiment"),
                sentiment_n=Count("response__sentiment"),
            )
            .order_by()
        )
    acc: dict[int, dict[str, Any]] = {}
    for row in parts[0].union(parts[1], all=True):
        into = acc.setdefault(
            row["key"],
            {"bins": _bins(flt.survey), "commented": 0, "sum": 0.0, "n": 0, "by_period": {}},
        )
        _add(into["bins"], flt.survey, row["response__score"], row["n"])
        into["commented"] += row["commented"]
        into["sum"] += float(row["sentiment_sum"] or 0.0)
        into["n"] += row["sentiment_n"]
        if bucket is not None:
            period = row["period"]
            day = period.astimezone(tz).date() if isinstance(period, datetime.datetime) else period
            noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=tz)
            day = bucket_start(noon, bucket, tz)
            into["by_period"][day] = into["by_period"].get(day, 0) + row["n"]
    return {
        key: TagFigures(
            bins=v["bins"],
            commented=v["commented"],
            sentiment_sum=v["sum"],
            sentiment_n=v["n"],
            by_period=v["by_period"],
        )
        for key, v in acc.items()
    }


# Answers to the additional questions (surveys/questions.py): counted in the database, by
# question and the response's score, for the figures of analytics/questions.py.


def _rating(value: Any) -> int | None:
    number = _number(value)
    return None if number is None or not number.is_integer() else int(number)


def _picked(value: Any) -> list[str]:
    """Return the choice ids of a stored ``choices`` list, as the database hands it back."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [str(c) for c in value] if isinstance(value, list) else []


@replica_reads
def answer_tallies(
    *, project: Project, flt: ResponseFilter, latest: int = 5
) -> dict[tuple[str, str], Tally]:
    """Return the counts of the answers of the responses ``flt`` selects, by (question id,
    type): who answered and who picked each choice ("other": the Other box), by the
    response's score; each rating; and the ``latest`` text answers of each text question,
    newest response first.

    One pass over the answers, grouped in the database by question, score and what was
    answered (the picked choices' list, the rating, whether the Other box was used): a row
    per distinct answer and score comes back, never an answer per row, and the lists are
    split into choices here. Then one query per text question when ``latest`` > 0, which
    walks the newest responses first and stops at ``latest``.
    """
    answers = Answer.objects.filter(
        survey_id=flt.survey.pk, response__in=responses_for(project=project, flt=flt)
    )
    rows = (
        answers.annotate(
            picked=KeyTransform("choices", "value"),
            rating=KT("value__rating"),
            other=Case(When(value__has_key="other", then=Value(1)), default=Value(0)),
        )
        .values_list("question", "type", "response__score", "picked", "rating", "other")
        .annotate(n=Count("id"))
        .order_by()
    )
    answered: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    picks: dict[tuple[str, str], dict[str, dict[int, int]]] = defaultdict(dict)
    ratings: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)

    def add(into: dict[int, int], key: int, n: int) -> None:
        into[key] = into.get(key, 0) + n

    for question, kind, score, picked, rating, other, n in rows:
        key, n = (question, kind), int(n)
        add(answered[key], score, n)
        if kind in CHOICE_TYPES:
            for choice in _picked(picked) + ([OTHER_BOX] if other else []):
                add(picks[key].setdefault(choice, {}), score, n)
        elif kind == "rating" and (value := _rating(rating)) is not None:
            add(ratings[key], value, n)
    texts: dict[tuple[str, str], tuple[LatestText, ...]] = {}
    for key in answered:
        if key[1] != "text" or latest <= 0:
            continue
        newest = (
            responses_for(project=project, flt=flt)
            .filter(answers__question=key[0], answers__type="text")
            .order_by("-created_at", "-id")
            .values_list("answers__value", "public_id", "created_at")[:latest]
        )
        texts[key] = tuple(
            LatestText(
                text=str(value.get("text", "")) if isinstance(value, dict) else "",
                response=str(public_id),
                created_at=created_at,
            )
            for value, public_id, created_at in newest
        )
    return {
        key: Tally(
            question=key[0],
            type=key[1],
            answered=by_score,
            picks=picks.get(key, {}),
            ratings=ratings.get(key, {}),
            latest=texts.get(key, ()),
        )
        for key, by_score in answered.items()
    }
