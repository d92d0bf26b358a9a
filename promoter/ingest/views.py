"""The widget script, served by the app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET

from promoter.ingest.widget import widget_asset

# The stable URL (in customers' install snippets) is cached briefly so upgrades reach them;
# the versioned URL never changes content, so it is cached for a year.
STABLE_MAX_AGE = 60 * 60
VERSIONED_MAX_AGE = 365 * 24 * 60 * 60


def _script_response(request: HttpRequest, *, max_age: int, immutable: bool) -> HttpResponse:
    asset = widget_asset()
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
    response["Cache-Control"] = f"public, max-age={max_age}" + (", immutable" if immutable else "")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def widget_js(request: HttpRequest) -> HttpResponseBase:
    """Serve ``promoter.js`` at its stable URL (the one in install snippets)."""
    return _script_response(request, max_age=STABLE_MAX_AGE, immutable=False)


@require_GET
def widget_js_versioned(request: HttpRequest, version: str) -> HttpResponseBase:
    """Serve ``promoter.<version>.js``; an old version gets the current script, briefly cached."""
    if version != widget_asset().version:
        return _script_response(request, max_age=STABLE_MAX_AGE, immutable=False)
    return _script_response(request, max_age=VERSIONED_MAX_AGE, immutable=True)
