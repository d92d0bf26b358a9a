"""Run the benchmark suite (`make bench`): every benchmark of issue 9, one after the other,
each in its own process, then write their reports and the targets to
bench/results/latest.json and print a summary table on stderr.

Usage: .venv/bin/python bench/run.py [--quick] [--only NAME ...] [--strict]

``--quick`` runs each benchmark small and short (a smoke test of the suite, not figures to
quote) and writes bench/results/latest-quick.json instead (ignored by git). A target stated
at a size (1,000,000 responses, a 1,000,000-row import) is judged only when its benchmark ran
at that size: otherwise its figure is printed as "not judged". The exit status is 0 when every
benchmark ran; with ``--strict`` it is 1 when a judged target is missed too. Figures are only
comparable within one run (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS = ROOT / "bench" / "results"

# name -> (full arguments, --quick arguments). The quick dashboard and import use databases of
# their own (promoter/tests/test_bench_suite.py runs them), so they never drop a full run's.
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "widget": (["widget_size.py"], ["widget_size.py"]),
    "ingest": (
        ["ingest.py", "--db", "both", "--duration", "10", "--rounds", "3"],
        ["ingest.py", "--db", "both", "--duration", "2", "--rounds", "1", "--people", "500"],
    ),
    "dashboard": (
        ["dashboard.py", "--repeat", "7"],
        ["dashboard.py", "--responses", "20000", "--people", "2000", "--repeat", "2",
         "--database", "promoter_bench_dash_quick"],
    ),
    "import": (
        ["import.py", "--rows", "1000000", "--rounds", "3"],
        ["import.py", "--rows", "20000", "--rounds", "1",
         "--database", "promoter_bench_import_quick"],
    ),
    "deliveries": (
        ["deliveries.py", "--deliveries", "3000", "--rounds", "3"],
        ["deliveries.py", "--deliveries", "300", "--rounds", "1"],
    ),
}  # fmt: skip


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info


def run_one(name: str, arguments: list[str]) -> dict[str, Any]:
    """Run one benchmark script; return its JSON report (or why it failed)."""
    script, *rest = arguments
    command = [str(PYTHON), str(ROOT / "bench" / script), *rest]
    log(f"{name}: {' '.join(command[1:])}")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    elapsed = round(time.perf_counter() - started, 1)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"error": f"exit {done.returncode}, no JSON report", "seconds": elapsed}
    # widget_size.py exits 1 when over budget: that is a missed target, not a failed run.
    if done.returncode != 0 and name != "widget":
        report["error"] = f"exit {done.returncode}"
    report["seconds"] = elapsed
    return report


def _dig(report: dict[str, Any], *path: str) -> Any:
    value: Any = report
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


Reader = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Size:
    """The size a target is stated at, and where a report says the size it ran at."""

    unit: str
    stated: int
    measured: Reader


@dataclass(frozen=True)
class Target:
    benchmark: str
    text: str
    read: Reader  # the measured value, from the reports
    met: Callable[[Any], bool]
    size: Size | None = None  # None: the target holds at any size the benchmark runs


def _at_least(limit: float) -> Callable[[Any], bool]:
    return lambda value: value is not None and value >= limit


def _at_most(limit: float) -> Callable[[Any], bool]:
    return lambda value: value is not None and value <= limit


def _below(limit: float) -> Callable[[Any], bool]:
    return lambda value: value is not None and value < limit


def _ingest(scenario: str, field: str = "ratio") -> Callable[[dict[str, Any]], Any]:
    """Read a PostgreSQL ingest scenario's figure from bench/ingest.py's ``targets``."""
    return lambda reports: _dig(
        reports.get("ingest", {}), "results", "postgres", "targets", scenario, field
    )


def _worst_ingest_p99(reports: dict[str, Any]) -> Any:
    targets = _dig(reports.get("ingest", {}), "results", "postgres", "targets") or {}
    values = [t.get("p99_ms") for t in targets.values() if isinstance(t, dict)]
    return max(values) if values and None not in values else None


def _page(page: str, field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda reports: _dig(reports.get("dashboard", {}), "pages", page, field)


def _serve_rss(reports: dict[str, Any]) -> Any:
    """The largest RSS (MB) of a ``promoter serve`` process after the dashboard pages, when
    bench/dashboard.py measured it."""
    return _dig(reports.get("dashboard", {}), "serve_rss_mb", "max")


def _setting(benchmark: str, name: str) -> Reader:
    return lambda reports: _dig(reports.get(benchmark, {}), "settings", name)


MILLION_RESPONSES = Size("responses", 1_000_000, _setting("dashboard", "responses"))
MILLION_ROWS = Size("rows", 1_000_000, _setting("import", "rows"))

TARGETS: list[Target] = [
    Target("ingest", "throttled eligibility >= 50% of the trivial view (PostgreSQL)",
           _ingest("eligibility_throttled"), _at_least(0.5)),
    Target("ingest", "eligibility reading the database >= 80% of one PK SELECT (PostgreSQL)",
           _ingest("eligibility_new"), _at_least(0.8)),
    Target("ingest", "response create >= 80% of one INSERT and commit (PostgreSQL)",
           _ingest("response_create"), _at_least(0.8)),
    Target("ingest", "p99 < 50 ms in every ingest scenario (PostgreSQL)",
           _worst_ingest_p99, _below(50)),
    Target("dashboard", "overview (90 days) median < 300 ms (1M responses)",
           _page("overview_90d", "median_ms"), _below(300), MILLION_RESPONSES),
    Target("dashboard", "overview (365 days) median < 300 ms (1M responses)",
           _page("overview_365d", "median_ms"), _below(300), MILLION_RESPONSES),
    Target("dashboard", "segments by plan median < 300 ms (1M responses)",
           _page("segments_plan", "median_ms"), _below(300), MILLION_RESPONSES),
    Target("dashboard", "segments by account median < 300 ms (1M responses)",
           _page("segments_account", "median_ms"), _below(300), MILLION_RESPONSES),
    Target("dashboard", "overview (90 days) within 5x of DuckDB (1M responses)",
           _page("overview_90d", "ratio_to_duckdb"), _at_most(5), MILLION_RESPONSES),
    Target("dashboard", "segments by plan within 5x of DuckDB (1M responses)",
           _page("segments_plan", "ratio_to_duckdb"), _at_most(5), MILLION_RESPONSES),
    Target("dashboard", "segments by account within 5x of DuckDB (1M responses)",
           _page("segments_account", "ratio_to_duckdb"), _at_most(5), MILLION_RESPONSES),
    Target("dashboard", "promoter serve RSS < 150 MB after the dashboard pages",
           _serve_rss, _below(150)),
    Target("import", ">= 50,000 rows/s (1M-row CSV, PostgreSQL, bulk path)",
           lambda r: _dig(r.get("import", {}), "results", "bulk", "rows_per_second_median"),
           _at_least(50_000), MILLION_ROWS),
    Target("import", "1M rows well under a minute (PostgreSQL, bulk path; issue 8)",
           lambda r: _dig(r.get("import", {}), "results", "bulk", "seconds_median"),
           _at_most(40), MILLION_ROWS),
    Target("import", "1M rows under a minute (PostgreSQL, triggers path)",
           lambda r: _dig(r.get("import", {}), "results", "triggers", "seconds_median"),
           _at_most(60), MILLION_ROWS),
    Target("deliveries", ">= 500 deliveries/s with 4 workers",
           lambda r: _dig(r.get("deliveries", {}), "results", "workers_4",
                          "deliveries_per_second_median"), _at_least(500)),
    Target("widget", "promoter.js <= 12 KB gzipped",
           lambda r: _dig(r.get("widget", {}), "files", "promoter.js", "gzip_bytes"),
           _at_most(12 * 1024)),
    Target("widget", "promoter.js + questions.js <= 24 KB gzipped",
           lambda r: _dig(r.get("widget", {}), "total", "gzip_bytes"), _at_most(24 * 1024)),
]  # fmt: skip


def judge(target: Target, reports: dict[str, Any]) -> dict[str, Any]:
    """Return the target's line of the summary: what was measured and its status, "met",
    "missed" or "not judged" (its benchmark ran at another size than the target's)."""
    value = target.read(reports)
    line: dict[str, Any] = {"benchmark": target.benchmark, "target": target.text, "measured": value}
    if target.size is not None:
        at = target.size.measured(reports)
        line["size"] = {"unit": target.size.unit, "target": target.size.stated, "measured": at}
        if at is not None and at != target.size.stated:
            line["status"] = "not judged"
            line["met"] = None
            line["why"] = (
                f"measured at {at:,} {target.size.unit}; the target is at {target.size.stated:,}"
            )
            return line
    met = target.met(value)
    line["status"] = "met" if met else "missed"
    line["met"] = met
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small, short runs (smoke test)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), metavar="NAME")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the summary (default: bench/results/latest.json;"
        " with --quick, bench/results/latest-quick.json)",
    )
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    about = machine()
    reports: dict[str, dict[str, Any]] = {}
    for name in names:
        full, quick = BENCHMARKS[name]
        reports[name] = run_one(name, quick if args.quick else full)

    targets = [judge(target, reports) for target in TARGETS if target.benchmark in reports]
    failed = [name for name, report in reports.items() if "error" in report]
    summary = {
        "benchmark": "suite",
        "when": started,
        "quick": args.quick,
        "machine": about,
        "note": "medians of the rounds each benchmark states; compare ratios from one run",
        "targets": targets,
        "failed": failed,
        "reports": reports,
    }
    output = args.output or RESULTS / ("latest-quick.json" if args.quick else "latest.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2)
    output.write_text(text + "\n")
    print(text)

    width = max(len(t["target"]) for t in targets) if targets else 10
    for t in targets:
        mark = {"met": "met", "missed": "MISSED"}.get(t["status"], f"not judged ({t.get('why')})")
        print(f"  {t['target']:<{width}}  {t['measured']!s:>10}  {mark}", file=sys.stderr)
    if args.quick:
        log(
            "--quick: small sizes and short rounds, a smoke test of the suite, not figures to quote"
        )
    for name in failed:
        log(f"{name} did not run to the end: {reports[name]['error']}")
    if failed:
        return 2
    if args.strict and any(t["status"] == "missed" for t in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
