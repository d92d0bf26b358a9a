"""The ingest benchmark runs end to end (tiny scale): it must keep working as the code moves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_ingest_benchmark_runs_and_reports_clean_figures(tmp_path):
    command = [
        sys.executable, str(ROOT / "bench" / "ingest.py"), "--db", "sqlite",
        "--duration", "1", "--rounds", "1", "--connections", "4", "--people", "50",
        "--client", "python", "--no-save",
        "--scenario", "eligibility_throttled", "--scenario", "response_create",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    results = report["results"]["sqlite"]["results"]
    assert set(results) == {"eligibility_throttled", "response_create"}
    for figures in results.values():
        (round_,) = figures["rounds"]
        assert round_["requests"] > 0
        assert round_["non_2xx"] == 0 and round_["socket_errors"] == 0
        assert 0 < figures["median_p50_ms"] <= figures["median_p99_ms"]
    assert report["results"]["sqlite"]["server_errors"] == []
