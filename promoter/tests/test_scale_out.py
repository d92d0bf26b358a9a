"""Scale-out (issue 9; docs/deployment.md): two app processes and two workers on one PostgreSQL
and one Redis, in production settings (DEBUG off, REDIS_URL for the cache, the rate limits and
RQ's task queue; the database queue runs the same tests under `make test-long`).

The traffic alternates between the two `promoter serve` processes, as a load balancer would
send it, and shows that
- throttling is consistent across processes: once any process has recorded that a person was
  shown a survey, no process offers it to them again (no process answers from a stale cache),
  and no acknowledged write is lost or stored twice;
- rate limits are one count shared through Redis: with a limit of L calls a minute, 3L calls
  from one address spread over both processes get exactly L answers and 2L ``429``;
- every delivery is done exactly once: each response routed to a webhook reaches the local
  receiver once (none missing, none twice), with one attempt each, from both workers.
Two eligibility calls for one person at the very same moment, on different processes, get one
offer between them (INGEST_OFFER_HOLD_SECONDS), and a display renews that hold.

It needs PostgreSQL and Redis, and fails (never skips) when either is missing. It runs in the
PostgreSQL half of the suite (DATABASE_URL=postgres://…, `make test-postgres`), on that server,
in databases of its own that it creates and drops; SCALE_OUT_POSTGRES_URL names another
server (and makes it run in the SQLite half too). In the SQLite half it is skipped: it would
test the same PostgreSQL configuration a second time. Redis: SCALE_OUT_REDIS_URL (default
db 7 of 127.0.0.1:6379), emptied first; concurrent runs take turns through a lock key there.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import os
import random
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from promoter.integrations.tests.receiver import Answer, Receiver
from promoter.tests.live import PYTHON, ROOT, Server, Worker, base_env, migrate, wait_until


def _postgres_server() -> str | None:
    explicit = os.environ.get("SCALE_OUT_POSTGRES_URL", "")
    if explicit:
        return explicit.rstrip("/")
    suite = urlsplit(os.environ.get("DATABASE_URL", ""))
    if suite.scheme in ("postgres", "postgresql", "pgsql"):
        return suite._replace(path="", query="", fragment="").geturl()
    return None


POSTGRES = _postgres_server()
REDIS_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/7")
LOCK = "promoter-scale-out:lock"
LIMIT = 30  # INGEST_RATE_LIMIT_PER_MINUTE and API_RATE_LIMIT_PER_MINUTE of the cluster
# RQ on Redis is the production queue of docs/deployment.md; the database queue (the default)
# runs the same tests under `make test-long`, to keep the normal suite's time down.
BACKENDS = [pytest.param("rq", id="rq"), pytest.param("db", id="db", marks=pytest.mark.long)]

pytestmark = pytest.mark.skipif(
    POSTGRES is None,
    reason="runs in the PostgreSQL half of the suite (make test-postgres) or with"
    " SCALE_OUT_POSTGRES_URL",
)


# The cluster --------------------------------------------------------------------------------


def _sql(database: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/{database}", autocommit=True, connect_timeout=10) as conn:
        cursor = conn.execute(query, params or None)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


@dataclass
class Databases:
    """A migrated database on the suite's PostgreSQL server, and copies of it (one a cluster)."""

    template: str
    copies: list[str] = field(default_factory=list)

    def copy(self, suffix: str) -> str:
        """Create a copy of the migrated database; return its URL."""
        name = f"{self.template}_{suffix}"
        _sql("postgres", f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.copies.append(name)
        return f"{POSTGRES}/{name}"


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    import psycopg

    found = Databases(template=f"promoter_scale_out_{os.getpid()}")
    try:
        _sql("postgres", f'DROP DATABASE IF EXISTS "{found.template}" WITH (FORCE)')
    except psycopg.OperationalError as exc:
        pytest.fail(f"the scale-out test needs PostgreSQL at {POSTGRES}: {exc}")
    try:
        _sql("postgres", f'CREATE DATABASE "{found.template}"')
        # Migrations commit once each: not waiting for the disk makes them about 2x faster.
        quick = f"{POSTGRES}/{found.template}?options=-c%20synchronous_commit%3Doff"
        # With RQ on, so that django_rq's tables exist too (the database queue's always do).
        migrate(base_env(quick, TASKS_BACKEND="rq", REDIS_URL=REDIS_URL))
        yield found
    finally:
        for name in [*found.copies, found.template]:
            with contextlib.suppress(psycopg.Error):
                _sql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_db() -> Iterator[Any]:
    """The Redis database of the test, held by this run alone (a lock key), emptied."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=10)
    token = uuid.uuid4().hex
    try:
        wait_until(
            lambda: bool(client.set(LOCK, token, nx=True, ex=300)),
            timeout=310,  # longer than a lock lives: a run that died cannot block the next
            what=f"another scale-out run to release {REDIS_URL}",
            step=0.5,
        )
    except redis.RedisError as exc:
        pytest.fail(f"the scale-out test needs Redis at {REDIS_URL}: {exc}")
    try:
        yield client
    finally:
        with contextlib.suppress(redis.RedisError):
            if client.get(LOCK) == token.encode():
                client.delete(LOCK)


def _empty(client: Any) -> None:
    """Delete every key but the lock (FLUSHDB would drop the lock too)."""
    for key in client.scan_iter(count=1000):
        if key != LOCK.encode():
            client.delete(key)


SEED = """
import json
from promoter.accounts.services import api_key_create
from promoter.actions.projects import project_create
from promoter.accounts.models import User
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Event

owner = User.objects.create_user("scale@example.com", "scale-out-password-1")
project = project_create(owner=owner, name="Scale", slug="scale")
survey = project.surveys.get(kind="nps")
destination = destination_create(
    project=project, kind="webhook", name="Receiver", data={"url": URL}
)
rule_create(destination=destination, events=[Event.CREATED])
key = api_key_create(project=project, name="scale-out").secret
print(json.dumps({"key": project.public_key, "survey": str(survey.public_id),
                  "project": project.pk, "api_key": key}))
"""


@dataclass
class Cluster:
    backend: str
    database: str  # its name on the PostgreSQL server
    servers: list[Server]
    workers: list[Worker]
    receiver: Receiver
    key: str
    survey: str
    project: int
    api_key: str

    def rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        return _sql(self.database, query, *params)


def _stop_all(processes: list[Server | Worker]) -> None:
    """Stop every process at once (each waits for its own; a stubborn one is killed)."""
    with concurrent.futures.ThreadPoolExecutor(max(1, len(processes))) as pool:
        list(pool.map(lambda process: process.stop(), processes))


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(request, redis_db, databases, tmp_path_factory) -> Iterator[Cluster]:
    """2 `promoter serve` processes and 2 `promoter worker` processes in production settings
    (DEBUG off, REDIS_URL set, one TASKS_BACKEND), a webhook receiver, a seeded project."""
    backend: str = request.param
    url = databases.copy(backend)
    _empty(redis_db)
    logs = tmp_path_factory.mktemp(f"scale-out-{backend}")
    receiver = Receiver().start()
    receiver.routes = {"/hook": Answer(delay=0.005)}  # a real receiver takes a moment
    env = base_env(
        url,
        REDIS_URL=REDIS_URL,
        TASKS_BACKEND=backend,
        INGEST_RATE_LIMIT_PER_MINUTE=str(LIMIT),
        API_RATE_LIMIT_PER_MINUTE=str(LIMIT),
        TRUSTED_PROXY_COUNT="1",  # a load balancer in front: clients by X-Forwarded-For
        DELIVERY_LEASE_SECONDS="120",  # the default: the test is about claims, not crashes
        OUTBOUND_TIMEOUT_SECONDS="10",
        EMAIL_URL="memory://",
        PROMOTER_DATA_DIR=str(logs),
    )
    env.pop("DATABASE_REPLICA_URL", None)
    servers = [Server(env, logs / f"serve-{i}.log", workers=1, threads=4) for i in range(2)]
    workers = [Worker(env, logs / f"worker-{i}.log") for i in range(2)]
    command = [str(PYTHON), "-m", "promoter.cli", "shell", "--verbosity", "0", "-c",
               f"URL = {receiver.url + '/hook'!r}\n{SEED}"]  # fmt: skip
    seeding: subprocess.Popen[str] | None = None
    try:
        seeding = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for worker in workers:
            worker.start()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda server: server.start(timeout=90), servers))
        out, err = seeding.communicate(timeout=90)
        assert seeding.returncode == 0, err[-3000:]
        seed = json.loads(out.strip().splitlines()[-1])
        yield Cluster(
            backend=backend,
            database=urlsplit(url).path.lstrip("/"),
            servers=servers,
            workers=workers,
            receiver=receiver,
            key=seed["key"],
            survey=seed["survey"],
            project=seed["project"],
            api_key=seed["api_key"],
        )
    finally:
        if seeding is not None and seeding.poll() is None:
            seeding.kill()
        _stop_all([*servers, *workers])
        receiver.stop()
    # Nothing went wrong out of sight: no traceback in any process's output.
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and "Internal Server Error" not in text, (
            f"{log.name}:\n{text[-3000:]}"
        )


# The client ---------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    started: float  # time.monotonic() when the request was sent
    ended: float  # … and when its answer was read


def send(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    address: str,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request as the load balancer would forward it from client ``address``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    try:
        all_headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, data, {**all_headers, **(headers or {})})
        answer = connection.getresponse()
        raw = answer.read()
        ended = time.monotonic()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:  # a server error page: keep its text for the failure message
            parsed = raw.decode(errors="replace")[:500]
        return Reply(answer.status, parsed, {k.lower(): v for k, v in answer.getheaders()},
                     started, ended)  # fmt: skip
    finally:
        connection.close()


def address_of(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class Person:
    """One person of the widget's traffic, with the calls they made."""

    def __init__(self, cluster: Cluster, name: str, number: int) -> None:
        self.cluster, self.name, self.address = cluster, name, address_of(number)
        self.calls: list[tuple[str, int, Reply]] = []  # (what, server index, reply)
        self.lock = threading.Lock()

    def _post(self, what: str, server: int, path: str, extra: dict[str, Any]) -> Reply:
        body = {
            "key": self.cluster.key,
            "user": {"id": self.name, "signed_up_at": "2020-01-01T00:00:00Z"},
            **extra,
        }
        port = self.cluster.servers[server].port
        reply = send(port, "POST", f"/i/v1/{path}", body, address=self.address)
        with self.lock:
            self.calls.append((what, server, reply))
        return reply

    def eligibility(self, server: int) -> Reply:
        return self._post("eligibility", server, "eligibility", {})

    def display(self, server: int) -> Reply:
        extra = {"survey": self.cluster.survey, "id": str(uuid.uuid4())}
        return self._post("display", server, "displays", extra)

    def respond(self, server: int, score: int) -> Reply:
        extra = {"survey": self.cluster.survey, "id": str(uuid.uuid4()), "score": score}
        return self._post("response", server, "responses", extra)

    def replies(self, what: str) -> list[tuple[int, Reply]]:
        return [(server, reply) for kind, server, reply in self.calls if kind == what]


def run_all(tasks: list[Any], threads: int = 16) -> None:
    """Run the callables ``tasks`` on ``threads`` threads; re-raise the first failure."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(task) for task in tasks]:
            future.result(timeout=120)


def per_person(cluster: Cluster, table: str) -> Counter[str]:
    """Return how many rows of ``table`` (displays, responses) each person of the project has."""
    rows = cluster.rows(
        f"SELECT e.external_id, COUNT(*) FROM {table} t JOIN people_enduser e"  # noqa: S608
        " ON e.id = t.end_user_id WHERE t.project_id = %s GROUP BY e.external_id",
        cluster.project,
    )
    return Counter({name: n for name, n in rows})


# The tests ----------------------------------------------------------------------------------


def test_throttling_is_consistent_across_processes(cluster):
    """A person seen by both processes, then surveyed through one, is throttled by both at
    once: no process answers from a stale view of their survey state."""
    people = [Person(cluster, f"seq-{i}", 1000 + i) for i in range(24)]

    def visit(person: Person, first: int) -> None:
        other = 1 - first
        # Page views on each process: each reads, and perhaps caches, what it knows of them
        # (a person is known from their first call on). The first is offered the survey; until
        # it is shown, the others are held by that offer, on either process.
        assert person.eligibility(first).body["eligible"] is True
        for server in (other, first):
            held = person.eligibility(server).body
            assert (held["eligible"], held["reason"]) == (False, "offered"), held
        # The widget shows the survey on the second page: recorded by that process …
        assert person.display(other).status == 201
        # … so the first process must not offer it again, nor after the answer.
        person.eligibility(first)
        assert person.respond(first, score=9).status == 201
        person.eligibility(other)
        person.eligibility(first)

    run_all([lambda p=p, i=i: visit(p, i % 2) for i, p in enumerate(people)])
    for person in people:
        later = person.replies("eligibility")[3:]
        stale = [
            (f"process {s}", r.status, r.body.get("reason"))
            for s, r in later
            if r.status != 200 or r.body["eligible"]
        ]
        assert not stale, f"{person.name} was offered the survey again by {stale}"
    assert per_person(cluster, "responses_display") == {p.name: 1 for p in people}
    assert per_person(cluster, "responses_response") == {p.name: 1 for p in people}


def test_concurrent_page_views_never_offer_a_survey_after_it_was_shown(cluster):
    """Each person opens two tabs at once, each tab loads pages served by alternating processes
    and shows the survey when offered. Any eligibility asked after a process acknowledged a
    display of the survey, on either process, is refused; every acknowledged write is stored."""
    people = [Person(cluster, f"tabs-{i}", 2000 + i) for i in range(24)]
    rng = random.Random(9)
    pauses = {
        (p.name, tab): [rng.uniform(0, 0.02) for _ in range(4)] for p in people for tab in (0, 1)
    }

    def tab(person: Person, number: int, start: threading.Barrier) -> None:
        start.wait(timeout=60)
        for view, pause in enumerate(pauses[(person.name, number)]):
            server = (number + view) % 2
            reply = person.eligibility(server)
            assert reply.status == 200, reply.body
            if reply.body["eligible"]:
                assert person.display(1 - server).status == 201
                assert person.respond(server, score=rng_score(person, view)).status == 201
            time.sleep(pause)

    tasks = []
    for person in people:
        start = threading.Barrier(2)
        tasks += [lambda p=person, n=n, b=start: tab(p, n, b) for n in (0, 1)]
    run_all(tasks, threads=len(tasks))

    offered_twice = 0
    for person in people:
        shown = [r.ended for _s, r in person.replies("display") if r.status == 201]
        assert shown, f"{person.name} was never surveyed"
        first_shown = min(shown)
        late = [
            f"process {server}"
            for server, reply in person.replies("eligibility")
            if reply.started > first_shown and reply.body["eligible"]
        ]
        assert not late, f"{person.name} was offered the survey after it was shown: {late}"
        offered_twice += len(shown) > 1
    acknowledged = {p.name: sum(r.status == 201 for _s, r in p.replies("response")) for p in people}
    stored = per_person(cluster, "responses_response")
    assert {p.name: stored[p.name] for p in people} == acknowledged  # none lost, none doubled
    # One offer wins (INGEST_OFFER_HOLD_SECONDS): nobody is shown the survey twice.
    assert offered_twice == 0


def test_two_tabs_at_the_same_moment_survey_a_person_once(cluster):
    """Each person's two tabs, one on each process, both ask before either shows the survey
    (the answers are awaited on both sides, so the race is certain, not left to timing)."""
    people = [Person(cluster, f"twin-{i}", 4000 + i) for i in range(12)]

    def tab(person: Person, server: int, both_asked: threading.Barrier) -> None:
        asked = person.eligibility(server)
        both_asked.wait(timeout=60)
        shown = answered = None
        if asked.status == 200 and asked.body["eligible"]:
            shown = person.display(server)
            answered = person.respond(server, score=10)
        # Not an AssertionError: anything but the double survey must fail the test, not
        # count as its expected failure.
        if (
            asked.status != 200
            or (shown and shown.status != 201)
            or (answered and answered.status != 201)
        ):
            raise RuntimeError(f"{person.name}: {asked}, {shown}, {answered}")

    tasks = []
    for person in people:
        both_asked = threading.Barrier(2)
        tasks += [lambda p=person, n=n, b=both_asked: tab(p, n, b) for n in (0, 1)]
    run_all(tasks, threads=len(tasks))
    stored = per_person(cluster, "responses_response")
    assert {p.name: stored[p.name] for p in people} == {p.name: 1 for p in people}


def rng_score(person: Person, view: int) -> int:
    return (len(person.name) * 7 + view) % 11


def _wait_for_a_fresh_minute(margin: float = 12.0) -> None:
    """The limits count in fixed one-minute windows: start well inside one."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


def test_rate_limits_are_one_count_shared_by_every_process(cluster):
    _wait_for_a_fresh_minute()
    address = f"203.0.113.{1 + (cluster.backend == 'db')}"
    body = {"key": cluster.key, "user": {"id": "busy-person"}}
    ingest: list[tuple[int, Reply]] = []
    api: list[tuple[int, Reply]] = []
    lock = threading.Lock()

    def eligibility(i: int) -> None:
        server = i % 2
        reply = send(cluster.servers[server].port, "POST", "/i/v1/eligibility", body,
                     address=address)  # fmt: skip
        with lock:
            ingest.append((server, reply))

    def surveys(i: int) -> None:
        server = i % 2
        auth = {"Authorization": f"Bearer {cluster.api_key}"}
        reply = send(cluster.servers[server].port, "GET", "/api/v1/surveys", address=address,
                     headers=auth)  # fmt: skip
        with lock:
            api.append((server, reply))

    calls = 3 * LIMIT
    run_all([lambda i=i: eligibility(i) for i in range(calls)])
    run_all([lambda i=i: surveys(i) for i in range(calls)])
    for name, replies in (("ingest", ingest), ("api", api)):
        statuses = Counter(reply.status for _server, reply in replies)
        # One process alone would let LIMIT through; a count per process would let 2 x LIMIT.
        assert statuses == {200: LIMIT, 429: calls - LIMIT}, (name, statuses)
        by_server = {s: Counter(r.status for t, r in replies if t == s) for s in (0, 1)}
        assert all(by_server[s][429] > 0 for s in (0, 1)), (name, by_server)
        assert all(int(r.headers["retry-after"]) > 0 for _s, r in replies if r.status == 429), name


def test_every_delivery_is_done_exactly_once_by_the_workers(cluster):
    """N responses through both processes: N deliveries, each received once, by both workers."""
    n = 100
    people = [Person(cluster, f"answer-{i}", 3000 + i) for i in range(n)]
    run_all([lambda p=p, i=i: p.respond(i % 2, score=i % 11) for i, p in enumerate(people)])
    assert all(p.replies("response")[0][1].status == 201 for p in people)

    def outbox() -> dict[str, int]:
        rows = cluster.rows(
            "SELECT status, COUNT(*) FROM integrations_delivery WHERE project_id = %s"
            " GROUP BY status",
            cluster.project,
        )
        return dict(rows)

    responses = cluster.rows(
        "SELECT COUNT(*) FROM responses_response WHERE project_id = %s", cluster.project
    )[0][0]
    try:
        wait_until(lambda: outbox() == {"delivered": responses}, timeout=90, what="", step=0.25)
    except AssertionError:
        problems = cluster.rows(
            "SELECT id, status, attempts, last_status_code, last_error FROM integrations_delivery"
            " WHERE project_id = %s AND status <> 'delivered' ORDER BY id LIMIT 10",
            cluster.project,
        )
        raise AssertionError(
            f"{responses} deliveries not all delivered after 90 s: outbox {outbox()};"
            f" not delivered: {problems}"
        ) from None
    time.sleep(1.0)  # a duplicate send would still be in flight: give it time to land

    expected = {
        f"msg_{public_id}"
        for (public_id,) in cluster.rows(
            "SELECT public_id FROM integrations_delivery WHERE project_id = %s", cluster.project
        )
    }
    received = [r.headers["webhook-id"] for r in cluster.receiver.requests]
    twice = [i for i, k in Counter(received).items() if k > 1]
    assert not twice, f"delivered more than once: {twice[:5]} ({len(twice)} in all)"
    assert set(received) == expected, (
        f"missing {len(expected - set(received))}, unexpected {len(set(received) - expected)}"
    )
    assert len(expected) == responses  # one delivery per response, none created twice
    attempts = cluster.rows(
        "SELECT COUNT(*) FROM integrations_deliveryattempt a JOIN integrations_delivery d"
        " ON d.id = a.delivery_id WHERE d.project_id = %s",
        cluster.project,
    )[0][0]
    assert attempts == responses  # one try each: no retry, no double send

    # Both workers took part: a claim names the process that made it (hostname-pid): a
    # worker's task runner or outbox sweeper, or under RQ a job's process (forked per job).
    owners = {w.process.pid: f"worker {i}" for i, w in enumerate(cluster.workers) if w.process}
    spread: Counter[str] = Counter()
    for (claim,) in cluster.rows(
        "SELECT claimed_by FROM integrations_delivery WHERE project_id = %s", cluster.project
    ):
        pid = re.search(r"-(\d+)(?:-s\w*)?$", claim.split(":")[0])
        spread[owners.get(int(pid.group(1)) if pid else 0, "an RQ job process")] += 1
    print(f"[{cluster.backend}] deliveries claimed by: {dict(spread)}")
    assert all(spread[name] > 0 for name in owners.values()), spread
