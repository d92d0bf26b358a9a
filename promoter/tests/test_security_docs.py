"""docs/security.md names, for each threat, the test that proves its control: every test it
names must exist, so the document cannot drift from the suite."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"


def test_every_test_named_in_the_security_document_exists():
    text = DOC.read_text(encoding="utf-8")
    named: list[tuple[str, str]] = []
    # "path.py::name" sets the file; a following bare "::name" in the same cell reuses it.
    for cell in re.split(r"\||\n", text):
        current = ""
        for path, name in re.findall(r"`(promoter/[\w/]+\.py)?::(\w+)`", cell):
            current = path or current
            assert current, f"bare ::{name} with no file before it"
            named.append((current, name))
        for path in re.findall(r"`(promoter/[\w/]+\.py)`", cell):
            assert (ROOT / path).exists(), path
    assert len(named) > 50
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert missing == []
