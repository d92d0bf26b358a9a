"""The benchmark suite (`make bench`, bench/run.py) judges a target only at the size it is
stated at: a quick run's 20,000 responses never "meet" a target stated at 1,000,000."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
NOT_JUDGED = {
    "responses": "not judged (measured at 20,000 responses; the target is at 1,000,000)",
    "rows": "not judged (measured at 20,000 rows; the target is at 1,000,000)",
}


def _suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _reports(*, responses: int, rows: int) -> dict[str, dict]:
    page = {"median_ms": 50.0, "ratio_to_duckdb": 2.0}
    return {
        "dashboard": {
            "settings": {"responses": responses},
            "pages": dict.fromkeys(
                ("overview_90d", "overview_365d", "segments_plan", "segments_account"), page
            ),
            "serve_rss_mb": {"max": 90.0},
        },
        "import": {
            "settings": {"rows": rows},
            "results": {
                "bulk": {"rows_per_second_median": 60_000, "seconds_median": 0.4},
                "triggers": {"seconds_median": 0.6},
            },
        },
    }


def test_a_target_stated_at_a_size_is_judged_at_that_size_only():
    suite = _suite()
    sized = [t for t in suite.TARGETS if t.size is not None]
    assert {t.benchmark for t in sized} == {"dashboard", "import"}

    small = _reports(responses=20_000, rows=20_000)
    for target in sized:
        line = suite.judge(target, small)
        assert (line["status"], line["met"]) == ("not judged", None), target.text
        unit = target.size.unit
        assert line["size"] == {"unit": unit, "target": 1_000_000, "measured": 20_000}
        assert line["why"] == f"measured at 20,000 {unit}; the target is at 1,000,000"
    rss = next(t for t in suite.TARGETS if "RSS" in t.text)  # stated at no size: judged
    assert suite.judge(rss, small)["status"] == "met"

    full = _reports(responses=1_000_000, rows=1_000_000)
    for target in sized:
        assert suite.judge(target, full)["status"] == "met", target.text
    full["import"]["results"]["bulk"]["rows_per_second_median"] = 35_000
    rate = next(t for t in sized if "rows/s" in t.text)
    assert (suite.judge(rate, full)["status"], suite.judge(rate, full)["met"]) == ("missed", False)


def test_the_quick_suite_says_not_judged_for_targets_at_another_size(tmp_path):
    # Runs what `make bench BENCH_ARGS=--quick` runs for the two benchmarks with sized targets
    # (PostgreSQL, as test_bench_dashboard.py: a missing server is a failure).
    summary_path = tmp_path / "summary.json"
    command = [
        sys.executable, str(ROOT / "bench" / "run.py"), "--quick",
        "--only", "dashboard", "import", "--output", str(summary_path),
    ]  # fmt: skip
    env = {**os.environ, "BENCH_POSTGRES_URL": POSTGRES_ADMIN_URL}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary == json.loads(done.stdout)
    assert summary["quick"] is True and summary["failed"] == []
    sized = [t for t in summary["targets"] if "size" in t]
    assert len(sized) == 10
    for line in sized:
        assert line["status"] == "not judged" and line["met"] is None, line
        assert line["size"]["measured"] == 20_000 and line["size"]["target"] == 1_000_000
    # The table on stderr: each sized target's line says so, none of them says "met".
    table = {
        line.strip().split("  ")[0]: line
        for line in done.stderr.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    }
    for line in sized:
        printed = table[line["target"]]
        assert printed.endswith(NOT_JUDGED[line["size"]["unit"]]), printed
        assert not printed.rstrip().endswith(("met", "MISSED")), printed
    # The dashboard's own report agrees.
    dashboard = summary["reports"]["dashboard"]["targets"]
    assert dashboard["status"] == "not judged"
    assert {s for page in dashboard["pages"].values() for s in page.values()} == {"not judged"}
