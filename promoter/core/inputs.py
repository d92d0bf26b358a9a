"""Input that no database can store, refused at the edge of every API with the field's name.

PostgreSQL refuses NUL (U+0000) in text and in JSONB, a lone UTF-16 surrogate (``"\\ud800"``
is valid JSON, but not UTF-8) cannot be encoded at all, and SQLite's JSON check refuses
``Infinity`` and ``NaN``. Sent to the database, each would be a 500; checked here, each is a
4xx that says which field is wrong.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from promoter.core.errors import ApplicationError

_SURROGATE = re.compile("[\ud800-\udfff]")
NUL_PROBLEM = "must not contain NUL (\\u0000) characters"
SURROGATE_PROBLEM = "must not contain unpaired UTF-16 surrogates (\\ud800-\\udfff)"
NUMBER_PROBLEM = "must be a finite number"


class UnstorableInput(ApplicationError):
    """A field holds text or a number that cannot be stored; a 400 naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(
            code="invalid", detail=f"Invalid input: {field} {problem}.", fields={field: problem}
        )
        self.field, self.problem = field, problem


def text_problem(text: str) -> str | None:
    """Return what makes ``text`` unstorable, or None."""
    if "\x00" in text:
        return NUL_PROBLEM
    if _SURROGATE.search(text):
        return SURROGATE_PROBLEM
    return None


def unstorable(value: Any, field: str = "") -> tuple[str, str] | None:
    """Return ``(field, problem)`` for the first string, key or number in ``value`` (parsed
    JSON, or a form or query as a dict) that cannot be stored, else None. Fields are dotted
    paths (``user.properties.plan``, ``tags.0``); ``field`` names the root (default
    ``body``). Iterative, so deep nesting costs no recursion."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path or "body", problem
        elif isinstance(item, float):
            if not math.isfinite(item):
                return path or "body", NUMBER_PROBLEM
        elif isinstance(item, Mapping):
            for key, child in item.items():
                name = str(key)
                problem = text_problem(name)
                if problem:
                    return path or "body", f"keys {problem}"
                stack.append((f"{path}.{name}" if path else name, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(item))
    return None


def check_storable(value: Any, field: str = "") -> None:
    """Raise :class:`UnstorableInput` naming the first field of ``value`` that cannot be
    stored (see :func:`unstorable`)."""
    found = unstorable(value, field)
    if found is not None:
        raise UnstorableInput(*found)


def utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """Return ``value`` in UTC (a naive one is taken as UTC), for a pydantic validator.

    PostgreSQL refuses UTC offsets beyond ±15:59, which Python and ISO 8601 parsers accept
    (``+21:53``): converted here, the database never sees them. Raise ValueError when the
    moment is outside what a datetime holds once in UTC (year 1 with a positive offset)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("is outside the years 1-9999 in UTC") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes | str) -> Any:
    """Parse a JSON body strictly: UTF-8 only, no ``NaN``/``Infinity`` literals, nesting no
    deeper than the parser's recursion allows. Raise ValueError (UnicodeDecodeError included)
    when it is not JSON."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # thousands of nested [ or {: no API takes more than a few levels
        raise ValueError("is nested too deeply") from None


def body_too_large(*, length: int | None = None, limit: int) -> ApplicationError:
    """The 413 of a body over ``limit`` bytes (``length`` when known)."""
    size = f"is {length:,} bytes" if length else "is over the limit"
    return ApplicationError(
        code="too_large",
        detail=f"The request body {size}; the limit is {limit:,} bytes.",
        fields={"body": f"at most {limit} bytes"},
        status=413,
    )


def parse_failure(exc: BaseException) -> ApplicationError | None:
    """Return the error a Ninja parser's 400 wraps when it says more than "not JSON": a
    field that cannot be stored (see :class:`StrictParser`)."""
    cause = exc.__cause__
    return cause if isinstance(cause, ApplicationError) else None


class StrictParser(Parser):
    """Ninja's parser, strict: JSON bodies in UTF-8 without ``NaN``, and no unstorable text
    in the body or the query string (a 400 naming the field, not a 500 from the database)."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = loads(request.body)
        check_storable(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            check_storable(key, key)
            for value in values:
                check_storable(value, key)
        return super().parse_querydict(data, list_fields, request)
