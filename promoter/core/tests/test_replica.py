"""The read-replica router: analytics selectors read the replica, everything else (writes above
all) the primary, and reads that must see a write just made stay on the primary.

The ``replica`` alias points at the test database itself, as Django's TEST MIRROR does, so the
rows are the same and each test asserts which connection ran the queries. The tests are
transactional: inside a transaction (a plain test's) every read stays on the primary, by design.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.analytics.selectors import ResponseFilter, histogram, histograms_by_property
from promoter.core.replica import PIN_COOKIE, REPLICA, primary_reads, replica_reads
from promoter.env import ConfigError, replica_from_url
from promoter.responses.models import Response
from promoter.responses.services import response_create

ROUTER = "promoter.core.replica.ReplicaRouter"
MIDDLEWARE = "promoter.core.replica.ReplicaPinMiddleware"
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "promoter"}

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup) -> Iterator[None]:
    """Add the ``replica`` alias, a mirror of the test database, before the tests' database
    access is set up (it must know the alias)."""
    mirror = copy.deepcopy(connections["default"].settings_dict)
    mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = mirror
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def replica(settings) -> Iterator[str]:
    """Route and pin as settings.py does when DATABASE_REPLICA_URL is set."""
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.DATABASE_REPLICA_PIN_SECONDS = 10
    cache.clear()
    try:
        yield REPLICA
    finally:
        cache.clear()


class Queries:
    """Count the queries each alias runs inside the block."""

    def __enter__(self) -> Queries:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def sql(self, alias: str) -> list[str]:
        captured = self.replica if alias == REPLICA else self.primary
        return [q["sql"] for q in captured.captured_queries]


def _answers(world, n: int = 5) -> ResponseFilter:
    survey = world.alpha.surveys.get(kind="nps")
    for i in range(n):
        response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=None, score=i * 2, now=timezone.now()
        )
    return ResponseFilter(survey=survey)


def test_analytics_selectors_read_the_replica_and_other_reads_the_primary(world, replica):
    flt = _answers(world)
    with Queries() as queries:
        bins = histogram(project=world.alpha, flt=flt)
        histograms_by_property(project=world.alpha, flt=flt, name="plan")
        Response.objects.filter(project=world.alpha).count()  # not a replica read
    assert sum(bins) == 5  # the mirror holds the primary's rows
    assert queries.sql(REPLICA), "the selectors should have read the replica"
    assert all("responses_response" in sql or "analytics_" in sql for sql in queries.sql(REPLICA))
    (primary,) = queries.sql("default")
    assert "COUNT(*)" in primary


def test_writes_go_to_the_primary_even_inside_replica_reads(world, replica):
    survey = world.alpha.surveys.get(kind="nps")

    @replica_reads
    def write_then_read() -> int:
        response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=None, score=9, now=timezone.now()
        )
        return sum(histogram(project=world.alpha, flt=ResponseFilter(survey=survey)))

    with Queries() as queries:
        assert write_then_read() == 1
    assert any(sql.startswith("INSERT") for sql in queries.sql("default"))
    assert not any(sql.startswith(("INSERT", "UPDATE", "DELETE")) for sql in queries.sql(REPLICA))


def test_reads_inside_a_transaction_or_pinned_stay_on_the_primary(world, replica):
    flt = _answers(world, 3)
    with Queries() as queries:
        with transaction.atomic():
            response_create(
                public_id=uuid.uuid4(), survey=flt.survey, end_user=None, score=10,
                now=timezone.now(),
            )  # fmt: skip
            # The replica cannot see this uncommitted row; the primary must answer.
            assert sum(histogram(project=world.alpha, flt=flt)) == 4
        with primary_reads():
            assert sum(histogram(project=world.alpha, flt=flt)) == 4
    assert queries.sql(REPLICA) == []


def test_a_dashboard_page_reads_the_replica_until_the_browser_posts(world, replica):
    flt = _answers(world, 2)
    owner = world.client_for("owner")
    overview = reverse("project-overview", args=["alpha"])
    with Queries() as queries:
        assert owner.get(overview).status_code == 200
    assert queries.sql(REPLICA), "the overview's figures should come from the replica"

    # A form post (close a response) pins this browser to the primary for a while, so the
    # page it lands on shows the change whatever the replica's lag.
    response = Response.objects.filter(survey=flt.survey).first()
    assert response is not None
    status_url = reverse("project-response-status", args=["alpha", response.public_id])
    with Queries() as queries:
        posted = owner.post(status_url, {"status": "closed"})
        assert posted.status_code == 302
        assert owner.get(overview).status_code == 200
    assert posted.cookies[PIN_COOKIE]["max-age"] == 10
    assert queries.sql(REPLICA) == []

    # Another browser, which wrote nothing, still reads the replica.
    with Queries() as queries:
        assert world.client_for("member").get(overview).status_code == 200
    assert queries.sql(REPLICA)


def test_an_api_key_reads_its_own_writes(world, replica):
    _answers(world, 2)
    key = api_key_create(project=world.alpha, name="t").secret
    other = api_key_create(project=world.alpha, name="other").secret
    client = world.client_for("anonymous")

    def metrics(secret: str) -> Queries:
        with Queries() as queries:
            got = client.get("/api/v1/metrics", HTTP_AUTHORIZATION=f"Bearer {secret}")
            assert got.status_code == 200, got.content
        return queries

    assert metrics(key).sql(REPLICA)
    created = client.post(
        "/api/v1/people",
        {"email": "ann@example.com"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert created.status_code == 201
    assert PIN_COOKIE not in created.cookies  # API clients are pinned in the cache, not by cookie
    assert metrics(key).sql(REPLICA) == []  # pinned after its write
    assert metrics(other).sql(REPLICA)  # another key is not


def test_the_ingest_api_never_reads_the_replica_nor_sets_a_cookie(world, replica):
    survey = world.alpha.surveys.get(kind="nps")
    client = world.client_for("anonymous")
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u-1"},
        "survey": str(survey.public_id),
        "id": str(uuid.uuid4()),
        "score": 9,
    }
    with Queries() as queries:
        eligibility = client.post("/i/v1/eligibility", body, content_type="application/json")
        answered = client.post("/i/v1/responses", body, content_type="application/json")
    assert eligibility.status_code == 200 and answered.status_code == 201
    assert queries.sql(REPLICA) == []
    assert not eligibility.cookies and not answered.cookies


def test_the_replica_setting_needs_postgresql_on_both_sides():
    primary = {**POSTGRES, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False}
    config = replica_from_url(
        "postgres://reader:pw@replica.internal:5432/promoter", primary=primary
    )
    assert config["HOST"] == "replica.internal" and config["NAME"] == "promoter"
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, False)  # as the primary
    assert config["TEST"] == {"MIRROR": "default"}
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/data/promoter.sqlite3"}
    with pytest.raises(ConfigError, match=r"needs a PostgreSQL primary.*\[promoter.E011\]"):
        replica_from_url("postgres://reader@replica:5432/promoter", primary=sqlite)
    with pytest.raises(ConfigError, match=r"DATABASE_REPLICA_URL: expected postgres://"):
        replica_from_url("sqlite:////tmp/x.sqlite3", primary=POSTGRES)
    with pytest.raises(ConfigError, match=r"DATABASE_REPLICA_URL: names no database"):
        replica_from_url("postgres://reader@replica:5432", primary=POSTGRES)


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh process with ``env``; print what the replica set up."""
    script = (
        "import json; from django.conf import settings;"
        "print(json.dumps([settings.DATABASES.get('replica', {}).get('HOST'),"
        " getattr(settings, 'DATABASE_ROUTERS', []), settings.MIDDLEWARE[-1]]))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return subprocess.run(
        [sys.executable, "-m", "promoter.cli", "shell", "--verbosity", "0", "-c", script],
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_database_replica_url_adds_the_alias_the_router_and_the_pinning():
    primary = "postgres://app@primary.internal:5432/promoter"
    done = _settings_with(
        DATABASE_URL=primary, DATABASE_REPLICA_URL="postgres://reader@replica.internal/promoter"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["replica.internal", [ROUTER], MIDDLEWARE]
    alone = _settings_with(DATABASE_URL=primary)
    assert alone.returncode == 0, alone.stderr
    host, routers, last = json.loads(alone.stdout)
    assert (host, routers) == (None, []) and last != MIDDLEWARE  # no replica: no cost


def test_a_replica_without_a_postgresql_primary_is_one_readable_line():
    done = _settings_with(DATABASE_REPLICA_URL="postgres://reader@replica.internal/promoter")
    assert done.returncode == 2
    assert done.stderr.startswith("promoter: configuration error: DATABASE_REPLICA_URL: needs")
    assert "Traceback" not in done.stderr
