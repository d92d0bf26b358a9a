"""Hostile query strings on every dashboard page: no server error, whatever the filter bar's
parameters (and each page's own) hold.

The APIs' bad-input tables (``promoter/api/tests/test_bad_input.py``,
``promoter/ingest/tests/test_bad_input.py``: NUL, lone surrogates, huge, deeply nested and
over-long values) are sent to each page that answers GET, taken from the access matrix, which
must name every project page (``test_access.py::test_every_project_page_is_in_the_matrix``),
so a new page is fuzzed the day it is added. The parameters are those the dashboard's code
reads from ``request.GET``, found in its source, so a new parameter is fuzzed too.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from promoter.analytics.filters import WHERE_MAX_CONDITIONS
from promoter.dashboard import filters
from promoter.dashboard.tests import test_access
from promoter.demo.seed import seed_project
from promoter.responses.services import response_create
from promoter.tests.fuzzing import BAD

DASHBOARD = Path(filters.__file__).parent
_READS = re.compile(r"\b(?:GET|get)(?:\.get|\.getlist)\(\s*\"(\w+)\"|\bGET\[\"(\w+)\"\]")


def _parameters() -> list[str]:
    """Return every query parameter a dashboard view reads, from the source."""
    found = set(filters.KEYS) | {"cursor"}
    for path in DASHBOARD.glob("*.py"):
        for match in _READS.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    # The compare page's groups read "<group>_since" and "<group>_until".
    found |= {f"{group}_{end}" for group in ("a", "b") for end in ("since", "until")}
    return sorted(found)


PARAMETERS = _parameters()


def _query(params: dict[str, list[str]]) -> str:
    return "&".join(
        f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}"
        for key, values in params.items()
        for value in values
    )


def _pages(world) -> list[tuple[str, str]]:
    """Return (name, url) of every project page that answers GET, from the access matrix."""
    pages = []
    for name, entries in test_access.MATRIX.items():
        for method, _data, kwargs_factory, _expected in entries:
            if method == "get":
                kwargs = kwargs_factory(world)
                pages.append((name, reverse(name, kwargs={"slug": world.alpha.slug, **kwargs})))
    return pages


@pytest.fixture
def owner(world) -> Client:
    seed_project(project=world.alpha, responses=60, seed=5, until=timezone.now())
    client = Client(raise_request_exception=False)
    client.force_login(world.owner)
    return client


def _error(client: Client, url: str, params: dict[str, list[str]]) -> str | None:
    """Return the server error ``url`` answers with ``params`` (status and exception), or
    None."""
    try:
        reply = client.get(url, QUERY_STRING=_query(params))
        if getattr(reply, "streaming", False):
            b"".join(reply.streaming_content)  # a CSV export fails while it streams
    except Exception as exc:  # what breaks is the finding
        return f"raised {exc!r}"[:300]
    if reply.status_code < 500:
        return None
    exc_info = getattr(reply, "exc_info", None)
    return f"{reply.status_code} {exc_info[1]!r}"[:300] if exc_info else str(reply.status_code)


@pytest.mark.parametrize(("label", "value"), BAD, ids=[label for label, _ in BAD])
def test_every_dashboard_page_survives_hostile_parameters(world, owner, label, value):
    failures = []
    for name, url in _pages(world):
        every = {key: [value] for key in PARAMETERS}
        # Branches that leave parameters unread: since and until are read for a custom
        # period only; "after" asks the Responses page for its live poll instead of a page.
        other_branches = {key: values for key, values in every.items() if key != "after"}
        other_branches["period"] = ["custom"]
        for params in (every, other_branches):
            error = _error(owner, url, params)
            if error is not None:
                failures.append((name, params.get("period"), error))
    assert failures == [], failures


def test_many_conditions_are_kept_to_a_bound_not_a_server_error(world, owner):
    where = [f"p{i}:in:" + ",".join(f"v{j}" for j in range(100)) for i in range(900)]
    for name in ("project-responses", "project-segments", "project-compare"):
        url = reverse(name, args=[world.alpha.slug])
        reply = owner.get(url, QUERY_STRING=_query({"where": where, "a": where[:40]}))
        assert reply.status_code == 200, (name, reply.status_code)
        assert f"Kept the first {WHERE_MAX_CONDITIONS} filters" in reply.content.decode()


def test_the_overview_lists_an_anonymous_comment(world):
    # Found by the fuzzing above: a comment without a person in the latest ones was a 500.
    response_create(
        public_id=uuid.uuid4(),
        survey=world.alpha.surveys.get(kind="nps"),
        end_user=None,
        score=3,
        comment="Too expensive",
        now=timezone.now(),
    )
    page = world.client_for("viewer").get(reverse("project-overview", args=["alpha"]))
    assert page.status_code == 200
    assert "Too expensive" in page.content.decode() and "anonymous" in page.content.decode()
