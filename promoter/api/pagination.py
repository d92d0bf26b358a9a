"""Cursor pagination of the REST API: ``?limit=`` (1-500, default 100) and an opaque signed
``?cursor=``; the next page's URL is in the ``Link`` header (``rel="next"``) and in
``next_cursor``. Cursors survive inserts: a page never repeats or skips a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from promoter.core.errors import ApplicationError

SALT = "promoter.api.cursor"
DEFAULT_LIMIT, MAX_LIMIT = 100, 500
M = TypeVar("M", bound=Model)


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def limit_from(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not 1 <= value <= MAX_LIMIT:
        raise ApplicationError(
            code="invalid",
            detail=f"limit runs from 1 to {MAX_LIMIT}.",
            fields={"limit": f"between 1 and {MAX_LIMIT}"},
        )
    return value


def paginate(qs: QuerySet[M], *, cursor: str | None, limit: int | None) -> Page:
    """Return one page of ``qs`` in ascending primary key order after ``cursor``."""
    size = limit_from(limit)
    if cursor:
        try:
            after = int(signing.loads(cursor, salt=SALT))
        except (signing.BadSignature, ValueError, TypeError):
            raise ApplicationError(
                code="invalid", detail="That cursor is not valid.", fields={"cursor": "invalid"}
            ) from None
        qs = qs.filter(pk__gt=after)
    rows = list(qs.order_by("pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = signing.dumps(rows[-1].pk, salt=SALT, compress=True) if more and rows else None
    return Page(items=rows, next_cursor=next_cursor)


def link_header(request: HttpRequest, page: Page) -> str | None:
    if page.next_cursor is None:
        return None
    params = {k: v for k, v in request.GET.items() if k != "cursor"}
    params["cursor"] = page.next_cursor
    return f'<{request.build_absolute_uri(request.path)}?{urlencode(params)}>; rel="next"'
