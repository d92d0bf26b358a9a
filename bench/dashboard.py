"""Server time of the analytics pages on a big PostgreSQL database.

It creates a fresh PostgreSQL database, migrates it and seeds one project ("bench", one NPS
survey) with ``--people`` people and ``--responses`` responses spread over the last 365 days
(PostgreSQL COPY; one display per response; then VACUUM ANALYZE), and times these pages in
process with Django's test client, each ``--repeat`` times after one warm-up:

- ``overview_90d``, ``overview_365d``: the Overview (``/p/bench/?period=…``);
- ``segments_plan``, ``segments_account``: Segments by a property with 4 / ~2,000 values;
- ``feedback_90d``, ``feedback_search``: the Feedback stream, plain and with ``q=slow``;
- ``compare_variant``: Compare, variant A against variant B over 365 days.

Prints JSON on stdout (progress on stderr) and keeps a copy in bench/results/.
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
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMOTER = ROOT / ".venv" / "bin" / "promoter"
PYTHON = ROOT / ".venv" / "bin" / "python"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = "promoter_bench_dash"
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
PLANS = (("free", 40), ("starter", 30), ("pro", 22), ("enterprise", 8))
COUNTRIES = (
    "US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE",
    "BR", "IN", "JP", "PL", "CH", "BE", "IE", "DK", "NO", "MX",
)  # fmt: skip
CHANNELS = (("web", 60), ("ios", 15), ("android", 15), ("email", 10))
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
    from promoter.accounts.services import project_create
    from promoter.people.models import EndUser
    from promoter.responses.models import Display, Response

    started = time.perf_counter()
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
    plan_names, plan_weights = zip(*PLANS, strict=True)
    accounts = [
        (name, rng.choices(plan_names, plan_weights)[0], rng.choice(COUNTRIES)) for name in names
    ]
    mrr = {"free": (0, 0), "starter": (29, 99), "pro": (100, 999), "enterprise": (1000, 20000)}

    explicit = (
        "public_id", "project_id", "external_id", "email", "properties",
        "first_seen_at", "last_seen_at", "created_at",
    )  # fmt: skip
    tail_columns, tail_values = _tail(EndUser, explicit)
    person_properties: list[str] = []

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
                first, last, first, *tail_values,
            )  # fmt: skip

    raw = connection.cursor().cursor  # the psycopg cursor under Django's wrapper
    table = EndUser._meta.db_table
    _copy(raw, table, [*explicit, *tail_columns], person_rows(), people, "people")
    raw.execute(f"SELECT external_id, id FROM {table} WHERE project_id = %s", [project.pk])
    ids = dict(raw.fetchall())
    person_ids = [ids[f"usr_{i:07d}"] for i in range(people)]

    explicit = (
        "public_id", "project_id", "survey_id", "end_user_id", "score", "comment", "channel",
        "properties", "created_at", "updated_at",
    )  # fmt: skip
    tail_columns, tail_values = _tail(Response, explicit)
    scores = range(11)
    channel_names, channel_weights = zip(*CHANNELS, strict=True)

    def response_rows() -> Any:
        for _ in range(responses):
            person = rng.randrange(people)
            properties = person_properties[person]
            score = rng.choices(scores, SCORE_WEIGHTS)[0]
            if score < 10 and '"variant": "B"' in properties and rng.random() < 0.15:
                score += 1  # variant B does a little better, so Compare has something to find
            comment = ""
            if rng.random() < 0.3:
                comment = ", ".join(rng.sample(PHRASES, rng.randint(1, 3))) + "."
                comment = comment[0].upper() + comment[1:]
            created = now - datetime.timedelta(seconds=rng.random() * year)
            yield (
                uuid4(), project.pk, survey.pk, person_ids[person], score, comment,
                rng.choices(channel_names, channel_weights)[0], properties, created, created,
                *tail_values,
            )  # fmt: skip

    responses_table = Response._meta.db_table
    columns = [*explicit, *tail_columns]
    _copy(raw, responses_table, columns, response_rows(), responses, "responses")

    # One display per response, a few seconds before it (server-side: no rows cross the wire).
    explicit = ("public_id", "project_id", "survey_id", "end_user_id", "channel", "created_at")
    tail_columns, tail_values = _tail(Display, explicit)
    log(f"displays: {responses:,} rows (INSERT ... SELECT)")
    raw.execute(
        f"INSERT INTO {Display._meta.db_table} ({', '.join([*explicit, *tail_columns])})"
        f" SELECT gen_random_uuid(), project_id, survey_id, end_user_id, channel,"
        f" created_at - interval '20 seconds'{''.join(', %s' for _ in tail_values)}"
        f" FROM {responses_table}",
        tail_values,
    )
    loaded = time.perf_counter()
    log(f"loaded in {loaded - started:.1f} s; VACUUM ANALYZE")
    # VACUUM as well as ANALYZE: it sets the hint bits and the visibility map once, so neither
    # the first timed reads nor an autovacuum that starts in the middle of them pay for it.
    raw.execute("VACUUM (ANALYZE)")
    done = time.perf_counter()
    raw.execute("SELECT pg_database_size(current_database())")
    (size,) = raw.fetchone()
    return {
        "seed_seconds": round(done - started, 1),
        "load_seconds": round(loaded - started, 1),
        "vacuum_analyze_seconds": round(done - loaded, 1),
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
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from promoter.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    pages: dict[str, Any] = {}
    for name, url in PAGES.items():
        log(f"{name}: GET {url}, 1 warm-up + {repeat}")
        reply = client.get(url)
        assert reply.status_code == 200, (url, reply.status_code)
        times, counts, slowest = [], [], (0.0, "")
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                reply = client.get(url)
                elapsed = time.perf_counter() - started
            assert reply.status_code == 200, (url, reply.status_code)
            times.append(elapsed * 1000)
            counts.append(len(queries.captured_queries))
            for query in queries.captured_queries:
                slowest = max(slowest, (float(query["time"]) * 1000, query["sql"]))
        pages[name] = {
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "queries": max(counts),
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


# --- the database ----------------------------------------------------------------------------


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_ADMIN_URL}/postgres", autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def database(name: str, keep: bool):
    _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _postgres(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES_ADMIN_URL}/{name}"
    finally:
        if keep:
            log(f"kept the database: DATABASE_URL={POSTGRES_ADMIN_URL}/{name}")
        else:
            _postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
        with database(args.database, args.keep) as url:
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
            log(
                f"seeded in {seeded['seed_seconds']} s (load {seeded['load_seconds']} s, VACUUM"
                f" ANALYZE {seeded['vacuum_analyze_seconds']} s), {seeded['database_mb']} MB"
            )
            measure_args = ["--measure-only", "--repeat", str(args.repeat)]
            if args.explain:
                measure_args.append("--explain")
            measured = child(env, *measure_args)
            return {"seed": seeded, **measured}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page")
    parser.add_argument("--database", default=BENCH_DB, help="PostgreSQL database to create")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        json.dump(seed(args.responses, args.people), sys.stdout)
        return 0
    if args.measure_only:
        json.dump(measure(args.repeat, args.explain), sys.stdout)
        return 0
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores only")
    if args.responses < 1 or args.people < 1 or args.repeat < 1:
        parser.error("--responses, --people and --repeat must be at least 1")
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
        },
    }
    results = bench(args)
    report["machine"]["postgres"] = results["postgres"]
    seeded = results["seed"]
    report["seed_seconds"] = seeded["seed_seconds"]
    report["seed"] = {k: seeded[k] for k in ("load_seconds", "vacuum_analyze_seconds")}
    report["database_mb"] = seeded["database_mb"]
    report["pages"] = results["pages"]
    text = json.dumps(report, indent=2)
    print(text)
    if not args.no_save:
        directory = ROOT / "bench" / "results"
        directory.mkdir(exist_ok=True)
        (directory / f"dashboard-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(
            text + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
