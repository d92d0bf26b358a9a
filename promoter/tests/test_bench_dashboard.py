"""The dashboard benchmark runs end to end on PostgreSQL (tiny scale): it must keep working as
the analytics pages move."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PAGES = {
    "overview_90d", "overview_365d", "segments_plan", "segments_account",
    "feedback_90d", "feedback_search", "compare_variant", "metrics_api",
}  # fmt: skip


def _postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_ADMIN_URL}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def test_the_dashboard_benchmark_runs_and_every_page_answers():
    # The suite needs PostgreSQL anyway (`make test` runs it there too): a missing server is
    # a failure, never a skip.
    assert _postgres_reachable(), f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}"
    command = [
        sys.executable, str(ROOT / "bench" / "dashboard.py"),
        "--responses", "2000", "--people", "200", "--repeat", "1",
        "--database", "promoter_bench_dash_test",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["benchmark"] == "dashboard"
    assert report["machine"]["cpus"] >= 1
    settings = report["settings"]
    assert (settings["responses"], settings["people"], settings["repeat"]) == (2000, 200, 1)
    assert report["seed_seconds"] > 0
    assert set(report["pages"]) == PAGES
    for name, figures in report["pages"].items():
        assert 0 < figures["min_ms"] <= figures["median_ms"] <= figures["max_ms"], name
        assert figures["queries"] > 0, name
    # The analytic ceiling ran in the same run, and the server's memory was read.
    assert all(figures["duckdb_ms"] > 0 for figures in report["pages"].values())
    rss = report["serve_rss_mb"]
    assert rss["requests"] > 0 and 20 < rss["max"] < 1000
    assert len(rss["processes_mb"]) >= 2  # granian's main process and its workers
    # The targets are stated at 1,000,000 responses: a run of 2,000 judges none of them.
    targets = report["targets"]
    assert (targets["status"], targets["responses_measured"]) == ("not judged", 2000)
    assert {s for page in targets["pages"].values() for s in page.values()} == {"not judged"}
