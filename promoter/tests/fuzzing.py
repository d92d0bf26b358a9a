"""What the schemathesis tests of the three public APIs share (ingest, REST, Delighted), and
the check of the bad-input tests of the two APIs in Promoter's own error shape.

Each API's fuzz test runs every operation of its exported OpenAPI document against the WSGI
application in-process, on the test database. The quick run (the normal suite) tries about
``QUICK_CASES`` cases per API, generated and mutated, without schemathesis' coverage phase
(its boundary values are many per operation); ``PROMOTER_FUZZ_EXAMPLES`` sets the cases per
operation instead. The long run (``pytest -m long``) adds the coverage phase and tries at
least ``LONG_CASES`` per API. The cases run are counted and written to
``artifacts/fuzz-<api>-<quick|long>.json`` so a closing note can quote them.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from schemathesis.specs.openapi.checks import positive_data_acceptance

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
QUICK_EXAMPLES = int(os.environ.get("PROMOTER_FUZZ_EXAMPLES", "0"))
QUICK_CASES = 400
LONG_CASES = int(os.environ.get("PROMOTER_FUZZ_LONG_CASES", "10000"))

# Whether a request the schema allows must succeed is not checked: an unknown key, a survey
# of another project or a cursor of another page are 4xx by design, and a random key is
# what a generator sends. Every other built-in check runs: no 5xx, a declared status, the
# declared content type and headers, a body matching the schema, and schema-invalid input
# refused with a 4xx.
EXCLUDED_CHECKS = [positive_data_acceptance]


def examples_per_operation(operations: int, *, long: bool) -> int:
    """Return how many cases each of ``operations`` operations gets in a quick or long run."""
    if not long:
        return QUICK_EXAMPLES or max(5, math.ceil(QUICK_CASES / max(operations, 1)))
    # Hypothesis stops early on an operation whose inputs it has exhausted (a GET without
    # parameters): the others get a quarter more, so the API's total still reaches the goal.
    return math.ceil(LONG_CASES * 1.25 / max(operations, 1))


def hypothesis_settings(operations: int, *, long: bool) -> Any:
    """Return the Hypothesis settings of a quick or long run over ``operations`` operations:
    derandomized (a run in CI is the run on this machine), no example database, no deadline."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=examples_per_operation(operations, long=long),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )


def load(document: Path, *, long: bool) -> Any:
    """Load ``document`` for schemathesis: every phase for a long run, no coverage phase
    for a quick one."""
    import schemathesis

    schema = schemathesis.openapi.from_path(str(document))
    if not long:
        schema.config.phases.update(phases=["examples", "fuzzing"])
    return schema


# Operations of each API's document: a long run that ran fewer (-k) is not held to the total.
EXPECTED_OPERATIONS: dict[str, int] = {}


def operations_of(api: str, document: Path) -> int:
    """Count the operations of ``api``'s ``document``, the total its long run is held to."""
    operations = sum(len(item) for item in json.loads(document.read_text())["paths"].values())
    EXPECTED_OPERATIONS[api] = operations
    return operations


class Tally:
    """Cases run and answers seen, per operation and status, written out at the end."""

    def __init__(self, api: str, mode: str) -> None:
        self.api, self.mode = api, mode
        self.cases: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.operations: set[str] = set()
        self.started = time.monotonic()

    def add(self, case: Any, status: int) -> None:
        """Count ``case`` (a schemathesis case) and the status it was answered with."""
        self.cases[f"{case.method} {case.path}"] += 1
        self.operations.add(case.operation.label)
        self.statuses[str(status)] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "mode": self.mode,
            "cases": sum(self.cases.values()),
            "operations": len(self.operations),
            "per_operation": dict(sorted(self.cases.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "server_errors": sum(n for s, n in self.statuses.items() if s.startswith("5")),
            "seconds": round(time.monotonic() - self.started, 1),
            "database": os.environ.get("DATABASE_URL", "").split(":", 1)[0] or "sqlite",
        }

    def write(self) -> dict[str, Any]:
        summary = self.summary()
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"fuzz-{self.api}-{self.mode}.json"
        path.write_text(json.dumps(summary, indent=2) + "\n")
        print(f"\nfuzz {self.api} ({self.mode}): {json.dumps(summary)}")
        return summary


def tally(api: str, mode: str) -> Iterator[Tally]:
    """Yield a :class:`Tally` for a module's fuzz tests; write its summary afterwards. A long
    run that ran every operation must have tried ``LONG_CASES`` cases or more."""
    counter = Tally(api, mode)
    yield counter
    if not counter.cases:
        return
    summary = counter.write()
    if mode == "long" and len(counter.operations) >= EXPECTED_OPERATIONS.get(api, 1 << 30):
        assert summary["cases"] >= LONG_CASES, summary


def tally_fixtures(api: str) -> tuple[Any, Any]:
    """Return a module's ``quick_tally`` and ``long_tally`` fixtures for ``api``."""

    @pytest.fixture(scope="module")
    def quick_tally() -> Iterator[Tally]:
        yield from tally(api, "quick")

    @pytest.fixture(scope="module")
    def long_tally() -> Iterator[Tally]:
        yield from tally(api, "long")

    return quick_tally, long_tally


@pytest.fixture
def in_process_requests(settings: Any) -> Iterator[None]:
    """Let schemathesis call the WSGI application inside the test's transaction, with no
    rate limit and any host."""
    from django.core import signals
    from django.core.cache import cache
    from django.db import close_old_connections

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    cache.clear()


def refused(reply: Any, status: int, field: str) -> dict[str, Any]:
    """Assert that ``reply`` refuses bad input with ``status`` in Promoter's error shape (JSON
    ``detail``, ``code``, ``fields``) naming ``field``; return its body."""
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"].startswith("application/json")
    data: dict[str, Any] = reply.json()
    assert set(data) >= {"detail", "code", "fields"}, data
    assert field in data["fields"], data
    return data


# The bad-input table of the pages no OpenAPI document describes (the dashboard's filters,
# the public survey pages): (name, value), each value sent to every parameter. "huge-like" is
# over SQLite's 50,000-byte limit of a LIKE pattern. Text is sent as UTF-8 bytes, surrogates
# included (as a client can send them; Django decodes them to U+FFFD).
BAD = [
    ("nul", "a\x00b"),
    ("nul-condition", "plan:eq:\x00"),
    ("nul-name", "pl\x00an:exists"),
    ("surrogate", "\ud800"),
    ("surrogate-condition", "plan:eq:\udfff"),
    ("huge", "x" * 20_000),
    ("huge-like", "plan:contains:" + "%_" * 30_000),
    ("nested", "[" * 5_000 + "]" * 5_000),
    ("nested-json", '{"a":' * 1_000 + "1" + "}" * 1_000),
    ("many-options", "plan:in:" + ",x" * 5_000),
    ("big-number", "9" * 400),
    ("number-words", "plan:gt:1e999"),
    ("nan", "plan:lte:NaN"),
    ("far-dates", "9999-12-31"),
    ("first-date", "0001-01-01"),
    ("lookup-name", "plan__contains:eq:1"),
    ("path-name", "$.a[0]:eq:1"),
    ("control", "\u202e\r\n\t"),
]
