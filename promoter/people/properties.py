"""The one set of limits on a person's properties, wherever they are written: the widget API,
the REST and Delighted APIs, imports and e-mail lists (docs/rest-api.md, "Properties").

Properties are flat: names are text, values are strings, numbers, booleans or null. Segments,
targeting, rules and exports read them as such; a nested object or list would be a value no
filter can reach, and an unbounded one a way to fill the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem

MAX_PROPERTIES = 100
MAX_PROPERTY_NAME = 255
MAX_PROPERTY_VALUE = 1000


def property_name_problem(name: str) -> str | None:
    """Return what is wrong with ``name`` as a property name, or None."""
    problem = text_problem(name)
    if problem:
        return f"property names {problem}"
    if not name.strip() or len(name) > MAX_PROPERTY_NAME:
        return f"property names must be 1-{MAX_PROPERTY_NAME} characters, not blank"
    return None


def property_value_problem(name: str, value: Any) -> str | None:
    """Return what is wrong with ``value`` as the value of property ``name``, or None."""
    shown = repr(name[:40])
    if isinstance(value, Mapping | list | tuple):
        return (
            f"property {shown}: nested objects and lists are not accepted; "
            "send strings, numbers, booleans or null"
        )
    if value is not None and not isinstance(value, str | int | float | bool):
        return f"property {shown} has an unsupported type"
    if isinstance(value, float) and not math.isfinite(value):
        return f"property {shown} is not a finite number"
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            return f"property {shown} {problem}"
        if len(value) > MAX_PROPERTY_VALUE:
            return f"property {shown} is longer than {MAX_PROPERTY_VALUE} characters"
    return None


def properties_problem(value: Any) -> str | None:
    """Return what is wrong with ``value`` as a person's properties, or None."""
    if not isinstance(value, Mapping):
        return "must be an object of properties"
    if len(value) > MAX_PROPERTIES:
        return f"at most {MAX_PROPERTIES} properties ({len(value)} sent)"
    for name, item in value.items():
        if not isinstance(name, str):
            return "property names must be text"
        problem = property_name_problem(name) or property_value_problem(name, item)
        if problem:
            return problem
    return None


def check_properties(value: Any) -> dict[str, Any]:
    """Return ``value`` as a dict of properties, or raise ValueError saying what is wrong
    (for a pydantic validator, which names the field)."""
    problem = properties_problem(value)
    if problem:
        raise ValueError(problem)
    return dict(value)


def clean_properties(value: Any, *, field: str = "properties") -> dict[str, Any]:
    """Return ``value`` as a dict of properties, or raise a 400 naming ``field``."""
    problem = properties_problem(value)
    if problem:
        raise ApplicationError(
            code="invalid", detail=f"Invalid input: {field} {problem}.", fields={field: problem}
        )
    return dict(value)
