"""The widget's budgets: promoter.js small enough gzipped, and with questions.js too; both
self-contained, and no HTML built from strings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from promoter.ingest.widget import (
    LIMIT_GZIP_BYTES,
    LIMIT_TOTAL_GZIP_BYTES,
    QUESTIONS_PATH,
    WIDGET_PATH,
    questions_asset,
    widget_asset,
    widget_gzip_size,
)

# Hosts a URL in the source may name: reserved example domains (in comments) only.
ALLOWED_HOSTS = {"example.com", "example.org", "example.net"}
SCRIPTS = [WIDGET_PATH, QUESTIONS_PATH]


def test_gzipped_widget_is_within_budget():
    size = widget_gzip_size()
    assert 0 < size <= LIMIT_GZIP_BYTES, f"promoter.js is {size:,} bytes gzipped"


def test_both_scripts_gzipped_are_within_their_budget():
    questions = len(questions_asset().gzipped)
    total = widget_gzip_size() + questions
    assert questions > 0
    assert total <= LIMIT_TOTAL_GZIP_BYTES, f"promoter.js + questions.js: {total:,} bytes gzipped"


def test_the_budgets_are_of_the_scripts_as_served():
    served = widget_asset().body
    assert questions_asset().version.encode() in served
    assert b"@questions-version@" not in served
    assert widget_gzip_size() == len(widget_asset().gzipped)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_widget_loads_nothing_from_third_party_hosts(script: Path):
    urls = re.findall(r"https?://[^\s'\"`<>()]+", script.read_text(encoding="utf-8"))
    foreign = [url for url in urls if urlsplit(url).hostname not in ALLOWED_HOSTS]
    assert foreign == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_widget_never_builds_html_or_code_from_strings(script: Path, sink: str):
    assert sink not in script.read_text(encoding="utf-8")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_widget_is_valid_javascript(script: Path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--check", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
