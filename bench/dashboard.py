"""Server time of the analytics pages on a big PostgreSQL database.

It creates a fresh PostgreSQL database, migrates it and seeds one project ("bench", one NPS
survey) with ``--people`` people and ``--responses`` responses spread over the last 365 days
(PostgreSQL COPY; one display per response; then VACUUM ANALYZE), and times these pages in
process with Django's test client, each ``--repeat`` times after one warm-up:

- ``overview_90d``, ``overview_365d``: the Overview (``/p/bench/?period=…``);
- ``segments_plan``, ``segments_account``: Segments by a property with 4 / ~2,000 values;
- ``feedback_90d``, ``feedback_search``: the Feedback stream, plain and with ``q=slow``;
- ``compare_variant``: Compare, variant A against variant B over 365 days.

Prints JSON on stdout (progress on stderr); redirect it to keep a copy.
Usage: python bench/dashboard.py [--responses 1000000] [--people 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMOTER = ROOT / ".venv" / "bin" / "promoter"
PYTHON = ROOT / ".venv" / "bin" / "python"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "promoter_bench_dash"
# The size the pages' targets are stated at (issue 9): a run of another size is not judged.
TARGET_RESPONSES = 1_000_000
OWNER_EMAIL = "bench@example.com"
PAGES = {
    "overview_90d": "/p/bench/?period=90d",
    "overview_365d": "/p/bench/?period=365d",
    "segments_plan": "/p/bench/segments/?period=90d&by=plan",
    "segments_account": "/p/bench/segments/?period=90d&by=account",
    "feedback_90d": "/p/bench/responses/?period=90d",
    "feedback_search": "/p/bench/responses/?period=90d&q=slow",
    "compare_variant": "/p/bench/compare/?period=365d&a=variant:eq:A&b=variant:eq:B",
}

# Scores 0..10 for an NPS with ~51% promoters and ~25% detractors (a score of about +26).
SCORE_WEIGHTS = (3, 2, 2, 3, 3, 5, 7, 10, 14, 22, 29)
PLANS, PLAN_WEIGHTS = ("free", "starter", "pro", "enterprise"), (40, 30, 22, 8)
COUNTRIES = (
    "US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE",
    "BR", "IN", "JP", "PL", "CH", "BE", "IE", "DK", "NO", "MX",
)  # fmt: skip
CHANNELS, CHANNEL_WEIGHTS = ("web", "ios", "android", "email"), (60, 15, 15, 10)
ACCOUNT_FIRST = (
    "Blue", "Red", "Green", "Silver", "Golden", "Bright", "North", "South", "East", "West",
    "Swift", "Quiet", "Bold", "Clear", "Deep", "High", "Iron", "Lucky", "Noble", "Open",
    "Prime", "Rapid", "Solid", "True", "Wild", "Amber", "Cedar", "Coral", "Frost", "Maple",
    "Ocean", "Pine", "River", "Stone", "Sun", "Storm", "Summit", "Urban", "Vivid", "Zen",
    "Alpha", "Nova", "Polar", "Royal", "Smart", "Spark", "Terra", "Ultra", "Vector", "Zenith",
)  # fmt: skip
ACCOUNT_SECOND = (
    "Labs", "Systems", "Works", "Analytics", "Cloud", "Digital", "Dynamics", "Foods",
    "Health", "Logistics", "Media", "Motors", "Networks", "Partners", "Retail", "Robotics",
    "Software", "Solutions", "Studio", "Tech", "Trading", "Ventures", "Bank", "Energy",
    "Games", "Insurance", "Legal", "Mobility", "Pharma", "Security", "Travel", "Apparel",
    "Capital", "Consulting", "Education", "Farms", "Freight", "Hotels", "Industries", "Data",
)  # fmt: skip
PHRASES = (
    "the app is slow to load", "support answered quickly", "great product", "too expensive",
    "the dashboard is confusing", "love the new reports", "search is slow",
    "missing an integration with our CRM", "easy to set up", "billing was confusing",
    "the mobile app crashes sometimes", "exports take forever", "very reliable",
    "onboarding could be better", "pricing is fair", "would like more customization",
    "sync is slow on large projects", "the team loves it", "documentation is thin",
    "best tool we have tried", "notifications are noisy", "fast and simple",
)  # fmt: skip


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- seeding (runs in a child process with the bench's environment) --------------------------


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    django.setup()


def _tail(model: Any, explicit: tuple[str, ...]) -> tuple[list[str], list[Any]]:
    """Return the columns of ``model`` that the seed does not set and the value each gets (its
    default), so a column added later is filled too; fail on one that needs a real value."""
    from django.db import connection

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in explicit:
            continue
        value = field.get_default()
        if isinstance(value, enum.Enum):  # a choices default such as Status.OPEN
            value = value.value
        if value is None and not field.null:
            raise RuntimeError(f"{model._meta.db_table}.{field.column} needs a value in the seed")
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, values


def _copy(cursor: Any, table: str, columns: list[str], rows: Any, total: int, what: str) -> None:
    from tqdm import tqdm

    step = 10_000
    with (
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        tqdm(total=total, desc=what, unit=" rows", file=sys.stderr, mininterval=2) as bar,
    ):
        for n, row in enumerate(rows, 1):
            copy.write_row(row)
            if n % step == 0:
                bar.update(step)
        bar.update(total % step)


@contextmanager
def _without_indexes(cursor: Any, tables: list[str]) -> Iterator[None]:
    """Drop the tables' indexes, unique and foreign-key constraints (not their primary keys)
    for the load and build them again after it, in one pass each: PostgreSQL's advice for
    populating a database, several times faster than keeping them up to date row by row."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = ANY(%s)"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    log(f"building {len(indexes)} indexes and {len(constraints)} constraints")
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    # Unique constraints (their indexes) first, then the foreign keys that they may back.
    for table, name, definition in sorted(constraints, key=lambda c: "FOREIGN" in c[2]):
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def seed(responses: int, people: int) -> dict[str, Any]:
    """Create the owner, the project and its NPS survey, ``people`` people and ``responses``
    responses (and one display per response) with COPY, then VACUUM ANALYZE."""
    _setup_django()
    import datetime
    import random
    import uuid

    from django.db import connection
    from django.utils import timezone

    from promoter.accounts.models import User
    from promoter.actions.projects import project_create
    from promoter.people.models import EndUser
    from promoter.responses.models import Display, Response

    started = mark = time.perf_counter()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 1)
        mark = now

    rng = random.Random(20261123)
    owner = User.objects.create_user(OWNER_EMAIL, secrets.token_urlsafe(16))
    project = project_create(owner=owner, name="Bench", slug="bench")
    survey = project.surveys.get()
    now = timezone.now()
    year = 365 * 86400

    def uuid4() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    # ~2,000 accounts, each with a plan and a country; people belong to one account.
    names = [f"{a} {b}" for a in ACCOUNT_FIRST for b in ACCOUNT_SECOND]
    accounts = [
        (name, rng.choices(PLANS, PLAN_WEIGHTS)[0], rng.choice(COUNTRIES)) for name in names
    ]
    mrr = {"free": (0, 0), "starter": (29, 99), "pro": (100, 999), "enterprise": (1000, 20000)}
    person_columns = (
        "public_id", "project_id", "external_id", "email", "properties",
        "first_seen_at", "last_seen_at", "created_at",
    )  # fmt: skip
    person_tail, person_defaults = _tail(EndUser, person_columns)
    person_properties: list[str] = []  # JSON, by person number; each response copies its own

    def person_rows() -> Any:
        for i in range(people):
            account, plan, country = rng.choice(accounts)
            properties = {
                "plan": plan,
                "country": country,
                "account": account,
                "variant": rng.choice("AB"),
                "mrr_amount": rng.randint(*mrr[plan]),
            }
            text = json.dumps(properties)
            person_properties.append(text)
            first = now - datetime.timedelta(seconds=rng.uniform(30 * 86400, 2 * year))
            last = first + (now - first) * rng.random()
            external_id = f"usr_{i:07d}"
            yield (
                uuid4(), project.pk, external_id, f"{external_id}@example.com", text,
                first, last, first, *person_defaults,
            )  # fmt: skip

    response_columns = (
        "public_id", "project_id", "survey_id", "end_user_id", "score", "comment", "channel",
        "properties", "created_at", "updated_at",
    )  # fmt: skip
    response_tail, response_defaults = _tail(Response, response_columns)
    scores = range(11)

    def response_rows(person_ids: list[int]) -> Any:
        # Oldest first, as they arrive in production: the table's physical order follows
        # created_at, so a 90-day filter reads about a quarter of its pages, not all of them.
        ages = sorted((rng.random() * year for _ in range(responses)), reverse=True)
        for age in ages:
            person = rng.randrange(people)
            properties = person_properties[person]
            score = rng.choices(scores, SCORE_WEIGHTS)[0]
            if score < 10 and '"variant": "B"' in properties and rng.random() < 0.15:
                score += 1  # variant B does a little better, so Compare has something to find
            comment = ""
            if rng.random() < 0.3:
                comment = ", ".join(rng.sample(PHRASES, rng.randint(1, 3))) + "."
                comment = comment[0].upper() + comment[1:]
            created = now - datetime.timedelta(seconds=age)
            yield (
                uuid4(), project.pk, survey.pk, person_ids[person], score, comment,
                rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], properties, created, created,
                *response_defaults,
            )  # fmt: skip

    display_columns = (
        "public_id", "project_id", "survey_id", "end_user_id", "channel", "created_at"
    )  # fmt: skip
    display_tail, display_defaults = _tail(Display, display_columns)
    people_table = EndUser._meta.db_table
    responses_table = Response._meta.db_table
    displays_table = Display._meta.db_table
    phase("setup")

    raw = connection.cursor().cursor  # the psycopg cursor under Django's wrapper
    # The rollup triggers are off for the load and the rollups rebuilt after it, as
    # `promoter rollups --rebuild` does (one grouped pass a month instead of one per COPY).
    raw.execute(f"ALTER TABLE {responses_table} DISABLE TRIGGER USER")
    with _without_indexes(raw, [people_table, responses_table, displays_table]):
        _copy(raw, people_table, [*person_columns, *person_tail], person_rows(), people, "people")
        raw.execute(
            f"SELECT external_id, id FROM {people_table} WHERE project_id = %s", [project.pk]
        )
        ids = dict(raw.fetchall())
        person_ids = [ids[f"usr_{i:07d}"] for i in range(people)]
        phase("people")
        columns = [*response_columns, *response_tail]
        _copy(raw, responses_table, columns, response_rows(person_ids), responses, "responses")
        phase("responses")
        # One display per response, 20 s before it (server-side: no row crosses the wire).
        log(f"displays: {responses:,} rows (INSERT ... SELECT)")
        raw.execute(
            f"INSERT INTO {displays_table} ({', '.join([*display_columns, *display_tail])})"
            f" SELECT gen_random_uuid(), project_id, survey_id, end_user_id, channel,"
            f" created_at - interval '20 seconds'{''.join(', %s' for _ in display_defaults)}"
            f" FROM {responses_table} ORDER BY id",
            display_defaults,
        )
        phase("displays")
    phase("indexes")
    raw.execute(f"ALTER TABLE {responses_table} ENABLE TRIGGER USER")
    log("rebuilding the rollups (promoter rollups --rebuild)")
    from django.db import transaction

    from promoter.analytics import rollups

    with transaction.atomic():
        rollups.rebuild()
    phase("rollups_rebuild")
    log("VACUUM ANALYZE")
    # VACUUM as well as ANALYZE: it sets the hint bits and the visibility map once, so neither
    # the first timed reads nor an autovacuum that starts in the middle of them pay for it.
    raw.execute("VACUUM (ANALYZE)")
    phase("vacuum_analyze")
    seconds = round(time.perf_counter() - started, 1)
    raw.execute("SELECT pg_database_size(current_database())")
    (size,) = raw.fetchone()
    return {
        "seed_seconds": seconds,
        "phases_seconds": phases,
        "database_mb": round(size / 2**20),
        "people": people,
        "responses": responses,
        "displays": responses,
    }


# --- measuring (runs in a child process with the bench's environment) ------------------------


def measure(repeat: int, explain: bool) -> dict[str, Any]:
    """Time each page ``repeat`` times after one warm-up with the test client, logged in as the
    owner; count its SQL queries and keep the slowest one."""
    _setup_django()
    import datetime

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from promoter.accounts.models import Project, User
    from promoter.accounts.services import api_key_create

    client = Client()
    owner = User.objects.get(email=OWNER_EMAIL)
    client.force_login(owner)
    key = api_key_create(project=Project.objects.get(slug="bench"), name="bench").secret
    now = timezone.now()
    since = (now - datetime.timedelta(days=90)).isoformat().replace("+00:00", "Z")
    until = now.isoformat().replace("+00:00", "Z")
    urls = dict(PAGES)
    urls["metrics_api"] = f"/api/v1/metrics?since={since}&until={until}&by=plan&bucket=week"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    pages: dict[str, Any] = {}
    for name, url in urls.items():
        log(f"{name}: GET {url}, 1 warm-up + {repeat}")
        reply = client.get(url, **headers)
        assert reply.status_code == 200, (url, reply.status_code)
        times, sql_times, counts, slowest = [], [], [], (0.0, "")
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                reply = client.get(url, **headers)
                elapsed = time.perf_counter() - started
            assert reply.status_code == 200, (url, reply.status_code)
            times.append(elapsed * 1000)
            counts.append(len(queries.captured_queries))
            spent = [(float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries]
            sql_times.append(sum(ms for ms, _ in spent))
            slowest = max([slowest, *spent])
        pages[name] = {
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "queries": max(counts),
            "sql_median_ms": round(statistics.median(sql_times), 1),
            "slowest_query_ms": round(slowest[0], 1),
            "slowest_query": slowest[1][:1000],
        }
        if explain:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest[1]}")
                pages[name]["slowest_query_plan"] = [row[0] for row in cursor.fetchall()]
        log(f"{name}: median {pages[name]['median_ms']} ms, {pages[name]['queries']} queries")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return {"postgres": version, "pages": pages}


# --- the analytic ceiling: the same aggregates by DuckDB over a Parquet export ---------------


def ceiling(repeat: int, workdir: str) -> dict[str, Any]:
    """Export the responses to Parquet (through CSV, by COPY) and time, with DuckDB, the
    aggregates each page computes; return the median per page and the export's figures."""
    _setup_django()
    import datetime

    import duckdb
    from django.db import connection

    csv_path, parquet_path = Path(workdir) / "responses.csv", Path(workdir) / "responses.parquet"
    started = time.perf_counter()
    raw = connection.cursor().cursor
    with (
        csv_path.open("wb") as out,
        raw.copy(
            "COPY (SELECT created_at AT TIME ZONE 'UTC' AS created_at, score, channel, excluded,"
            " comment, properties ->> 'plan' AS plan, properties ->> 'account' AS account,"
            " properties ->> 'variant' AS variant FROM responses_response)"
            " TO STDOUT WITH (FORMAT csv, HEADER true)"
        ) as copy,
    ):
        for chunk in copy:
            out.write(chunk)
    db = duckdb.connect()
    db.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header=true)) TO '{parquet_path}'"
        " (FORMAT parquet)"
    )
    export_seconds = time.perf_counter() - started
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)

    def ts(days: int) -> str:
        return f"TIMESTAMP '{now - datetime.timedelta(days=days)}'"

    table = f"read_parquet('{parquet_path}')"

    def where(frm: int, to: int, extra: str = "") -> str:
        return f"FROM {table} WHERE NOT excluded AND created_at >= {ts(frm)}" + (
            f" AND created_at < {ts(to)}{extra}"
        )

    def hist(frm: int, to: int = 0, extra: str = "") -> str:
        return f"SELECT score, count(*) {where(frm, to, extra)} GROUP BY score"

    def trend(frm: int, unit: str) -> str:
        bucket = f"date_trunc('{unit}', created_at)"
        return f"SELECT {bucket}, score, count(*) {where(frm, 0)} GROUP BY 1, 2"

    def prop(column: str, frm: int, to: int = 0) -> str:
        return f"SELECT {column}, score, count(*) {where(frm, to)} GROUP BY 1, 2"

    def top(frm: int, n: int, extra: str = "") -> str:
        return f"SELECT * {where(frm, 0, extra)} ORDER BY created_at DESC LIMIT {n}"

    in_app = " AND channel IN ('web', 'ios', 'android')"
    commented = " AND comment IS NOT NULL AND comment <> ''"
    slow = " AND comment ILIKE '%slow%'"
    queries = {
        "overview_90d": [hist(90), hist(180, 90), trend(90, "week"),
                         f"SELECT count(*) {where(90, 0, in_app)}", top(90, 8, commented)],
        "overview_365d": [hist(365), hist(730, 365), trend(365, "month"),
                          f"SELECT count(*) {where(365, 0, in_app)}", top(365, 8, commented)],
        "segments_plan": [hist(90), prop("plan", 90), prop("account", 90),
                          prop("account", 180, 90)],
        "segments_account": [hist(90), prop("account", 90), prop("account", 180, 90)],
        "feedback_90d": [f"SELECT count(*) {where(90, 0)}", top(90, 25)],
        "feedback_search": [f"SELECT count(*) {where(90, 0, slow)}", top(90, 25, slow)],
        "compare_variant": [hist(365, 0, " AND upper(variant) = 'A'"),
                            hist(365, 0, " AND upper(variant) = 'B'")],
        "metrics_api": [hist(90), prop("plan", 90), trend(90, "week")],
    }  # fmt: skip
    pages = {}
    for name, statements in queries.items():
        for statement in statements:  # warm-up
            db.execute(statement).fetchall()
        times = []
        for _ in range(repeat):
            begun = time.perf_counter()
            for statement in statements:
                db.execute(statement).fetchall()
            times.append((time.perf_counter() - begun) * 1000)
        pages[name] = {"median_ms": round(statistics.median(times), 2), "queries": len(statements)}
    return {
        "export_seconds": round(export_seconds, 1),
        "parquet_mb": round(parquet_path.stat().st_size / 2**20, 1),
        "duckdb": duckdb.__version__,
        "pages": pages,
    }


# --- the database ----------------------------------------------------------------------------


def _postgres(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """Yield the DATABASE_URL of a fresh, empty PostgreSQL database, dropped afterwards unless
    ``--keep``."""
    server_url, name = args.postgres_url.rstrip("/"), args.database
    _postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _postgres(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        if args.keep:
            log(f"kept the database: DATABASE_URL={server_url}/{name}")
        else:
            log(f"dropping the PostgreSQL database {name}")
            _postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def serve_rss(env: dict[str, str], rounds: int = 5) -> dict[str, Any]:
    """Start the production server (``promoter serve``, its default workers) on the bench
    database, request every page ``rounds`` times as the owner, then read the resident memory
    of the server's processes (issue 9: each stays under 150 MB)."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cookie = child(env, "--session-only")["cookie"]
    server = subprocess.Popen(
        [str(PROMOTER), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("promoter serve did not answer /healthz within 60 s") from None
                time.sleep(0.2)
        requests = 0
        for _ in range(rounds):
            for url in PAGES.values():
                ask = urllib.request.Request(f"http://127.0.0.1:{port}{url}")
                ask.add_header("Cookie", cookie)
                with urllib.request.urlopen(ask, timeout=120) as reply:  # noqa: S310 (ours)
                    reply.read()
                    # Not sent to the login page: the session is the owner's.
                    assert reply.status == 200 and reply.geturl().endswith(url), url
                requests += 1
        processes = {"main": _rss_mb(server.pid)}
        for i, pid in enumerate(_children(server.pid)):
            processes[f"worker_{i + 1}"] = _rss_mb(pid)
        values = [v for v in processes.values() if v is not None]
        log(f"promoter serve after {requests} page loads: {processes} MB")
        return {"requests": requests, "processes_mb": processes, "max": max(values)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def session_cookie() -> dict[str, str]:
    """Return a session cookie of the bench's owner (as the login form would set it)."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from promoter.accounts.models import User

    owner = User.objects.get(email=OWNER_EMAIL)
    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    return {"cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}


def child(env: dict[str, str], *arguments: str) -> dict[str, Any]:
    """Run this script with ``arguments`` in the bench's environment; return its JSON (its
    stderr, the progress, goes straight to ours)."""
    done = subprocess.run(
        [str(PYTHON), __file__, *arguments],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="promoter-bench-dashboard-"))
    try:
        with database(args) as url:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "promoter.settings",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": url,
                "PROMOTER_DATA_DIR": str(workdir),
                "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
                "SITE_URL": "http://127.0.0.1:8000",
                "LOG_LEVEL": "WARNING",
                "EMAIL_URL": "dummy://",
            }
            env.pop("REDIS_URL", None)
            log(f"migrating {args.database}")
            subprocess.run(
                [str(PROMOTER), "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT
            )
            log(f"seeding {args.responses:,} responses from {args.people:,} people")
            seeded = child(
                env,
                "--seed-only",
                "--responses", str(args.responses),
                "--people", str(args.people),
            )  # fmt: skip
            phases = ", ".join(f"{k} {v} s" for k, v in seeded["phases_seconds"].items())
            log(f"seeded in {seeded['seed_seconds']} s ({phases}): {seeded['database_mb']} MB")
            measure_args = ["--measure-only", "--repeat", str(args.repeat)]
            if args.explain:
                measure_args.append("--explain")
            measured = child(env, *measure_args)
            log("the analytic ceiling: DuckDB over a Parquet export of the same rows")
            ceiling_result = child(
                env, "--ceiling-only", "--repeat", str(args.repeat), "--workdir", str(workdir)
            )
            log("promoter serve: resident memory after serving the pages")
            rss = serve_rss(env)
            return {"seed": seeded, **measured, "ceiling": ceiling_result, "serve_rss_mb": rss}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def targets(pages: dict[str, Any], *, responses: int) -> dict[str, Any]:
    """Return the pages' targets (median < 300 ms, within 5x of DuckDB), each "met" or
    "missed", or "not judged" when the run had another size than the targets' 1M responses."""
    judged = responses == TARGET_RESPONSES

    def status(ok: bool) -> str:
        return ("met" if ok else "missed") if judged else "not judged"

    return {
        "status": "judged" if judged else "not judged",
        "responses_stated": TARGET_RESPONSES,
        "responses_measured": responses,
        "pages": {
            name: {
                "under_300_ms": status(pages[name]["median_ms"] < 300),
                "within_5x_duckdb": status(pages[name].get("ratio_to_duckdb", 1e9) <= 5),
            }
            for name in ("overview_90d", "overview_365d", "segments_plan", "segments_account")
            if name in pages
        },
    }


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: children, database


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="the server (trust auth), without a database"
    )
    parser.add_argument(
        "--database", default=POSTGRES_DB, help="created, then dropped (default: %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    # Kept so that old command lines still work: nothing is written anywhere now.
    parser.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--session-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        json.dump(seed(args.responses, args.people), sys.stdout)
        return 0
    if args.measure_only:
        json.dump(measure(args.repeat, args.explain), sys.stdout)
        return 0
    if args.session_only:
        json.dump(session_cookie(), sys.stdout)
        return 0
    if args.ceiling_only:
        json.dump(ceiling(args.repeat, args.workdir), sys.stdout)
        return 0
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores only")
    if args.responses < 1 or args.people < 1 or args.repeat < 1:
        parser.error("--responses, --people and --repeat must be at least 1")
    signal.signal(signal.SIGTERM, _terminate)
    report: dict[str, Any] = {
        "benchmark": "dashboard",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "settings": {
            "responses": args.responses,
            "people": args.people,
            "repeat": args.repeat,
            "displays": args.responses,
            "client": "django.test.Client in process (server time, no network), DEBUG off",
            "postgres": f"{args.postgres_url.rstrip('/')}/{args.database}",
        },
    }
    results = bench(args)
    report["machine"]["postgres"] = results["postgres"]
    seeded = results["seed"]
    report["seed_seconds"] = seeded["seed_seconds"]
    report["seed_phases_seconds"] = seeded["phases_seconds"]
    report["database_mb"] = seeded["database_mb"]
    report["pages"] = results["pages"]
    report["serve_rss_mb"] = results["serve_rss_mb"]
    ceiling_result = results["ceiling"]
    report["ceiling"] = {k: v for k, v in ceiling_result.items() if k != "pages"}
    for name, page in report["pages"].items():
        duck = ceiling_result["pages"].get(name)
        if duck is None:
            continue
        page["duckdb_ms"] = duck["median_ms"]
        page["ratio_to_duckdb"] = round(page["median_ms"] / max(duck["median_ms"], 0.01), 1)
    report["targets"] = targets(report["pages"], responses=args.responses)
    if report["targets"]["status"] == "not judged":
        log(
            f"targets not judged: measured at {args.responses:,} responses;"
            f" they are stated at {TARGET_RESPONSES:,}"
        )
    report["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
