"""The embeddable survey widget, ``promoter.js``, and its size budget.

The script is hand-written, dependency-free ES2017 served as is (no build step), gzipped.
"""

from __future__ import annotations

import gzip
from pathlib import Path

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
