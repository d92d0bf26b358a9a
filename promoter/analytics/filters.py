"""The filter language: ``property:op:value`` conditions on a person's properties, as the
dashboard's URL, the REST API's ``where``, ``promoter report --where`` and the routing rules'
form write them; and ``question:op:value`` conditions on an additional question's answer
(:class:`AnswerCondition`), the dashboard's and the REST API's ``answer``.

The property is any text before the first ``:``, matched as a JSON key (``plan:eq:enterprise``,
``country:in:FR,DE``, ``mrr_amount:gte:100``, ``account:exists``); the operators and the
:class:`~promoter.surveys.eligibility.Condition` they make are targeting's. Each interface
renders the ValueError of a malformed condition in its own shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem
from promoter.surveys.eligibility import OPERATORS, Condition
from promoter.surveys.questions import CHOICE_TYPES, OTHER, fixed_choices

# Bounds of what a filter may ask: each condition is a few terms of the query, and SQLite
# refuses an expression nested over 1,000 deep and a LIKE pattern over 50,000 bytes.
WHERE_MAX_CHARS = 2000
WHERE_MAX_OPTIONS = 100  # values of one in / not_in
WHERE_MAX_CONDITIONS = 20


def _terms(text: str, subject: str, operators: Sequence[str]) -> tuple[str, str, str]:
    """Return the ``subject``, the operator and the raw value of ``subject:op:value`` (the
    value may hold ``:``); raise ValueError, the text quoted, for text no database stores,
    text over WHERE_MAX_CHARS, or an operator not among ``operators``."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(f"{text!r} {problem}")
    if len(text) > WHERE_MAX_CHARS:
        raise ValueError(f"{text[:40]!r}… is over {WHERE_MAX_CHARS} characters")
    parts = text.split(":", 2)
    if len(parts) < 2 or parts[1] not in operators:
        raise ValueError(
            f"{text!r}: write {subject}:operator:value, the operator one of {', '.join(operators)}"
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def condition_parse(text: str) -> Condition:
    """Return the condition ``property:op:value`` names; raise ValueError saying what is
    wrong, the text quoted.

    The property is everything before the first ``:``, as it is: any text is a valid JSON key,
    the empty name and spaces included (a name holding ``:`` cannot be written here). The
    value of ``in`` and ``not_in`` is a comma-separated list; ``exists`` and ``missing`` take
    none."""
    name, op, raw = _terms(text, "property", OPERATORS)
    if op in ("exists", "missing"):
        value: Any = None
    elif op in ("in", "not_in"):
        value = [item.strip() for item in raw.split(",") if item.strip()]
        if len(value) > WHERE_MAX_OPTIONS:
            raise ValueError(f"{text[:40]!r}… lists over {WHERE_MAX_OPTIONS} values")
    else:
        value = raw
    return Condition(property=name, op=op, value=value)


def conditions_parse(texts: Sequence[str]) -> tuple[Condition, ...]:
    """Return the conditions of ``texts`` (see :func:`condition_parse`); raise ValueError for
    the first malformed one, or for more than ``WHERE_MAX_CONDITIONS``."""
    if len(texts) > WHERE_MAX_CONDITIONS:
        raise ValueError(f"{len(texts)} conditions: at most {WHERE_MAX_CONDITIONS}")
    return tuple(condition_parse(text) for text in texts)


def where_conditions(texts: Sequence[str]) -> tuple[Condition, ...]:
    """Return the conditions an API's ``where`` parameters say, or raise a 400 naming
    ``where`` and the malformed condition (see :func:`conditions_parse`)."""
    try:
        return conditions_parse(texts)
    except ValueError as exc:
        raise ApplicationError(
            code="invalid", detail=f"{exc}.", fields={"where": "malformed"}
        ) from None


def parse_where(text: str) -> Condition | None:
    """Return the condition ``property:op:value`` names, or None when it is malformed."""
    try:
        return condition_parse(text)
    except ValueError:
        return None


def format_where(condition: Condition) -> str:
    """Return ``condition`` written as ``property:op:value``, as :func:`condition_parse`
    reads it back."""
    value = condition.value
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"{condition.property}:{condition.op}" + ("" if value is None else f":{value}")


# --- answers --------------------------------------------------------------------------------
#
# ``question:op:value`` on the answer to the additional question ``question`` (its id, see
# promoter.surveys.questions). A property name may be any text, so the two languages live in
# two parameters (``where`` and ``answer``), never one with a prefix.

ANSWER_MAX_CONDITIONS = WHERE_MAX_CONDITIONS
ORDER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
ANSWER_OPERATORS = ("in", "not_in", *ORDER_OPERATORS, "contains", "exists", "missing")
# Which operators fit each type of question (exists and missing fit all).
ANSWER_OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    **{kind: ("in", "not_in", "contains", "exists", "missing") for kind in CHOICE_TYPES},
    "rating": (*ORDER_OPERATORS, "exists", "missing"),
    "text": ("contains", "exists", "missing"),
}
_QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # as promoter.surveys.questions's
_RATING = re.compile(r"^-?[0-9]{1,3}$")


@dataclass(frozen=True)
class AnswerCondition:
    """A condition on the answer to one question, as ``answer=question:op:value`` says it.

    - ``in`` / ``not_in`` (choice questions): the answer picks one of the choice ids in
      ``value`` (``other``: the Other box holds text), or it does not (``not_in`` is ``in``'s
      complement, so it includes the responses without an answer);
    - ``eq``, ``ne``, ``gt``, ``gte``, ``lt``, ``lte`` (ratings): the rating against the
      whole number ``value`` (``ne`` includes the responses without an answer);
    - ``contains`` (text, and the Other box of choice questions): the text holds ``value``,
      in any letter case;
    - ``exists`` / ``missing``: the response has an answer to the question, or not.
    """

    question: str
    op: str
    value: tuple[str, ...] | int | str | None = None

    def describe(self) -> str:
        if self.op in ("exists", "missing"):
            return f"{self.question} answer {'given' if self.op == 'exists' else 'missing'}"
        if isinstance(self.value, tuple):
            words = "picks none of" if self.op == "not_in" else "picks one of"
            return f"{self.question} {words} {', '.join(self.value)}"
        return f"{self.question} answer {self.op} {self.value!r}"


def answer_parse(text: str) -> AnswerCondition:
    """Return the condition ``question:op:value`` names; raise ValueError saying what is
    wrong, the text quoted.

    ``in`` and ``not_in`` take a comma-separated list of choice ids (``other`` for the Other
    box); the ordering operators a whole number; ``contains`` some text (which may hold
    ``:``); ``exists`` and ``missing`` none."""
    question, op, raw = _terms(text, "question", ANSWER_OPERATORS)
    question = question.strip()
    if not _QUESTION_ID.match(question):
        raise ValueError(f"{text!r}: {question[:40]!r} is not a question id")
    if op in ("exists", "missing"):
        return AnswerCondition(question, op)
    if op in ("in", "not_in"):
        options = tuple(dict.fromkeys(item.strip() for item in raw.split(",") if item.strip()))
        if not options:
            raise ValueError(f"{text!r}: {op} takes a list of choice ids")
        if len(options) > WHERE_MAX_OPTIONS:
            raise ValueError(f"{text[:40]!r}… lists over {WHERE_MAX_OPTIONS} values")
        wrong = next((o for o in options if not _QUESTION_ID.match(o)), None)
        if wrong is not None:
            raise ValueError(f"{text!r}: {wrong[:40]!r} is not a choice id")
        return AnswerCondition(question, op, options)
    if op == "contains":
        if not raw.strip():
            raise ValueError(f"{text!r}: contains takes some text")
        return AnswerCondition(question, op, raw.strip())
    if not _RATING.match(raw.strip()):
        raise ValueError(f"{text!r}: {op} takes a whole number")
    return AnswerCondition(question, op, int(raw.strip()))


def answers_parse(texts: Sequence[str]) -> tuple[AnswerCondition, ...]:
    """Return the conditions of ``texts`` (see :func:`answer_parse`); raise ValueError for
    the first malformed one, or for more than ``ANSWER_MAX_CONDITIONS``."""
    if len(texts) > ANSWER_MAX_CONDITIONS:
        raise ValueError(f"{len(texts)} answer conditions: at most {ANSWER_MAX_CONDITIONS}")
    return tuple(answer_parse(text) for text in texts)


def format_answer(condition: AnswerCondition) -> str:
    """Return ``condition`` written as ``question:op:value``, as :func:`answer_parse` reads
    it back."""
    value = condition.value
    if isinstance(value, tuple):
        value = ",".join(value)
    return f"{condition.question}:{condition.op}" + ("" if value is None else f":{value}")


def answer_check(condition: AnswerCondition, questions: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValueError when ``condition`` does not fit the survey whose published questions
    (every version's, newest first) are ``questions``: an unknown question, an operator
    its type takes not, a choice it does not offer."""
    question = next((q for q in questions if q.get("id") == condition.question), None)
    if question is None:
        raise ValueError(f"{format_answer(condition)!r}: the survey asks no {condition.question!r}")
    kind = str(question.get("type"))
    ops = ANSWER_OPS_BY_TYPE.get(kind, ())
    if condition.op not in ops:
        said = ", ".join(ops) if ops else "no operator: it takes no answer"
        raise ValueError(f"{format_answer(condition)!r}: a {kind} question takes {said}")
    same = [q for q in questions if q.get("id") == condition.question]
    if (
        condition.op == "contains"
        and kind in CHOICE_TYPES
        and not any(q.get("other") for q in same)
    ):
        raise ValueError(
            f"{format_answer(condition)!r}: {condition.question!r} has no Other box to search:"
            " use in or not_in"
        )
    if isinstance(condition.value, tuple):
        offered: set[str] = set()
        for q in questions:  # a choice of any version still matches its old answers
            if q.get("id") == condition.question:
                offered |= {c["id"] for c in fixed_choices(q)}
                if q.get("other"):
                    offered.add(OTHER)
        wrong = next((c for c in condition.value if c not in offered), None)
        if wrong is not None:
            raise ValueError(
                f"{format_answer(condition)!r}: {wrong!r} is not a choice of {condition.question!r}"
            )


def answers_check(
    conditions: Sequence[AnswerCondition], questions: Sequence[Mapping[str, Any]]
) -> None:
    """Raise ValueError for the first of ``conditions`` that does not fit ``questions``
    (see :func:`answer_check`)."""
    for condition in conditions:
        answer_check(condition, questions)


def answer_conditions(
    texts: Sequence[str], questions: Sequence[Mapping[str, Any]] | None = None
) -> tuple[AnswerCondition, ...]:
    """Return the conditions an API's ``answer`` parameters say, checked against the
    survey's ``questions`` when one is known, or raise a 400 naming ``answer`` and the
    malformed condition."""
    try:
        conditions = answers_parse(texts)
        if questions is not None:
            answers_check(conditions, questions)
    except ValueError as exc:
        raise ApplicationError(
            code="invalid", detail=f"{exc}.", fields={"answer": "malformed"}
        ) from None
    return conditions
