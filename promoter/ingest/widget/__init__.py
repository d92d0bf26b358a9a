"""The embeddable survey widget, ``promoter.js``, and its size budget.

The script is hand-written, dependency-free ES2017 served as is (no build step), gzipped.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse

WIDGET_PATH = Path(__file__).with_name("promoter.js")
# The budget for what a browser downloads: the widget gzipped at level 9, as served.
LIMIT_GZIP_BYTES = 12_288


def widget_source() -> bytes:
    """Return the widget's source, as served."""
    return WIDGET_PATH.read_bytes()


def widget_gzip_size(source: bytes | None = None) -> int:
    """Return the size in bytes of the widget (or of ``source``) gzipped at level 9."""
    data = widget_source() if source is None else source
    return len(gzip.compress(data, compresslevel=9, mtime=0))


@dataclass(frozen=True)
class WidgetAsset:
    body: bytes
    gzipped: bytes
    version: str  # the first 12 hex digits of the SHA-256 of the source


@functools.cache
def widget_asset() -> WidgetAsset:
    """Return the widget script, its gzip form and its content version (read once)."""
    body = WIDGET_PATH.read_bytes()
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
