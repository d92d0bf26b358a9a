"""Benchmark ceilings: the ingest API's own stack doing (almost) nothing, for bench/ingest.py.

Mounted under ``/bench/v1/`` by ``bench/urls.py``, the URLconf of ``bench/settings.py`` that
bench/ingest.py serves with. The product's own URLconf never mounts them (they answer anyone
and one of them writes) and nothing in the product imports this module. Each is a Ninja
operation of the same kind as the ingest API's (same parser, renderer, body check and public
edge: CORS, body cap), behind the same middleware, so the ratio of an ingest figure to its
ceiling is what the ingest code itself costs:

- ``trivial``: parse a small JSON body and answer it (the ceiling of throttled eligibility);
- ``select``: one indexed primary-key SELECT of a person (of eligibility that reads the DB);
- ``insert``: one INSERT and its commit (of response create) into ``promoter_bench_ceiling``,
  a table the benchmark creates (:func:`ceiling_table_create`), so the product's schema has no
  benchmark table. The INSERT is plain SQL: a stricter ceiling than an ORM insert.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema, Status

from promoter.core.errors import ApplicationError
from promoter.ingest.api import ERRORS, _BodyParser, _Renderer
from promoter.ingest.http import edge, error_response
from promoter.people.models import EndUser

TABLE = "promoter_bench_ceiling"

api = NinjaAPI(
    title="Promoter benchmark ceilings",
    version="1",
    urls_namespace="ceilings",
    parser=_BodyParser(),
    renderer=_Renderer(),
    docs_url=None,
)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> Any:
    return error_response(exc)


class KeyIn(Schema):
    key: str = Field(..., max_length=40)


class IdIn(Schema):
    id: int


class ValueIn(Schema):
    value: str = Field(..., max_length=200)


@api.post("/trivial", response={200: dict[str, Any]})
def trivial(request: HttpRequest, payload: KeyIn) -> dict[str, Any]:
    return {"ok": True, "key": payload.key}


@api.post("/select", response={200: dict[str, Any], **ERRORS})
def select(request: HttpRequest, payload: IdIn) -> dict[str, Any]:
    person = EndUser.objects.filter(pk=payload.id).first()
    if person is None:
        raise ApplicationError(code="not_found", detail="No person with this id.", status=404)
    return {"id": person.public_id, "external_id": person.external_id}


@api.post("/insert", response={201: dict[str, Any], **ERRORS})
def insert(request: HttpRequest, payload: ValueIn) -> Status[dict[str, Any]]:
    try:
        with connection.cursor() as cursor:  # autocommit: the INSERT commits by itself
            cursor.execute(
                f"INSERT INTO {TABLE} (created_at, value) VALUES (%s, %s)",
                [timezone.now(), payload.value],
            )
    except DatabaseError as exc:
        raise ApplicationError(
            code="no_table",
            detail=f"{TABLE} is missing: bench/ingest.py creates it ({exc}).",
            status=503,
        ) from None
    return Status(201, {"ok": True})


def ceiling_table_create() -> None:
    """Create the table the ``insert`` ceiling writes to, if it is missing."""
    key = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            f"id {key} PRIMARY KEY, created_at TIMESTAMP NOT NULL, value VARCHAR(200) NOT NULL)"
        )


def ceiling_urlpatterns() -> list[URLPattern | URLResolver]:
    """Return the ceilings' URL patterns, wrapped by the ingest API's public edge."""
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = edge(pattern.callback)
    return list(patterns)
