"""Request parameters the way the Delighted clients send them: a query string, a JSON body
or a form body (PHP), with Rails nesting (``properties[plan]=pro``, ``expand[]=person``),
merged into one dict like Rails does. Unknown keys are kept and ignored by the views."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

from promoter.core.inputs import loads, unstorable
from promoter.people.properties import properties_problem

_PART = re.compile(r"\[([^\]]*)\]")


class TooLarge(Exception):
    """The body is over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``: a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


def check_storable(params: Mapping[str, Any]) -> None:
    """Raise :class:`Invalid` naming the first parameter holding text no database stores
    (NUL, a lone surrogate) or a non-finite number."""
    found = unstorable(params)
    if found is not None:
        field, problem = found
        raise Invalid({field: problem})


class Invalid(Exception):
    """One or more parameters are wrong: a 422 with Delighted's ``errors`` object."""

    def __init__(self, errors: Mapping[str, str | list[str]]) -> None:
        self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        super().__init__(", ".join(f"{k} {v[0]}" for k, v in self.errors.items()))


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn Rails-style pairs into a dict: ``a[b]=1`` → ``{"a": {"b": "1"}}``,
    ``a[]=1&a[]=2`` → ``{"a": ["1", "2"]}``; a plain repeated key becomes a list too."""
    out: dict[str, Any] = {}
    for raw, value in pairs:
        head, _, rest = raw.partition("[")
        parts = [head] + (_PART.findall("[" + rest) if rest else [])
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            following = None if last else parts[depth + 1]
            if last:
                if isinstance(node, list):
                    node.append(value)
                elif part in node and not isinstance(node[part], dict):
                    previous = node[part]
                    node[part] = (previous if isinstance(previous, list) else [previous]) + [value]
                else:
                    node[part] = value
                break
            if isinstance(node, list):
                break  # a[][b] forms: not used by any client; ignored
            if following == "":
                child = node.get(part)
                if not isinstance(child, list):
                    child = node[part] = [] if child is None else [child]
                if depth + 2 == len(parts):
                    child.append(value)
                    break
                node = child
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
    return out


def _pairs(data: MultiValueDict[str, str]) -> list[tuple[str, str]]:
    return [(key, value) for key in data for value in data.getlist(key)]


def request_params(request: HttpRequest) -> dict[str, Any]:
    """Return the query, then the body (JSON object or form) over it, as one dict.

    Raise :class:`TooLarge` for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and
    :class:`Invalid` for a body that is not JSON or a form, or for too many fields."""
    try:
        params = nest(_pairs(request.GET))
        content_type = request.content_type or ""
        if request.method in ("GET", "HEAD"):
            return params
        body = request.body
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            from django.http import QueryDict

            params.update(nest(_pairs(QueryDict(body, encoding=request.encoding))))
            return params
    except RequestDataTooBig:
        raise TooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
    except TooManyFieldsSent:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        raise Invalid({"body": f"must have at most {limit} parameters"}) from None
    if body.strip():
        try:
            parsed = loads(body)
        except ValueError:  # UnicodeDecodeError too: JSON is UTF-8
            raise Invalid({"body": "is not valid JSON"}) from None
        if not isinstance(parsed, dict):
            raise Invalid({"body": "must be a JSON object"})
        params.update(parsed)
    return params


# Typed readers: each returns None when the parameter is absent (or null) and raises Invalid
# with the parameter's name when it is there but wrong.


def text(params: Mapping[str, Any], name: str, *, max_length: int = 255) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        raise Invalid({name: "must be a string"})
    value = str(value)
    if "\x00" in value:
        raise Invalid({name: "must not contain null bytes"})
    if len(value) > max_length:
        raise Invalid({name: f"must be less than {max_length} characters"})
    return value


def integer(
    params: Mapping[str, Any], name: str, *, low: int | None = None, high: int | None = None
) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Invalid({name: "is not a number"})
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,18}", value.strip()):
        value = int(value)
    if not isinstance(value, int):
        raise Invalid({name: "is not an integer"})
    if low is not None and value < low:
        raise Invalid({name: f"must be greater than or equal to {low}"})
    if high is not None and value > high:
        raise Invalid({name: f"must be less than or equal to {high}"})
    return value


# Unix seconds from 1970 to 2200: wider is a mistake (milliseconds, say), not a date.
_MAX_UNIX = 7_258_118_400


def timestamp(params: Mapping[str, Any], name: str) -> datetime.datetime | None:
    seconds = integer(params, name, low=0, high=_MAX_UNIX)
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def boolean(params: Mapping[str, Any], name: str) -> bool | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise Invalid({name: "must be true or false"})


def mapping(params: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """A map of properties, within the limits of every API (promoter/people/properties.py)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    problem = properties_problem(value)
    if problem:
        raise Invalid({name: problem})
    return dict(value)


def strings(params: Mapping[str, Any], name: str) -> list[str]:
    """A list parameter sent as ``name[]=a``, ``name=a&name=b`` or a JSON array."""
    value = params.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items if isinstance(item, str | int) and item != ""]
