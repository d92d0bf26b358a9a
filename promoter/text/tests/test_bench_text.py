"""The text benchmark runs end to end at a tiny scale: it must keep working as the code moves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_text_benchmark_runs_and_reports_figures():
    command = [
        sys.executable, str(ROOT / "bench" / "text.py"),
        "--sizes", "300", "600", "--repeat", "1", "--no-save",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(done.stdout)
    assert report["benchmark"] == "text"
    for size in ("300", "600"):
        assert report["corpus"][size]["comments"] == int(size)
        assert report["sentiment"][size]["comments_per_s"] > 0
        assert report["sentiment"][size]["sentiment_many"]["comments_per_s"] > 0
        themes = report["themes"][size]
        assert themes["comments_per_s"] > 0
        assert themes["themes"] >= 1
        assert 0 <= themes["precision"] <= 1
        assert 0 <= themes["recall"] <= 1
