"""A survey's additional questions: one typed document, its checks, its branching, and the
check of an answer. Pure functions, no database.

The score question comes first and is the survey's kind; the open comment is second, worded
per category (:mod:`promoter.surveys.texts`). After them come up to :data:`MAX_QUESTIONS`
questions, stored as a list of plain dicts (``Survey.questions`` is the draft; each published
version is a ``SurveyVersion``)::

    {"id": "reason", "type": "single_choice", "text": "What matters most?", "required": false,
     "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}],
     "other": true, "shuffle": false,
     "show_if": [{"kind": "category", "categories": ["detractor"]}]}

Types and their settings:

- ``single_choice``, ``multiple_choice``: ``choices`` (2-20), ``other`` (an "Other: ___"
  box), ``shuffle`` (random order for each person).
- ``text``: ``long`` (a box of several lines; else one line).
- ``rating``: ``style`` ``stars`` (1-5) or ``numbers`` (``min``-``max``, within 0-10).
- ``yes_no``: the choices ``yes`` and ``no``.
- ``pmf``: the product-market-fit question, with its standard three answers
  (:data:`PMF_CHOICES`).
- ``message``: a closing message, last, with an optional ``cta_text`` and ``cta_url``; it
  takes no answer.

``show_if`` conditions, all of which must hold (none: always shown):

- ``{"kind": "category", "categories": [...]}``: the score's category is one of them;
- ``{"kind": "score", "min": m, "max": n}``: the score is within (either bound optional);
- ``{"kind": "answer", "question": id, "choices": [...]}``: an earlier choice question's
  answer includes one of ``choices`` (``"other"`` for its Other box);
- ``{"kind": "property", "property": name, "op": op, "value": v}``: a person property, as in
  targeting (:class:`promoter.surveys.eligibility.Condition`).

An answer's wire form (the ingest API's ``answers``, keyed by question id):

- choice types: a choice id (one choice), a list of ids (multiple choice), or the object
  ``{"choices": [ids], "other": "text"}``;
- ``text``: the text; ``rating``: the number.

It is stored as :func:`answer_clean` returns it: ``{"choices": [...], "other": "..."}``,
``{"text": "..."}`` or ``{"rating": n}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from promoter.surveys.eligibility import Condition, matches
from promoter.surveys.scales import CATEGORIES, SCALES, category_for

MAX_QUESTIONS = 10
MAX_CHOICES = 20
MAX_TEXT = 500  # a question's or a choice's wording
MAX_ANSWER = {False: 1000, True: 5000}  # a text answer: one line, long
MAX_CONDITIONS = 10
CHOICE_TYPES = ("single_choice", "multiple_choice", "yes_no", "pmf")
TYPES = (*CHOICE_TYPES, "text", "rating", "message")
TYPE_LABELS = {
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "yes_no": "Yes / no",
    "pmf": "Product-market fit",
    "text": "Free text",
    "rating": "Rating",
    "message": "Closing message",
}
YES_NO_CHOICES = ({"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"})
PMF_CHOICES = (
    {"id": "very_disappointed", "text": "Very disappointed"},
    {"id": "somewhat_disappointed", "text": "Somewhat disappointed"},
    {"id": "not_disappointed", "text": "Not disappointed"},
)
PMF_TEXT = "How would you feel if you could no longer use {product}?"
OTHER = "other"  # the choice id an answer condition uses for the Other box
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CONDITION_KINDS = ("category", "score", "answer", "property")


class QuestionsError(ValueError):
    """A document or an answer that is refused: ``field`` names where (``questions.2.choices``,
    ``answers.reason``), ``str()`` says what is wrong for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def fixed_choices(question: Mapping[str, Any]) -> Sequence[Mapping[str, str]]:
    """Return the choices ``question`` offers (its own, or its type's fixed ones)."""
    kind = question.get("type")
    if kind == "yes_no":
        return YES_NO_CHOICES
    if kind == "pmf":
        return PMF_CHOICES
    return list(question.get("choices") or [])


def rating_range(question: Mapping[str, Any]) -> tuple[int, int]:
    if question.get("style", "stars") == "stars":
        return 1, 5
    return int(question.get("min", 1)), int(question.get("max", 5))


# --- the document ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise QuestionsError(field, "must be text")
    value = value.strip()
    if required and not value:
        raise QuestionsError(field, "is required")
    if len(value) > limit:
        raise QuestionsError(field, f"has at most {limit} characters")
    if "\x00" in value:
        raise QuestionsError(field, "holds a NUL character")
    return str(value)


def _bool(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise QuestionsError(field, "must be true or false")
    return value


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QuestionsError(field, f"must be a whole number from {low} to {high}")
    return int(value)


def _choices(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_CHOICES:
        raise QuestionsError(field, f"must list 2 to {MAX_CHOICES} choices")
    out: list[dict[str, str]] = []
    for n, choice in enumerate(value):
        where = f"{field}.{n}"
        if not isinstance(choice, Mapping):
            raise QuestionsError(where, "must be an object with an id and a text")
        choice_id = choice.get("id")
        if not isinstance(choice_id, str) or not _ID.match(choice_id) or choice_id == OTHER:
            raise QuestionsError(
                f"{where}.id",
                "must be 1-40 lowercase letters, digits, '-' or '_', and not 'other'",
            )
        if any(c["id"] == choice_id for c in out):
            raise QuestionsError(f"{where}.id", f"repeats the choice id {choice_id!r}")
        out.append({"id": choice_id, "text": _text(choice.get("text"), f"{where}.text")})
    return out


def _condition(value: Any, field: str, earlier: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    if not isinstance(value, Mapping) or value.get("kind") not in CONDITION_KINDS:
        raise QuestionsError(f"{field}.kind", f"must be one of {', '.join(CONDITION_KINDS)}")
    kind = value["kind"]
    if kind == "category":
        categories = value.get("categories")
        if (
            not isinstance(categories, list)
            or not categories
            or any(c not in CATEGORIES for c in categories)
        ):
            raise QuestionsError(
                f"{field}.categories", f"must list some of {', '.join(CATEGORIES)}"
            )
        return {"kind": kind, "categories": [c for c in CATEGORIES if c in categories]}
    if kind == "score":
        out: dict[str, Any] = {"kind": kind}
        for bound in ("min", "max"):
            if value.get(bound) is not None:
                out[bound] = _int(value[bound], f"{field}.{bound}", 0, 10)
        if len(out) == 1:
            raise QuestionsError(field, "a score condition needs a min, a max or both")
        return out
    if kind == "answer":
        question_id = value.get("question")
        asked = earlier.get(question_id) if isinstance(question_id, str) else None
        if asked is None:
            raise QuestionsError(f"{field}.question", "must name an earlier question")
        if asked["type"] not in CHOICE_TYPES:
            raise QuestionsError(f"{field}.question", "must name a choice question")
        offered = [c["id"] for c in fixed_choices(asked)] + ([OTHER] if asked.get("other") else [])
        picked = value.get("choices")
        if not isinstance(picked, list) or not picked or any(c not in offered for c in picked):
            raise QuestionsError(f"{field}.choices", f"must list some of {question_id!r}'s choices")
        return {"kind": kind, "question": question_id, "choices": list(dict.fromkeys(picked))}
    data = {"property": value.get("property"), "op": value.get("op", "eq")}
    if "value" in value:
        data["value"] = value["value"]
    try:
        Condition.from_dict(data)
    except ValueError as exc:
        raise QuestionsError(field, str(exc)) from None
    return {"kind": kind, **data}


def _url(value: Any, field: str) -> str:
    url = _text(value, field, required=False, limit=2000)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise QuestionsError(field, "must be an http:// or https:// address")
    return url


def questions_clean(value: Any) -> list[dict[str, Any]]:
    """Return the question document ``value`` checked and in its stored form (unknown keys
    dropped, defaults filled in); raise QuestionsError naming the first wrong field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise QuestionsError("questions", "must be a list")
    if len(value) > MAX_QUESTIONS:
        raise QuestionsError("questions", f"has at most {MAX_QUESTIONS} questions")
    out: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(value):
        field = f"questions.{n}"
        if not isinstance(raw, Mapping):
            raise QuestionsError(field, "must be an object")
        question_id = raw.get("id")
        if not isinstance(question_id, str) or not _ID.match(question_id):
            raise QuestionsError(
                f"{field}.id", "must be 1-40 lowercase letters, digits, '-' or '_'"
            )
        if question_id in by_id:
            raise QuestionsError(f"{field}.id", f"repeats the question id {question_id!r}")
        kind = raw.get("type")
        if kind not in TYPES:
            raise QuestionsError(f"{field}.type", f"must be one of {', '.join(TYPES)}")
        text = raw.get("text")
        if kind == "pmf" and not (text or "").strip():
            text = PMF_TEXT
        question: dict[str, Any] = {
            "id": question_id,
            "type": kind,
            "text": _text(text, f"{field}.text"),
            "required": _bool(raw.get("required"), f"{field}.required"),
        }
        if kind in ("single_choice", "multiple_choice"):
            question["choices"] = _choices(raw.get("choices"), f"{field}.choices")
            question["other"] = _bool(raw.get("other"), f"{field}.other")
            question["shuffle"] = _bool(raw.get("shuffle"), f"{field}.shuffle")
        elif kind == "text":
            question["long"] = _bool(raw.get("long"), f"{field}.long")
        elif kind == "rating":
            style = raw.get("style", "stars")
            if style not in ("stars", "numbers"):
                raise QuestionsError(f"{field}.style", "must be stars or numbers")
            question["style"] = style
            if style == "numbers":
                low = _int(raw.get("min", 1), f"{field}.min", 0, 9)
                high = _int(raw.get("max", 5), f"{field}.max", low + 1, 10)
                question.update(min=low, max=high)
        elif kind == "message":
            if n != len(value) - 1:
                raise QuestionsError(f"{field}.type", "a closing message comes last")
            question["required"] = False
            question["cta_text"] = _text(raw.get("cta_text"), f"{field}.cta_text", required=False)
            question["cta_url"] = _url(raw.get("cta_url"), f"{field}.cta_url")
            if question["cta_text"] and not question["cta_url"]:
                raise QuestionsError(f"{field}.cta_url", "a call to action needs its address")
        conditions = raw.get("show_if") or []
        if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
            raise QuestionsError(
                f"{field}.show_if", f"must be a list of at most {MAX_CONDITIONS} conditions"
            )
        question["show_if"] = [
            _condition(c, f"{field}.show_if.{i}", by_id) for i, c in enumerate(conditions)
        ]
        out.append(question)
        by_id[question_id] = question
    return out


# --- branching ------------------------------------------------------------------------------


def scores_allowed(kind: str, conditions: Iterable[Mapping[str, Any]]) -> set[int]:
    """Return the scores of a ``kind`` survey's scale for which every score and category
    condition holds."""
    low, high = SCALES[kind]
    scores = set(range(low, high + 1))
    for c in conditions:
        if c["kind"] == "category":
            scores = {s for s in scores if category_for(kind, s) in c["categories"]}
        elif c["kind"] == "score":
            scores = {s for s in scores if c.get("min", 0) <= s <= c.get("max", 10)}
    return scores


@dataclass(frozen=True)
class QuestionWarning:
    question: str  # its id
    message: str


def questions_warnings(kind: str, questions: Sequence[Mapping[str, Any]]) -> list[QuestionWarning]:
    """Return what the editor warns of: a branch that can never be true (no score of the
    scale passes its score and category conditions), a question that can never be shown (it
    hangs on a question that never is), a choice condition no answer can meet."""
    warnings: list[QuestionWarning] = []
    reachable: dict[str, set[int]] = {}
    for question in questions:
        conditions = question.get("show_if") or []
        scores = scores_allowed(kind, conditions)
        never = not scores
        for c in conditions:
            if c["kind"] == "answer":
                upstream = reachable.get(c["question"], set())
                scores &= upstream
                if not upstream:
                    warnings.append(
                        QuestionWarning(
                            question["id"],
                            f"never shown: it hangs on “{c['question']}”, which never is",
                        )
                    )
                    never = False  # said once, and why
                    scores = set()
        if never:
            low, high = SCALES[kind]
            warnings.append(
                QuestionWarning(
                    question["id"],
                    f"never shown: no score from {low} to {high} meets its score and category "
                    "conditions",
                )
            )
        reachable[question["id"]] = scores
    return warnings


def shown(
    question: Mapping[str, Any],
    *,
    kind: str,
    score: int,
    answers: Mapping[str, Mapping[str, Any]],
    properties: Mapping[str, Any],
) -> bool:
    """Whether ``question`` is asked of a person who gave ``score`` and ``answers`` (stored
    forms, by question id), with ``properties``."""
    for c in question.get("show_if") or []:
        if c["kind"] in ("category", "score"):
            if score not in scores_allowed(kind, [c]):
                return False
        elif c["kind"] == "answer":
            answer = answers.get(c["question"])
            if answer is None:
                return False
            picked = set(answer.get("choices") or []) | ({OTHER} if answer.get("other") else set())
            if not picked & set(c["choices"]):
                return False
        else:
            condition = Condition.from_dict(c)
            if not matches(condition, properties):
                return False
    return True


# --- answers --------------------------------------------------------------------------------


def answer_clean(question: Mapping[str, Any], value: Any, field: str) -> dict[str, Any]:
    """Return the stored form of ``value`` answering ``question``; raise QuestionsError
    naming ``field`` when it is not an answer to it."""
    kind = question["type"]
    if kind == "message":
        raise QuestionsError(field, "a closing message takes no answer")
    if kind == "text":
        if not isinstance(value, str):
            raise QuestionsError(field, "must be text")
        limit = MAX_ANSWER[bool(question.get("long"))]
        text = value.strip()
        if not text:
            raise QuestionsError(field, "is empty")
        if len(text) > limit:
            raise QuestionsError(field, f"has {len(text):,} characters; the limit is {limit:,}")
        if "\x00" in text:
            raise QuestionsError(field, "holds a NUL character")
        return {"text": text}
    if kind == "rating":
        low, high = rating_range(question)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise QuestionsError(field, f"must be a whole number from {low} to {high}")
        return {"rating": value}
    many = kind == "multiple_choice"
    other = ""
    if isinstance(value, Mapping):
        unknown = set(value) - {"choices", "other"}
        if unknown:
            raise QuestionsError(field, f"takes choices and other, not {sorted(unknown)[0]}")
        picked = value.get("choices") or []
        other_value = value.get("other") or ""
        if not isinstance(other_value, str):
            raise QuestionsError(f"{field}.other", "must be text")
        other = other_value.strip()
        if other and not question.get("other"):
            raise QuestionsError(f"{field}.other", "this question has no Other box")
        if len(other) > MAX_ANSWER[False]:
            raise QuestionsError(f"{field}.other", f"has at most {MAX_ANSWER[False]} characters")
        if "\x00" in other:
            raise QuestionsError(f"{field}.other", "holds a NUL character")
    elif isinstance(value, str):
        picked = [value]
    elif isinstance(value, list):
        picked = value
    else:
        raise QuestionsError(field, "must be a choice id, a list of them, or {choices, other}")
    if not isinstance(picked, list) or any(not isinstance(p, str) for p in picked):
        raise QuestionsError(field, "choices are choice ids")
    offered = [c["id"] for c in fixed_choices(question)]
    for choice in picked:
        if choice not in offered:
            raise QuestionsError(field, f"{choice[:40]!r} is not one of its choices")
    picked = [c for c in offered if c in picked]  # in the question's order, once each
    if not picked and not other:
        raise QuestionsError(field, "picks nothing")
    if not many and len(picked) + bool(other) > 1:
        raise QuestionsError(field, "takes one choice")
    return {"choices": picked, "other": other} if other else {"choices": picked}


def answer_label(question: Mapping[str, Any], value: Mapping[str, Any]) -> str:
    """Return a stored answer as people read it ("Speed, Price", "4 / 5", the text)."""
    if "text" in value:
        return str(value["text"])
    if "rating" in value:
        return f"{value['rating']} / {rating_range(question)[1]}"
    labels = {c["id"]: c["text"] for c in fixed_choices(question)}
    parts = [labels.get(c, c) for c in value.get("choices") or []]
    if value.get("other"):
        parts.append(f"Other: {value['other']}")
    return ", ".join(parts)


def as_asked(questions: Sequence[Mapping[str, Any]], *, product: str) -> list[dict[str, Any]]:
    """Return ``questions`` worded as people read them: ``{product}`` filled in, and the
    fixed choices of yes/no and product-market-fit questions spelled out."""
    out: list[dict[str, Any]] = []
    for question in questions:
        asked = {**question, "text": str(question["text"]).replace("{product}", product)}
        if question["type"] in CHOICE_TYPES:
            asked["choices"] = [
                {"id": c["id"], "text": str(c["text"]).replace("{product}", product)}
                for c in fixed_choices(question)
            ]
        if question.get("cta_text"):
            asked["cta_text"] = str(question["cta_text"]).replace("{product}", product)
        out.append(asked)
    return out
