"""The widget script, served by the app."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

WIDGET_SOURCE = Path(__file__).parent / "widget" / "promoter.js"
# The stable URL (in customers' install snippets) is cached briefly so upgrades reach them;
# the versioned URL never changes content, so it is cached for a year.
STABLE_MAX_AGE = 60 * 60
VERSIONED_MAX_AGE = 365 * 24 * 60 * 60


@dataclass(frozen=True)
class WidgetAsset:
    body: bytes
    gzipped: bytes
    version: str  # the first 12 hex digits of the SHA-256 of the source


@functools.cache
def widget_asset() -> WidgetAsset:
    """Return the widget script, its gzip form and its content version (read once)."""
    body = WIDGET_SOURCE.read_bytes()
    return WidgetAsset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


def widget_url(*, versioned: bool = True) -> str:
    """Return the path of the widget script: versioned (immutable) or stable."""
    if versioned:
        return reverse("widget-js-versioned", args=[widget_asset().version])
    return reverse("widget-js")


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
