"""The dashboard's filter state, read from and written to the URL so any view can be shared.

Parameters: ``survey`` (id), ``period`` (7d, 30d, 90d, 365d, all, custom with ``since`` and
``until`` as YYYY-MM-DD), ``channel`` (repeatable), ``category`` (repeatable), ``where``
(repeatable ``property:op:value``, e.g. ``plan:eq:enterprise`` or ``country:in:FR,DE``: the
filter language of :mod:`promoter.analytics.filters`), ``answer`` (repeatable
``question:op:value`` on an additional question's answer, e.g. ``fix:in:performance,price``
or ``setup:gte:4``, checked against the survey's questions),
``tag`` (repeatable tag id; a parent tag includes its children), ``comment`` (yes or no),
``sentiment`` (repeatable: positive, neutral, negative) and ``q`` (text in comments).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.analytics.filters import (
    ANSWER_MAX_CONDITIONS,
    WHERE_MAX_CONDITIONS,
    AnswerCondition,
    answer_check,
    answer_parse,
    condition_parse,
    format_answer,
    format_where,
)
from promoter.analytics.selectors import ResponseFilter
from promoter.core.inputs import text_problem
from promoter.core.zones import zone
from promoter.responses.models import Channel, Tag
from promoter.responses.selectors import tags_for_project
from promoter.surveys.eligibility import Condition
from promoter.surveys.models import Survey
from promoter.surveys.scales import CATEGORIES
from promoter.surveys.selectors import survey_questions_published
from promoter.text.sentiment import SENTIMENTS

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PERIOD = "90d"
CHANNELS = tuple(Channel.values)
KEYS = (
    "survey", "period", "since", "until", "channel", "category", "where", "answer", "tag",
    "comment", "sentiment", "q",
)  # fmt: skip


def filter_choices() -> dict[str, Any]:
    """Return the choices the filter bar (``_filters.html``) offers, for a page's context."""
    return {
        "periods": [*PERIODS, "all"],
        "channels": CHANNELS,
        "categories": CATEGORIES,
        "sentiments": SENTIMENTS,
    }


@dataclass
class DashboardView:
    """What one dashboard page shows: the survey, the period and the filters."""

    project: Project
    surveys: list[Survey]
    survey: Survey
    period: str
    since: datetime.datetime | None
    until: datetime.datetime
    filter: ResponseFilter
    conditions: list[Condition]
    tags: list[Tag]  # those the view filters by
    answers: list[AnswerCondition] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    all_tags: list[Tag] = field(default_factory=list)  # the project's, parents before children

    def query(self, **changes: Any) -> str:
        """Return this view's query string with ``changes`` (None removes a key; a list
        replaces a repeatable key)."""
        current: dict[str, list[str]] = {}
        for key, value in self.params:
            current.setdefault(key, []).append(value)
        for key, value in changes.items():
            if value is None:
                current.pop(key, None)
            elif isinstance(value, list | tuple):
                current[key] = [str(v) for v in value]
            else:
                current[key] = [str(value)]
        pairs = [(key, value) for key in KEYS for value in current.get(key, [])]
        return "?" + urlencode(pairs) if pairs else "?"

    def with_condition(self, condition: Condition) -> str:
        wheres = [format_where(c) for c in self.conditions if c.property != condition.property]
        return self.query(where=[*wheres, format_where(condition)])

    def without_answer(self, condition: AnswerCondition) -> str:
        """Return this view's query string without the answer condition ``condition``."""
        kept = [format_answer(a) for a in self.answers if a != condition]
        return self.query(answer=kept or None)

    @property
    def answer_chips(self) -> list[tuple[AnswerCondition, str, str]]:
        """Return each answer condition, written, with the query string that removes it."""
        return [(a, format_answer(a), self.without_answer(a)) for a in self.answers]

    @property
    def compare_previous(self) -> ResponseFilter | None:
        if self.since is None:
            return None
        return self.filter.previous_period()


# The days a custom period may name: the figures add a day to the end and go back one
# period's length for the comparison, which must stay within a datetime's years.
FIRST_DAY, LAST_DAY = datetime.date(1970, 1, 1), datetime.date(2999, 12, 31)


def _date(text: str, tz: datetime.tzinfo) -> datetime.datetime | None:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        return None
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)


def view_from_request(
    request: HttpRequest, *, project: Project, surveys: list[Survey] | None = None
) -> DashboardView | None:
    """Return the view the request's URL describes (None when the project has no survey).

    Unknown or malformed values are dropped and listed in ``problems`` so the page can say so.
    """
    get = request.GET
    problems: list[str] = []
    surveys = surveys if surveys is not None else list(project.surveys.order_by("created_at", "pk"))
    if not surveys:
        return None
    chosen = get.get("survey", "")
    survey = next((s for s in surveys if str(s.public_id) == chosen), None)
    if chosen and survey is None:
        problems.append("That survey does not exist here: showing the first one.")
    survey = survey or surveys[0]
    tz = zone(project.timezone)
    now = timezone.now()
    period = get.get("period", DEFAULT_PERIOD)
    until = now
    since: datetime.datetime | None
    if period in PERIODS:
        since = now - datetime.timedelta(days=PERIODS[period])
    elif period == "all":
        since = None
    elif period == "custom":
        since = _date(get.get("since", ""), tz)
        end = _date(get.get("until", ""), tz)
        until = end + datetime.timedelta(days=1) if end else now
        if since is None or since >= until:
            problems.append("The custom period needs a start date before its end.")
            period, since, until = DEFAULT_PERIOD, now - datetime.timedelta(days=90), now
    else:
        problems.append(f"Unknown period {period!r}: showing the last 90 days.")
        period, since = DEFAULT_PERIOD, now - datetime.timedelta(days=90)
    channels = tuple(c for c in get.getlist("channel") if c in CHANNELS)
    categories = tuple(c for c in get.getlist("category") if c in CATEGORIES)
    sentiments = tuple(s for s in get.getlist("sentiment") if s in SENTIMENTS)
    conditions: list[Condition] = []
    wheres = get.getlist("where")
    if len(wheres) > WHERE_MAX_CONDITIONS:
        problems.append(f"Kept the first {WHERE_MAX_CONDITIONS} filters only.")
    for text in wheres[:WHERE_MAX_CONDITIONS]:
        try:
            conditions.append(condition_parse(text))
        except ValueError as exc:
            problems.append(f"Ignored the filter {exc}.")
    answers: list[AnswerCondition] = []
    texts = [t for t in get.getlist("answer") if t]
    if len(texts) > ANSWER_MAX_CONDITIONS:
        problems.append(f"Kept the first {ANSWER_MAX_CONDITIONS} answer filters only.")
    questions = survey_questions_published(survey=survey) if texts else []
    for text in texts[:ANSWER_MAX_CONDITIONS]:
        try:
            answer = answer_parse(text)
            answer_check(answer, questions)
        except ValueError as exc:
            problems.append(f"Ignored the answer filter {exc}.")
        else:
            answers.append(answer)
    all_tags = tags_for_project(project=project)
    wanted = set(_uuids([t for t in get.getlist("tag") if t]))
    tags = [t for t in all_tags if str(t.public_id) in wanted]
    comment = get.get("comment", "")
    has_comment = {"yes": True, "no": False}.get(comment)
    search = get.get("q", "").strip()[:200]
    if text_problem(search):
        problems.append(f"Ignored the search: it {text_problem(search)}.")
        search = ""
    flt = ResponseFilter(
        survey=survey,
        since=since,
        until=until,
        channels=channels,
        conditions=tuple(conditions),
        tag_ids=tuple(t.pk for t in tags),
        categories=categories,
        has_comment=has_comment,
        search=search,
        sentiments=sentiments,
        answers=tuple(answers),
    )
    params = [(k, v) for k in KEYS for v in get.getlist(k) if v]
    return DashboardView(
        project=project,
        surveys=surveys,
        survey=survey,
        period=period,
        since=since,
        until=until,
        filter=flt,
        conditions=conditions,
        tags=tags,
        answers=answers,
        params=params,
        problems=problems,
        all_tags=all_tags,
    )


def _uuids(values: list[str]) -> list[str]:
    import uuid

    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid
