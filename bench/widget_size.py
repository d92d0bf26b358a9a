"""Print the widget's two scripts' sizes, raw and gzipped, as JSON; exit 1 when over budget.

promoter.js (on every page) has a budget of its own; promoter.js and questions.js (loaded
for a survey with additional questions) have one together. Sizes are of the scripts as
served (promoter.js names its questions.js), gzipped at level 9.

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
    LIMIT_TOTAL_GZIP_BYTES,
    WidgetAsset,
    questions_asset,
    widget_asset,
)


def _file(asset: WidgetAsset, limit: int | None) -> dict[str, object]:
    report: dict[str, object] = {
        "file": str(asset.path.relative_to(ROOT)),
        "bytes": len(asset.body),
        "gzip_bytes": len(asset.gzipped),
    }
    if limit is not None:
        report["limit_gzip_bytes"] = limit
    return report


def main() -> int:
    widget, questions = widget_asset(), questions_asset()
    total = len(widget.gzipped) + len(questions.gzipped)
    ok = len(widget.gzipped) <= LIMIT_GZIP_BYTES and total <= LIMIT_TOTAL_GZIP_BYTES
    report = {
        "files": {
            "promoter.js": _file(widget, LIMIT_GZIP_BYTES),
            "questions.js": _file(questions, None),
        },
        "total": {
            "bytes": len(widget.body) + len(questions.body),
            "gzip_bytes": total,
            "limit_gzip_bytes": LIMIT_TOTAL_GZIP_BYTES,
        },
        "ok": ok,
    }
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
