"""The public REST API v1 (``/api/v1/``, docs/openapi.json): one Ninja API, one router per
resource, authenticated by project API keys, with the one error shape of Promoter."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from promoter.api.auth import ApiKeyAuth
from promoter.api.exports import router as exports_router
from promoter.api.hooks import router as hooks_router
from promoter.api.people import router as people_router
from promoter.api.responses import router as responses_router
from promoter.api.surveys import router as surveys_router
from promoter.core.errors import ApplicationError
from promoter.core.inputs import StrictParser, body_too_large
from promoter.core.ninja import error_handlers

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


def _dress(request: HttpRequest, exc: ApplicationError, response: HttpResponse) -> None:
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="promoter"'


_render = error_handlers(
    api,
    name="api",
    not_json=ApplicationError(
        code="invalid_json", detail="The body must be JSON.", fields={"body": "not JSON"}
    ),
    dress=_dress,
)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _render(request, ApplicationError(code="not_found", detail="Not found.", status=404))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _render(
        request,
        ApplicationError(code="unauthenticated", detail="Send a project API key.", status=401),
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or ""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _render(
        request, body_too_large(length=int(length) if length.isdigit() else None, limit=limit)
    )
