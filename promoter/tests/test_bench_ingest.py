"""The ingest benchmark runs end to end at a tiny scale: it must keep working as the code moves.

It runs `bench/ingest.py` as a user would, against the production server, with `wrk` when it is
installed and the Python load client otherwise (never a skip). In the PostgreSQL half of the
suite (DATABASE_URL=postgres://...) it benchmarks PostgreSQL, in a database of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
API_SCENARIOS = ("eligibility_throttled", "eligibility_new", "response_create")


def _database_options() -> tuple[str, list[str]]:
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not url.scheme.startswith("postgres"):
        return "sqlite", ["--db", "sqlite"]
    server = url._replace(path="", query="", fragment="").geturl()
    database = f"promoter_bench_smoke_{os.getpid()}"
    return "postgres", ["--db", "postgres", "--postgres-url", server, "--postgres-db", database]


def test_the_ingest_benchmark_runs_and_reports_clean_figures():
    kind, options = _database_options()
    command = [
        sys.executable, str(ROOT / "bench" / "ingest.py"), *options,
        "--duration", "1", "--rounds", "1", "--connections", "4", "--people", "50",
        *(option for name in API_SCENARIOS for option in ("--scenario", name)),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(done.stdout)
    assert report["machine"]["cpus"] >= 1
    assert report["settings"]["client"] in ("wrk", "python")
    results = report["results"][kind]
    assert results.pop("targets") == {}  # no ceiling was measured: no ratio to report
    assert set(results) == set(API_SCENARIOS)
    for name, figures in results.items():
        (round_,) = figures["rounds"]
        assert round_["requests"] > 0, name
        assert round_["non_2xx"] == 0, (name, round_)
        assert round_["unexpected"] == 0, (name, round_)  # every answer was the one meant
        assert round_["socket_errors"] == 0, (name, round_)
        assert figures["median_rps"] > 0
        assert 0 < figures["median_p50_ms"] <= figures["median_p99_ms"]
    assert report["server_log"][kind]["error_lines"] == 0, report["server_log"][kind]
