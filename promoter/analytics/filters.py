"""The filter language: ``property:op:value`` conditions on a person's properties, as the
dashboard's URL, the REST API's ``where``, ``promoter report --where`` and the routing rules'
form write them.

The property is any text before the first ``:``, matched as a JSON key (``plan:eq:enterprise``,
``country:in:FR,DE``, ``mrr_amount:gte:100``, ``account:exists``); the operators and the
:class:`~promoter.surveys.eligibility.Condition` they make are targeting's. Each interface
renders the ValueError of a malformed condition in its own shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem
from promoter.surveys.eligibility import OPERATORS, Condition

# Bounds of what a filter may ask: each condition is a few terms of the query, and SQLite
# refuses an expression nested over 1,000 deep and a LIKE pattern over 50,000 bytes.
WHERE_MAX_CHARS = 2000
WHERE_MAX_OPTIONS = 100  # values of one in / not_in
WHERE_MAX_CONDITIONS = 20


def condition_parse(text: str) -> Condition:
    """Return the condition ``property:op:value`` names; raise ValueError saying what is
    wrong, the text quoted.

    The property is everything before the first ``:``, as it is: any text is a valid JSON key,
    the empty name and spaces included (a name holding ``:`` cannot be written here). The
    value of ``in`` and ``not_in`` is a comma-separated list; ``exists`` and ``missing`` take
    none."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(f"{text!r} {problem}")
    if len(text) > WHERE_MAX_CHARS:
        raise ValueError(f"{text[:40]!r}… is over {WHERE_MAX_CHARS} characters")
    parts = text.split(":", 2)
    if len(parts) < 2 or parts[1] not in OPERATORS:
        raise ValueError(
            f"{text!r}: write property:operator:value, the operator one of {', '.join(OPERATORS)}"
        )
    name, op = parts[0], parts[1]
    raw = parts[2] if len(parts) == 3 else ""
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
