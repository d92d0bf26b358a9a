"""The widget's budget: small enough gzipped, self-contained, and no HTML built from strings."""

from __future__ import annotations

import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest

from promoter.ingest.widget import LIMIT_GZIP_BYTES, WIDGET_PATH, widget_gzip_size

# Hosts a URL in the source may name: reserved example domains (in comments) only.
ALLOWED_HOSTS = {"example.com", "example.org", "example.net"}


def _source() -> str:
    return WIDGET_PATH.read_text(encoding="utf-8")


def test_gzipped_widget_is_within_budget():
    size = widget_gzip_size()
    assert 0 < size <= LIMIT_GZIP_BYTES, f"promoter.js is {size:,} bytes gzipped"


def test_widget_loads_nothing_from_third_party_hosts():
    urls = re.findall(r"https?://[^\s'\"`<>()]+", _source())
    foreign = [url for url in urls if urlsplit(url).hostname not in ALLOWED_HOSTS]
    assert foreign == []


@pytest.mark.parametrize(
    "sink", ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
)
def test_widget_never_builds_html_or_code_from_strings(sink):
    assert sink not in _source()


def test_widget_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--check", str(WIDGET_PATH)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
