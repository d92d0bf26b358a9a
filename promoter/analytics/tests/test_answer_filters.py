"""Filters on answers, ``answer=question:op:value``: the language (read, written back,
bounded, checked against the survey's questions), and the rows each interface answers (the
REST API's ``GET /responses`` and ``GET /metrics``, the dashboard's Responses page and its
bulk tagging, ``promoter report``), checked against a plain Python reading of the answers,
for chosen conditions and for conditions hypothesis draws.
"""

from __future__ import annotations

import datetime
import io
import json
import os
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoter.accounts.services import api_key_create
from promoter.actions.responses import response_record
from promoter.analytics.filters import (
    ANSWER_MAX_CONDITIONS,
    ANSWER_OPERATORS,
    WHERE_MAX_OPTIONS,
    AnswerCondition,
    answer_check,
    answer_parse,
    answers_parse,
    format_answer,
)
from promoter.responses.models import Response, ResponseTag
from promoter.surveys.tests.asking import ask

EXAMPLES = int(os.environ.get("PROMOTER_FUZZ_EXAMPLES", "0")) or 25

QUESTIONS = [
    {"id": "fix", "type": "multiple_choice", "text": "What should we improve?", "other": True,
     "choices": [{"id": "performance", "text": "Performance"}, {"id": "price", "text": "Price"},
                 {"id": "docs", "text": "Docs"}]},
    {"id": "setup", "type": "rating", "text": "How easy is setup?"},
    {"id": "why", "type": "text", "text": "Why?"},
    {"id": "pmf", "type": "pmf", "text": ""},
]  # fmt: skip


# --- the language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("fix:in:performance, price,,", AnswerCondition("fix", "in", ("performance", "price"))),
        ("fix:not_in:other", AnswerCondition("fix", "not_in", ("other",))),
        ("setup:gte:4", AnswerCondition("setup", "gte", 4)),
        ("setup:ne: 3 ", AnswerCondition("setup", "ne", 3)),
        ("why:contains:slow: really", AnswerCondition("why", "contains", "slow: really")),
        ("fix:exists", AnswerCondition("fix", "exists")),
        ("fix:missing:ignored", AnswerCondition("fix", "missing")),
    ],
)
def test_an_answer_condition_reads_as_written(text, condition):
    assert answer_parse(text) == condition
    assert answer_parse(format_answer(condition)) == condition


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fix", "write question:operator:value"),
        ("fix:like:x", "write question:operator:value"),
        ("Fix Me:exists", "is not a question id"),
        ("fix:in:", "takes a list of choice ids"),
        ("fix:in:Not An Id", "is not a choice id"),
        ("setup:gte:four", "takes a whole number"),
        ("setup:gte:4.5", "takes a whole number"),
        ("why:contains: ", "takes some text"),
        ("why:contains:\x00", "NUL"),
        ("fix:in:" + ",".join(f"c{i}" for i in range(WHERE_MAX_OPTIONS + 1)), "lists over"),
        ("why:contains:" + "x" * 2001, "over 2000 characters"),
    ],
)
def test_a_malformed_answer_condition_is_refused_saying_why(text, says):
    with pytest.raises(ValueError) as refused:
        answer_parse(text)
    assert says in str(refused.value)


def test_the_refusal_names_every_operator_and_the_number_is_bounded():
    with pytest.raises(ValueError) as refused:
        answer_parse("fix:is:x")
    assert all(op in str(refused.value) for op in ANSWER_OPERATORS)
    texts = [f"q{i}:exists" for i in range(ANSWER_MAX_CONDITIONS)]
    assert len(answers_parse(texts)) == ANSWER_MAX_CONDITIONS
    with pytest.raises(ValueError, match=f"at most {ANSWER_MAX_CONDITIONS}"):
        answers_parse([*texts, "one:exists"])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("nope:exists", "the survey asks no 'nope'"),
        ("setup:in:4", "a rating question takes eq, ne"),
        ("why:gte:3", "a text question takes contains"),
        ("fix:gte:3", "a multiple_choice question takes in"),
        ("fix:in:speed", "'speed' is not a choice of 'fix'"),
        ("pmf:in:other", "'other' is not a choice of 'pmf'"),
        ("pmf:contains:very", "'pmf' has no Other box to search"),
    ],
)
def test_a_condition_must_fit_the_surveys_questions(text, says):
    with pytest.raises(ValueError) as refused:
        answer_check(answer_parse(text), QUESTIONS)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    "text", ["fix:in:other,price", "setup:lt:3", "why:contains:x", "pmf:in:very_disappointed"]
)
def test_a_condition_that_fits_passes(text):
    answer_check(answer_parse(text), QUESTIONS)


@given(
    question=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,39}", fullmatch=True),
    op=st.sampled_from(ANSWER_OPERATORS),
    options=st.lists(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,39}", fullmatch=True), min_size=1),
    number=st.integers(-999, 999),
    text=st.text(min_size=1, max_size=50).filter(lambda t: t.strip() and "\x00" not in t),
)
@settings(max_examples=EXAMPLES * 4, deadline=None)
def test_any_condition_written_reads_back(question, op, options, number, text):
    value: Any
    if op in ("exists", "missing"):
        value = None
    elif op in ("in", "not_in"):
        value = tuple(dict.fromkeys(options[:WHERE_MAX_OPTIONS]))
    elif op == "contains":
        value = text.strip()
    else:
        value = number
    try:
        condition = AnswerCondition(question, op, value)
        written = format_answer(condition)
        assert answer_parse(written) == condition
    except ValueError as exc:  # only a lone surrogate in the text may be refused
        assert op == "contains" and "surrogate" in str(exc), exc


@given(st.text(max_size=80))
@settings(max_examples=EXAMPLES * 4, deadline=None)
def test_any_text_parses_or_is_refused_with_a_value_error(text):
    try:
        condition = answer_parse(text)
    except ValueError:
        return
    assert answer_parse(format_answer(condition)) == condition


# --- the rows each interface answers --------------------------------------------------------

# label: (score, answers)
ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "perf": (2, {"fix": ["performance"], "setup": 2, "why": "Too SLOW to load"}),
    "perf-price": (5, {"fix": ["performance", "price"], "setup": 3}),
    "other": (7, {"fix": {"choices": [], "other": "the slow export"}, "pmf": "not_disappointed"}),
    "docs": (9, {"fix": ["docs"], "setup": 5, "pmf": "very_disappointed", "why": "fine"}),
    "rating-only": (10, {"setup": 4, "pmf": "very_disappointed"}),
    "none": (8, {}),
}


def _matches(condition: AnswerCondition, answers: dict[str, Any]) -> bool:
    """Whether a response with ``answers`` (stored forms) meets ``condition``: the oracle."""
    stored = answers.get(condition.question)
    op, value = condition.op, condition.value
    if op in ("exists", "missing"):
        return (stored is not None) == (op == "exists")
    if op in ("in", "not_in"):
        picked = set()
        if stored is not None:
            picked = set(stored.get("choices") or []) | (
                {"other"} if stored.get("other") else set()
            )
        hit = bool(picked & set(value if isinstance(value, tuple) else ()))
        return hit == (op == "in")
    if op == "contains":
        if stored is None:
            return False
        texts = [stored.get("text") or "", stored.get("other") or ""]
        return any(str(value).lower() in t.lower() for t in texts)
    rating = stored.get("rating") if stored is not None else None
    if op == "ne":
        return rating != value
    if rating is None:
        return False
    assert isinstance(value, int)
    return {
        "eq": rating == value,
        "gt": rating > value,
        "gte": rating >= value,
        "lt": rating < value,
        "lte": rating <= value,
    }[op]


@pytest.fixture
def answered(world) -> tuple[Any, dict[str, Response], dict[str, dict[str, Any]]]:
    survey = ask(world.alpha.surveys.get(kind="nps"), *QUESTIONS)
    now = timezone.now()
    stored, values = {}, {}
    for i, (label, (score, answers)) in enumerate(ANSWERS.items()):
        response, _ = response_record(
            survey=survey,
            score=score,
            person=None,
            channel="api",
            answers=answers,
            created_at=now - datetime.timedelta(minutes=10 + i),
            now=now - datetime.timedelta(minutes=10 + i),
        )
        stored[label] = response
        values[label] = {a.question: a.value for a in response.answers.all()}
    return survey, stored, values


@pytest.fixture
def clients(world, settings) -> tuple[Client, Client]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    key = api_key_create(project=world.alpha, name="t").secret
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")
    dashboard = Client(raise_request_exception=False)
    dashboard.force_login(world.member)
    return api, dashboard


def _agree(survey: Any, stored: dict[str, Response], values: Any, clients: Any, text: str) -> None:
    api, dashboard = clients
    condition = answer_parse(text)
    expected = {label for label in stored if _matches(condition, values[label])}
    by_id = {str(r.public_id): label for label, r in stored.items()}

    listed = api.get("/api/v1/responses", {"answer": text, "survey": survey.public_id})
    assert listed.status_code == 200, (text, listed.content[:300])
    assert {by_id[i["id"]] for i in listed.json()["items"]} == expected, text
    anywhere = api.get("/api/v1/responses", {"answer": text})  # every survey: form only
    assert {by_id[i["id"]] for i in anywhere.json()["items"]} == expected, text

    figures = api.get("/api/v1/metrics", {"answer": text, "survey": survey.public_id})
    assert figures.status_code == 200, (text, figures.content[:300])
    assert figures.json()["overall"]["n"] == len(expected), text

    feed = reverse("project-responses", args=["alpha"])
    page = dashboard.get(feed, {"answer": text, "survey": survey.public_id, "period": "30d"})
    assert page.status_code == 200, text
    assert page.context["view"].problems == [], page.context["view"].problems
    assert {by_id[str(c.public_id)] for c in page.context["cards"]} == expected, text
    assert page.context["page"].paginator.count == len(expected), text

    out = io.StringIO()
    call_command("report", project="alpha", answer=[text], since="30d", format="json", stdout=out)
    assert json.loads(out.getvalue())["rows"][0]["n"] == len(expected), text


@pytest.mark.parametrize(
    "text",
    [
        "fix:in:performance",
        "fix:in:price,docs",
        "fix:in:other",
        "fix:not_in:performance",
        "fix:exists",
        "fix:missing",
        "fix:contains:SLOW",
        "setup:eq:3",
        "setup:ne:3",
        "setup:gte:4",
        "setup:lt:3",
        "why:contains:slow",
        "why:missing",
        "pmf:in:very_disappointed",
        "pmf:not_in:very_disappointed",
    ],
)
def test_every_interface_answers_the_matching_responses(answered, clients, text):
    survey, stored, values = answered
    assert values["perf-price"]["fix"] == {"choices": ["performance", "price"]}
    _agree(survey, stored, values, clients, text)


def test_conditions_add_up_and_combine_with_where(answered, clients):
    survey, stored, _values = answered
    api, _dashboard = clients
    reply = api.get(
        "/api/v1/responses",
        {"answer": ["fix:in:performance", "setup:gte:3"], "survey": survey.public_id},
    )
    assert [i["id"] for i in reply.json()["items"]] == [str(stored["perf-price"].public_id)]
    # A property condition narrows as well: nobody here has a plan.
    reply = api.get(
        "/api/v1/responses",
        {"answer": "fix:exists", "where": "plan:eq:pro", "survey": survey.public_id},
    )
    assert reply.json()["items"] == []


@given(data=st.data())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_drawn_conditions_answer_as_the_answers_say(answered, clients, data):
    survey, stored, values = answered
    question = data.draw(st.sampled_from(QUESTIONS))
    kind = question["type"]
    if kind == "rating":
        op = data.draw(st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "exists"]))
        value = str(data.draw(st.integers(1, 5)))
    elif kind == "text":
        op = data.draw(st.sampled_from(["contains", "exists", "missing"]))
        value = data.draw(st.sampled_from(["slow", "FINE", "o", "zzz"]))
    else:
        ops = ["in", "not_in", "missing"] + (["contains"] if question.get("other") else [])
        op = data.draw(st.sampled_from(ops))
        ids = [c["id"] for c in question.get("choices") or []] or ["very_disappointed"]
        ids += ["other"] if question.get("other") else []
        picked = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
        value = "slow" if op == "contains" else ",".join(picked)
    text = f"{question['id']}:{op}:{value}"
    _agree(survey, stored, values, clients, text)


@pytest.mark.parametrize(
    "text",
    ["fix:gte:3", "nope:exists", "fix:in:speed", "fix", "setup:gte:x", "why:contains:a\x00b"],
)
def test_a_bad_condition_is_refused_everywhere_naming_answer(answered, clients, text):
    survey, _stored, _values = answered
    api, dashboard = clients
    for path in ("/api/v1/responses", "/api/v1/metrics"):
        reply = api.get(path, {"answer": text, "survey": survey.public_id})
        assert reply.status_code == 400, (path, text, reply.status_code)
        assert list(reply.json()["fields"]) == ["answer"], reply.json()
    feed = reverse("project-responses", args=["alpha"])
    page = dashboard.get(feed, {"answer": text, "survey": survey.public_id})
    assert page.status_code == 200
    assert page.context["view"].answers == []
    assert any("Ignored the answer filter" in p for p in page.context["view"].problems)
    assert "Ignored the answer filter" in page.text
    with pytest.raises(CommandError, match="--answer"):
        call_command("report", project="alpha", answer=[text], stdout=io.StringIO())


def test_too_many_conditions_are_refused_by_the_api(answered, clients):
    api, _dashboard = clients
    many = ["fix:exists"] * (ANSWER_MAX_CONDITIONS + 1)
    reply = api.get("/api/v1/responses", {"answer": many})
    assert reply.status_code == 400 and reply.json()["fields"] == {"answer": "malformed"}


def test_the_dashboard_shows_each_condition_as_a_chip_that_removes_it(answered, clients):
    survey, _stored, _values = answered
    _api, dashboard = clients
    feed = reverse("project-responses", args=["alpha"])
    page = dashboard.get(
        feed, {"survey": survey.public_id, "answer": ["fix:in:performance", "setup:gte:4"]}
    )
    view = page.context["view"]
    chips = view.answer_chips
    assert [written for _c, written, _removed in chips] == ["fix:in:performance", "setup:gte:4"]
    removed = chips[0][2]
    assert "answer=setup%3Agte%3A4" in removed and "performance" not in removed
    assert 'aria-label="Remove the filter: fix picks one of performance"' in page.text
    # The filter bar keeps the conditions when it is applied again.
    assert 'name="answer" value="fix:in:performance"' in page.text
    # The chip's text is escaped.
    page = dashboard.get(feed, {"survey": survey.public_id, "answer": "why:contains:<b>x"})
    assert "<b>x" not in page.text and "&lt;b&gt;x" in page.text


def test_bulk_tagging_tags_only_the_filtered_responses(answered, clients):
    survey, stored, _values = answered
    _api, dashboard = clients
    url = reverse("project-tags-bulk", args=["alpha"])
    query = f"?survey={survey.public_id}&period=30d&answer=fix:in:performance"
    reply = dashboard.post(url + query, {"name": "slow"})
    assert reply.status_code == 302
    assert "answer=fix%3Ain%3Aperformance" in reply["Location"]
    tagged = set(ResponseTag.objects.filter(tag__name="slow").values_list("response_id", flat=True))
    assert tagged == {stored["perf"].pk, stored["perf-price"].pk}
