"""What both Ninja APIs (the widget's ingest API and the REST API) share: the one error shape
for every failure, from a refused input to a database that does not answer.

Each API gets the same handlers from :func:`error_handlers`; it only says what it adds to an
error's response (a header, or fields of its own) and how it names a body that is not JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from promoter.core.errors import ApplicationError, database_errors, database_unavailable
from promoter.core.inputs import parse_failure

logger = logging.getLogger(__name__)

# Where pydantic puts a field that is not: the body itself and the operation's argument.
_NOT_FIELDS = {"body", "payload", "payload_in", "query"}
# The member of a union pydantic tried, which it appends to the field's location.
_UNION_TAGS = {"str", "int", "bool", "float", "none", "uuid", "datetime"}

Render = Callable[[HttpRequest, ApplicationError], HttpResponse]


def error_response(error: ApplicationError, **extra: Any) -> HttpResponse:
    """Render ``error`` in the one error shape, as JSON (``extra`` adds fields)."""
    body = {**extra, **error.as_dict()}
    return HttpResponse(json.dumps(body), status=error.status, content_type="application/json")


def field_name(loc: list[Any]) -> str:
    """Return the dotted name of the field pydantic's error location ``loc`` points at."""
    parts = [str(p) for p in loc if p not in _NOT_FIELDS]
    while len(parts) > 1 and parts[-1] in _UNION_TAGS:
        parts.pop()
    return ".".join(parts) or "body"


def invalid(exc: ValidationError) -> ApplicationError:
    """Return the 400 naming each field a pydantic validation refused."""
    fields: dict[str, str] = {}
    for error in exc.errors:
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "is required"
        fields.setdefault(field_name(list(error.get("loc", ()))), message)
    return ApplicationError(
        code="invalid", detail=f"Invalid input: {', '.join(fields)}.", fields=fields
    )


def error_handlers(
    api: NinjaAPI,
    *,
    name: str,
    not_json: ApplicationError,
    dress: Callable[[HttpRequest, ApplicationError, HttpResponse], None] | None = None,
    extra: Callable[[HttpRequest, ApplicationError], dict[str, Any]] | None = None,
) -> Render:
    """Install on ``api`` the handlers of every failure, all rendered by one function, which
    is returned (for the API's own handlers): application errors (with ``Retry-After``),
    invalid input, a body that is not JSON (``not_json``), and a database that does not
    answer (503). ``dress`` adds headers to a response, ``extra`` fields to a body."""

    def render(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        response = error_response(exc, **(extra(request, exc) if extra else {}))
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        if dress is not None:
            dress(request, exc, response)
        return response

    def database_down(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        logger.warning("%s: the database did not answer: %s", name, exc)
        return render(request, database_unavailable())

    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return render(request, invalid(exc))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if (failure := parse_failure(exc)) is not None:
            return render(request, failure)
        if exc.status_code == 400:
            return render(request, not_json)
        return render(
            request, ApplicationError(code="error", detail=str(exc), status=exc.status_code)
        )

    api.exception_handler(ApplicationError)(render)
    api.exception_handler(ValidationError)(validation)
    api.exception_handler(HttpError)(http_error)
    for error in database_errors():
        api.add_exception_handler(error, database_down)
    return render
