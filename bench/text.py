"""Throughput of the text analytics: sentiment and theme discovery, on the demo seed's comments.

Comments are drawn the way the demo seed draws them (``promoter/text/tests/planted.py`` runs
the seed's own functions, no database), with a fixed random seed, so every run sees the same
texts. For each size (10,000 and 100,000 comments by default) it times:

- ``sentiment``: ``sentiment_for`` on every comment, one by one, as on write (no caching of
  repeated texts), and ``sentiment_many`` on the whole list (repeated texts scored once);
- ``themes``: ``discover_themes`` on the whole list (``max_themes`` 12), and how well its
  themes recover the themes the seed planted (precision and recall, as in the tests).

Prints JSON on stdout (progress on stderr); redirect it to keep a copy.
Usage: python bench/text.py [--sizes 10000 100000] [--repeat 3] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[bench/text] {message}", file=sys.stderr, flush=True)


def _setup_django() -> None:
    # The comment generator imports the seed, which imports models: settings must load, but no
    # database is opened.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def _timed(function: Any, repeat: int) -> tuple[list[float], Any]:
    seconds = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def _rate(n: int, seconds: list[float]) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {
        "seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(median, 3),
        "comments_per_s": round(n / median),
    }


def bench_sentiment(texts: list[str], repeat: int) -> dict[str, Any]:
    from promoter.text.sentiment import sentiment_for, sentiment_many

    sentiment_for("warm up: build the analyzer once")
    one_by_one, scores = _timed(lambda: [sentiment_for(t) for t in texts], repeat)
    batch, _ = _timed(lambda: sentiment_many(texts), repeat)
    result = _rate(len(texts), one_by_one)
    result["sentiment_many"] = _rate(len(texts), batch)
    result["mean_sentiment"] = round(statistics.fmean(s for s in scores if s is not None), 4)
    return result


def bench_themes(pairs: list[tuple[str, tuple[str, ...]]], repeat: int) -> dict[str, Any]:
    from promoter.text.tests.planted import theme_recovery
    from promoter.text.themes import discover_themes

    comments = [(i, text) for i, (text, _) in enumerate(pairs)]
    seconds, themes = _timed(lambda: discover_themes(comments), repeat)
    result = _rate(len(comments), seconds)
    planted = {i: themes_ for i, (_, themes_) in enumerate(pairs)}
    precision, recall, rows = theme_recovery(themes, planted)
    result.update(
        {
            "themes": len(themes),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "covered_share": round(
                len({i for t in themes for i in t.comment_ids}) / len(comments), 3
            ),
            "found": [
                {
                    "name": t.name,
                    "size": t.size,
                    "planted": majority,
                    "purity": round(purity, 3),
                    "phrases": t.phrases,
                }
                for t, majority, purity in rows
            ],
        }
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per measure (median)")
    parser.add_argument("--seed", type=int, default=42, help="the demo seed's random seed")
    # Kept so that old command lines still work: nothing is written anywhere now.
    parser.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.sizes) < 1 or args.repeat < 1:
        parser.error("--sizes and --repeat must be positive")
    _setup_django()
    from promoter.text.tests.planted import planted_comments

    report: dict[str, Any] = {
        "benchmark": "text",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "sizes": args.sizes,
            "repeat": args.repeat,
            "seed": args.seed,
            "comments": "drawn as the demo seed draws them (promoter/text/tests/planted.py)",
            "note": "one process, one core; compare figures from one run",
        },
        "corpus": {},
        "sentiment": {},
        "themes": {},
    }
    log(f"drawing {max(args.sizes):,} comments from the demo seed (seed {args.seed})")
    started = time.perf_counter()
    pairs = planted_comments(max(args.sizes), seed=args.seed)
    log(f"drawn in {time.perf_counter() - started:.1f} s")
    for n in sorted(args.sizes):
        subset = pairs[:n]
        texts = [text for text, _ in subset]
        report["corpus"][str(n)] = {
            "comments": n,
            "distinct_texts": len(set(texts)),
            "mean_characters": round(statistics.fmean(len(t) for t in texts), 1),
        }
        log(f"sentiment on {n:,} comments, {args.repeat} rounds")
        report["sentiment"][str(n)] = bench_sentiment(texts, args.repeat)
        log(f"  {report['sentiment'][str(n)]['comments_per_s']:,} comments/s")
        log(f"themes on {n:,} comments, {args.repeat} rounds")
        report["themes"][str(n)] = bench_themes(subset, args.repeat)
        log(f"  {report['themes'][str(n)]['comments_per_s']:,} comments/s")
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
