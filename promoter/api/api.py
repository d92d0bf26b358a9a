"""The public REST API v1 (``/api/v1/``, docs/openapi.json): one Ninja API, one router per
resource, authenticated by project API keys, with the one error shape of Promoter."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from promoter.api.auth import ApiKeyAuth
from promoter.api.exports import router as exports_router
from promoter.api.hooks import router as hooks_router
from promoter.api.people import router as people_router
from promoter.api.responses import router as responses_router
from promoter.api.surveys import router as surveys_router
from promoter.core.errors import ApplicationError, database_errors, database_unavailable
from promoter.core.inputs import StrictParser, body_too_large, parse_failure
from promoter.ingest.http import error_response

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Promoter API",
    version="1",
    description="Promoter's public REST API. Authenticate with a project API key.",
    urls_namespace="api",
    auth=ApiKeyAuth(),
    parser=StrictParser(),
    docs_url="/docs",
)
api.add_router("/", hooks_router)
api.add_router("/", people_router)
api.add_router("/", responses_router)
api.add_router("/", surveys_router)
api.add_router("/", exports_router)


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "payload_in", "query")]
    return ".".join(parts) or "body"


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = error_response(exc)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="promoter"'
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _database_down(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    logger.warning("api: the database did not answer: %s", exc)
    return _application_error(request, database_unavailable())


for _error in database_errors():
    api.add_exception_handler(_error, _database_down)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        name = _field_name(list(error.get("loc", ())))
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        fields.setdefault(name, "is required" if error.get("type") == "missing" else message)
    return error_response(
        ApplicationError(
            code="invalid", detail=f"Invalid input: {', '.join(fields)}.", fields=fields
        )
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(ApplicationError(code="not_found", detail="Not found.", status=404))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _application_error(
        request,
        ApplicationError(code="unauthenticated", detail="Send a project API key.", status=401),
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or ""
    return error_response(
        body_too_large(
            length=int(length) if length.isdigit() else None,
            limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        )
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if (failure := parse_failure(exc)) is not None:
        return _application_error(request, failure)
    if exc.status_code == 400:
        error = ApplicationError(
            code="invalid_json", detail="The body must be JSON.", fields={"body": "not JSON"}
        )
    else:
        error = ApplicationError(code="error", detail=str(exc), status=exc.status_code)
    return error_response(error)
