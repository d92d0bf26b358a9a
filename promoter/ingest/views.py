"""The widget's two scripts, served by the app: promoter.js and questions.js."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET

from promoter.ingest.widget import WidgetAsset, questions_asset, widget_asset

# The stable URL (in customers' install snippets) is cached briefly so upgrades reach them;
# the versioned URL never changes content, so it is cached for a year.
STABLE_MAX_AGE = 60 * 60
VERSIONED_MAX_AGE = 365 * 24 * 60 * 60


def _script_response(request: HttpRequest, asset: WidgetAsset, *, versioned: bool) -> HttpResponse:
    etag = f'"{asset.version}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(asset.gzipped, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(asset.body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = (
        f"public, max-age={VERSIONED_MAX_AGE}, immutable"
        if versioned
        else f"public, max-age={STABLE_MAX_AGE}"
    )
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _versioned(request: HttpRequest, asset: WidgetAsset, version: str) -> HttpResponse:
    # An old version (a page or a cached promoter.js from before an upgrade) gets the current
    # script, briefly cached: the script it asked for is gone, and a 404 would break the page.
    return _script_response(request, asset, versioned=version == asset.version)


@require_GET
def widget_js(request: HttpRequest) -> HttpResponseBase:
    """Serve ``promoter.js`` at its stable URL (the one in install snippets)."""
    return _script_response(request, widget_asset(), versioned=False)


@require_GET
def widget_js_versioned(request: HttpRequest, version: str) -> HttpResponseBase:
    """Serve ``promoter.<version>.js``; an old version gets the current script, briefly cached."""
    return _versioned(request, widget_asset(), version)


@require_GET
def questions_js(request: HttpRequest) -> HttpResponseBase:
    """Serve ``questions.js`` at its stable URL."""
    return _script_response(request, questions_asset(), versioned=False)


@require_GET
def questions_js_versioned(request: HttpRequest, version: str) -> HttpResponseBase:
    """Serve ``questions.<version>.js`` (the one promoter.js loads); an old version gets the
    current script, briefly cached."""
    return _versioned(request, questions_asset(), version)
