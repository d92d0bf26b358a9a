"""Third-party browser libraries the dashboard uses, served from their installed packages.

Nothing third-party is committed: htmx comes with the django-htmx wheel and Plotly's bundle
with the plotly wheel, both pinned in the lock files. Each is served at a URL carrying its
package version, gzipped, with a one-year cache.
"""

from __future__ import annotations

import functools
import gzip
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

# name -> (package that ships it, path inside the package)
VENDOR = {
    "htmx.min.js": ("django_htmx", "static/django_htmx/htmx-2.min.js"),
    "plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}
_DISTRIBUTIONS = {"django_htmx": "django-htmx", "plotly": "plotly"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    version: str


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def vendor_asset(name: str) -> Asset:
    """Return the bytes of vendored library ``name`` (read and gzipped once per process)."""
    package, inner = VENDOR[name]
    body = (_package_dir(package) / inner).read_bytes()
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        version=importlib.metadata.version(_DISTRIBUTIONS[package]),
    )


def vendor_url(name: str) -> str:
    """Return the versioned URL of vendored library ``name``."""
    return reverse("vendor-asset", args=[vendor_asset(name).version, name])


@require_GET
def vendor_view(request: HttpRequest, version: str, name: str) -> HttpResponse:
    if name not in VENDOR:
        raise Http404("No such asset")
    asset = vendor_asset(name)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(asset.gzipped, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(asset.body, content_type="text/javascript; charset=utf-8")
    response["Vary"] = "Accept-Encoding"
    immutable = version == asset.version
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if immutable else "public, max-age=3600"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
