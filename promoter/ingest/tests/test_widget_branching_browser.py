"""questions.js decides which questions to ask exactly as promoter/surveys/questions.py
``shown()`` does: the same verdict for every condition kind, operator and kind of value, each
case decided by both (in chromium, the browser of the suite's browser tests). And it shuffles
a question's choices once per person."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from promoter.ingest.widget import QUESTIONS_PATH
from promoter.surveys.eligibility import OPERATORS
from promoter.surveys.questions import shown
from promoter.surveys.scales import SCALES, category_for

# Values a property (or a condition's value) may hold: text in every case and spacing,
# numbers and text that reads as one (as Python's float() reads it), dates and date-times
# in the ISO forms Python reads, booleans, null.
VALUES: list[Any] = [
    "pro",
    " PRO ",
    "Pro plan",
    "straße",
    "STRASSE",
    "",
    "42",
    " 42 ",
    "4_2",
    "42.0",
    "1e3",
    "-7",
    ".5",
    "inf",
    "-Infinity",
    "nan",
    "0x10",
    "1__0",
    42,
    -7,
    0.5,
    1000,
    0,
    True,
    False,
    None,
    "2024-01-01",
    "20240101",
    "2024-01-01T10:00:00",
    "2024-01-01 10:00",
    "2024-01-01T10",
    "2024-01-01T10:00:00Z",
    "2024-01-01T12:00:00+02:00",
    "2024-01-01T10:00:00.000001Z",
    "2024-01-01T10:00:00.1234567",
    "2024-01-01T10:00:00+0530",
    "2024-02-30",
    "2024-13-01",
    "2024-1-1",
    "0000-01-01",
    "2023-12-31T23:59:59.999999",
]


def _property_cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    cases = []
    for op in OPERATORS:
        for actual, expected in itertools.product(VALUES, VALUES):
            condition = {"kind": "property", "property": "p", "op": op, "value": expected}
            cases.append((condition, {} if actual is None else {"p": actual}))
        for listed in (["pro", 42], [" Pro ", "basic"], [], "pro"):
            condition = {"kind": "property", "property": "p", "op": op, "value": listed}
            for actual in ("pro", 42, "42", None, True):
                cases.append((condition, {"p": actual}))
    cases.append(({"kind": "property", "property": "p", "op": "eq"}, {"p": None}))
    cases.append(({"kind": "property", "property": "p", "op": "contains", "value": 4}, {"p": 42}))
    return cases


def _cases() -> list[dict[str, Any]]:
    """Every case: a question's show_if, the survey's kind and score, earlier answers and the
    person's properties, as shown() takes them."""
    cases: list[dict[str, Any]] = []
    score_conditions: list[dict[str, Any]] = [
        {"kind": "category", "categories": ["detractor"]},
        {"kind": "category", "categories": ["promoter", "passive"]},
        {"kind": "score", "min": 3},
        {"kind": "score", "max": 6},
        {"kind": "score", "min": 2, "max": 4},
    ]
    for kind, (low, high) in SCALES.items():
        for score in range(low, high + 1):
            for condition in score_conditions:
                cases.append({"show_if": [condition], "kind": kind, "score": score, "answers": {}})
            cases.append(
                {"show_if": score_conditions[::2], "kind": kind, "score": score, "answers": {}}
            )
    answers = [
        {},
        {"reason": {"choices": ["speed"]}},
        {"reason": {"choices": ["speed", "price"]}},
        {"reason": {"choices": [], "other": "SSO"}},
        {"reason": {"choices": ["price"], "other": ""}},
        {"other_q": {"choices": ["speed"]}},
    ]
    for given in answers:
        for picked in (["speed"], ["price", "docs"], ["other"], ["speed", "other"]):
            condition = {"kind": "answer", "question": "reason", "choices": picked}
            cases.append({"show_if": [condition], "kind": "nps", "score": 5, "answers": given})
    for condition, properties in _property_cases():
        cases.append(
            {
                "show_if": [condition],
                "kind": "nps",
                "score": 9,
                "answers": {},
                "properties": properties,
            }
        )
    cases.append({"show_if": [], "kind": "ces", "score": 1, "answers": {}})
    return cases


@pytest.fixture(scope="module")
def questions_page(browser: Any) -> Any:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_content("<!doctype html><title>questions.js</title>")
    opened.add_script_tag(content=QUESTIONS_PATH.read_text(encoding="utf-8"))
    yield opened
    context.close()


def test_questions_js_asks_what_the_server_accepts(questions_page):
    cases = _cases()
    assert len(cases) > 10_000
    for case in cases:
        case["category"] = category_for(case["kind"], case["score"])
        case.setdefault("properties", {})
    # As one JSON text each way: Playwright's own serialization of 18,000 objects is slow.
    decided = json.loads(
        questions_page.evaluate(
            """(cases) => JSON.stringify(JSON.parse(cases).map((c) => Promoter._Q.shown(
                {id: "q", type: "text", show_if: c.show_if},
                {n: c.score, cat: c.category, props: c.properties},
                c.answers)))""",
            json.dumps(cases),
        )
    )
    differ = [
        (case, verdict)
        for case, verdict in zip(cases, decided, strict=True)
        if verdict
        != shown(
            {"show_if": case["show_if"]},
            kind=case["kind"],
            score=case["score"],
            answers=case["answers"],
            properties=case["properties"],
        )
    ]
    assert differ == [], f"{len(differ)} cases differ, the first: {differ[:3]}"


def test_shuffled_choices_keep_one_order_per_person(questions_page):
    choices = [{"id": f"c{n}", "text": f"Choice {n}"} for n in range(8)]
    authored = [c["id"] for c in choices]
    orders = questions_page.evaluate(
        """(choices) => {
            const ids = (q, seed) => Promoter._Q.order(q, seed).map((c) => c.id);
            const q = {id: "reason", choices, shuffle: true};
            const people = [...Array(20).keys()].map((n) => ids(q, "survey-1person-" + n));
            return {
                people,
                again: ids(q, "survey-1person-0"),
                other_question: ids({...q, id: "other"}, "survey-1person-0"),
                unshuffled: ids({...q, shuffle: false}, "survey-1person-0"),
                preview: ids(q, ""),
            };
        }""",
        choices,
    )
    assert all(sorted(order) == authored for order in orders["people"])
    assert len({tuple(order) for order in orders["people"]}) > 10
    assert orders["again"] == orders["people"][0]  # a reload keeps the person's order
    assert orders["other_question"] != orders["people"][0]
    assert orders["unshuffled"] == authored
    assert orders["preview"] == authored
