"""The embeddable survey widget, its two scripts and their size budgets.

``promoter.js`` is what the install snippet loads on every page: the score and the comment.
``questions.js`` renders a survey's additional questions; promoter.js loads it only when a
survey on screen has some. Both are hand-written, dependency-free ES2017 served as they are
(no build step), gzipped, each at a stable URL and at an immutable URL named by its content.
The one change made in serving: promoter.js gets the version of questions.js written in place
of :data:`QUESTIONS_VERSION_MARK`, so each promoter.js loads the questions.js of its release
(and a new questions.js gives promoter.js a new version too).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse

WIDGET_PATH = Path(__file__).with_name("promoter.js")
QUESTIONS_PATH = Path(__file__).with_name("questions.js")
QUESTIONS_VERSION_MARK = b"@questions-version@"
# The budgets for what a browser downloads, gzipped at level 9 as served: promoter.js on every
# page, and promoter.js with questions.js for a survey with additional questions.
LIMIT_GZIP_BYTES = 12_288
LIMIT_TOTAL_GZIP_BYTES = 24_576


def gzip_size(data: bytes) -> int:
    """Return the size in bytes of ``data`` gzipped at level 9 (as served)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


@dataclass(frozen=True)
class WidgetAsset:
    path: Path  # the source file
    body: bytes  # as served
    gzipped: bytes
    version: str  # the first 12 hex digits of the SHA-256 of the body


def _asset(path: Path, body: bytes) -> WidgetAsset:
    return WidgetAsset(
        path=path,
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        version=hashlib.sha256(body).hexdigest()[:12],
    )


@functools.cache
def questions_asset() -> WidgetAsset:
    """Return questions.js, its gzip form and its content version (read once)."""
    return _asset(QUESTIONS_PATH, QUESTIONS_PATH.read_bytes())


@functools.cache
def widget_asset() -> WidgetAsset:
    """Return promoter.js as served (naming its questions.js), its gzip form and its content
    version (read once)."""
    source = WIDGET_PATH.read_bytes()
    if QUESTIONS_VERSION_MARK not in source:
        raise RuntimeError(f"{WIDGET_PATH.name} lost its {QUESTIONS_VERSION_MARK.decode()}")
    body = source.replace(QUESTIONS_VERSION_MARK, questions_asset().version.encode())
    return _asset(WIDGET_PATH, body)


def widget_gzip_size() -> int:
    """Return the size in bytes of promoter.js gzipped at level 9, as served."""
    return len(widget_asset().gzipped)


def widget_url(*, versioned: bool = True) -> str:
    """Return the path of promoter.js: versioned (immutable) or stable."""
    if versioned:
        return reverse("widget-js-versioned", args=[widget_asset().version])
    return reverse("widget-js")


def questions_url(*, versioned: bool = True) -> str:
    """Return the path of questions.js: versioned (immutable) or stable."""
    if versioned:
        return reverse("questions-js-versioned", args=[questions_asset().version])
    return reverse("questions-js")
