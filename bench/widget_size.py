"""Print the widget's size, raw and gzipped, as JSON; exit 1 when it is over its budget.

Usage: .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from promoter.ingest.widget import (  # noqa: E402 (the path must be set first)
    LIMIT_GZIP_BYTES,
    WIDGET_PATH,
    widget_gzip_size,
    widget_source,
)


def main() -> int:
    gzip_bytes = widget_gzip_size()
    ok = gzip_bytes <= LIMIT_GZIP_BYTES
    report = {
        "file": str(WIDGET_PATH.relative_to(ROOT)),
        "bytes": len(widget_source()),
        "gzip_bytes": gzip_bytes,
        "limit_gzip_bytes": LIMIT_GZIP_BYTES,
        "ok": ok,
    }
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
