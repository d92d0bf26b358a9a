"""Throughput and latency of the ingest API against the production server, with its ceilings.

For each database (SQLite, PostgreSQL) it creates a fresh database, migrates it, seeds a
project whose people mostly answered recently (so they are throttled), starts
`promoter serve` (granian WSGI; --workers, --threads) with the benchmark ceilings mounted
(DJANGO_SETTINGS_MODULE=bench.settings: the product's settings with bench/urls.py, the
product's routes plus bench/ceilings.py, which the product never mounts) and loads it with 32
concurrent connections from `wrk` (Debian's package; a Python client in several processes is
the fallback). PostgreSQL runs in the production mode (Redis as the shared cache,
--redis-url), SQLite in the embedded mode (no Redis).

- ``healthz``: GET /healthz, a trivial JSON view through the whole stack (for reference);
- ``ceiling_trivial``: POST /bench/v1/trivial, the ingest stack answering a JSON body;
- ``ceiling_select``: POST /bench/v1/select, the same plus one primary-key SELECT of a person;
- ``ceiling_insert``: POST /bench/v1/insert, the same plus one INSERT and its commit;
- ``eligibility_throttled``: a known, throttled person asks on a page view (the common case);
- ``eligibility_new``: a never-seen person asks (a read, then an INSERT of the person);
- ``response_create``: a known person, one of the fifth who are not throttled, answers (a new
  client-generated id each time).

Each ingest scenario is reported as a ratio to its ceiling, measured in the same run (throttled
eligibility / trivial, new-person eligibility / select, response create / insert), with the
targets of issue 9: >= 0.5, >= 0.8, >= 0.8, and p99 < 50 ms.

Every answer of the three API scenarios is checked (status, and for the throttled case that the
body says ``"eligible": false`` with reason ``throttled_response``); the count of wrong answers is
reported as ``unexpected``. The server's error lines (5xx tracebacks) are reported too.

Prints JSON on stdout (progress on stderr); redirect it to keep a copy.
Usage: python bench/ingest.py [--db sqlite|postgres|both] [--duration 10] [--connections 32]
       [--rounds 3] [--people 5000] [--client auto|wrk|python]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()
PYTHON = Path(sys.executable)  # the virtualenv's python: `promoter` is installed beside it
PROMOTER = PYTHON.parent / "promoter"
if not PROMOTER.exists():
    PROMOTER = ROOT / ".venv" / "bin" / "promoter"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "promoter_bench"
SCENARIOS = (
    "healthz",
    "ceiling_trivial",
    "ceiling_select",
    "ceiling_insert",
    "eligibility_throttled",
    "eligibility_new",
    "response_create",
)
# scenario -> (its ceiling, the lowest ratio to it that meets the target)
TARGETS = {
    "eligibility_throttled": ("ceiling_trivial", 0.5),
    "eligibility_new": ("ceiling_select", 0.8),
    "response_create": ("ceiling_insert", 0.8),
}
P99_TARGET_MS = 50.0
# What every answer of a scenario must be: the status, and Lua patterns its body must match.
EXPECT: dict[str, tuple[int, tuple[str, ...]]] = {
    "healthz": (200, ()),
    "ceiling_trivial": (200, (r'"ok":true',)),
    "ceiling_select": (200, (r'"external_id":"usr_',)),
    "ceiling_insert": (201, ()),
    "eligibility_throttled": (200, (r'"eligible":%s*false', r'"reason":%s*"throttled_response"')),
    "eligibility_new": (200, (r'"eligible":%s*[tf]',)),
    "response_create": (201, ()),
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- seeding (runs in a child process with the bench's environment) --------------------------


def seed(people: int, throttled: int) -> dict[str, Any]:
    """Create the project, its NPS survey and ``people`` people, ``throttled`` of whom answered
    yesterday; return what the load needs to know."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    import datetime

    from django.utils import timezone

    from bench.ceilings import ceiling_table_create
    from promoter.accounts.models import User
    from promoter.actions.projects import project_create
    from promoter.people.models import EndUser
    from promoter.responses.models import Response

    owner = User.objects.create_user("bench@example.com", secrets.token_urlsafe(16))
    project = project_create(owner=owner, name="Bench", slug="bench")
    survey = project.surveys.get()
    now = timezone.now()
    rows = [
        EndUser(
            project=project,
            external_id=f"usr_{i:06d}",
            email=f"usr_{i:06d}@example.com",
            properties={"plan": ("free", "pro", "enterprise")[i % 3], "seats": i % 50},
            first_seen_at=now - datetime.timedelta(days=200),
            last_seen_at=now,
        )
        for i in range(people)
    ]
    created = EndUser.objects.bulk_create(rows, batch_size=2000)
    yesterday = now - datetime.timedelta(days=1)
    Response.objects.bulk_create(
        [
            Response(
                public_id=uuid.uuid4(),
                project=project,
                survey=survey,
                end_user=person,
                score=i % 11,
                properties=person.properties,
                created_at=yesterday,
                updated_at=yesterday,
            )
            for i, person in enumerate(created[:throttled])
        ],
        batch_size=2000,
    )
    ceiling_table_create()
    return {
        "key": project.public_key,
        "survey": str(survey.public_id),
        "throttled_ids": [p.external_id for p in created[:throttled]],
        "all_ids": [p.external_id for p in created],
        "answering_ids": [p.external_id for p in created[throttled:]],
        "person_pks": [p.pk for p in created],
    }


# --- databases and the server ---------------------------------------------------------------


def _postgres(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def database(kind: str, workdir: Path, args: argparse.Namespace) -> Iterator[str]:
    """Yield the DATABASE_URL of a fresh, empty database (PostgreSQL's is dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'promoter.sqlite3'}"
        return
    server_url, name = args.postgres_url.rstrip("/"), args.postgres_db
    _postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _postgres(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        log(f"dropping the PostgreSQL database {name}")
        _postgres(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_command(kind: str, port: int, workers: int, threads: int) -> list[str]:
    """Return the command that serves the app: `promoter serve` (granian WSGI), or gunicorn's
    sync or gthread workers for comparison (gunicorn must be importable)."""
    if kind == "granian":
        return [
            str(PROMOTER), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads),
        ]  # fmt: skip
    worker_class = "sync" if kind == "gunicorn-sync" else "gthread"
    return [
        str(PYTHON), "-m", "gunicorn", "promoter.wsgi:application", "--bind",
        f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", worker_class, "--log-level", "warning",
    ]  # fmt: skip


@contextmanager
def server(
    env: dict[str, str], command: list[str], port: int, logfile: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the server until the block ends (however it ends), its output in ``logfile``."""
    with logfile.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {logfile.read_text()[-2000:]}")
                try:
                    status, _ = request(port, "GET", "/healthz", None)
                    if status == 200:
                        break
                except (OSError, http.client.HTTPException):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield process
        finally:
            log("stopping the server")
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass


def request(port: int, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = json.dumps(body) if body is not None else None
        connection.request(method, path, data, {"Content-Type": "text/plain;charset=UTF-8"})
        reply = connection.getresponse()
        payload = reply.read()
        return reply.status, json.loads(payload) if payload else None
    finally:
        connection.close()


def server_problems(text: str) -> dict[str, Any]:
    """The server log's error lines (5xx tracebacks, worker crashes), for the report."""
    lines = text.splitlines()
    error_lines: list[str] = []
    exceptions: dict[str, int] = {}
    tracebacks: list[str] = []
    for index, line in enumerate(lines):
        if re.search(r"\b(ERROR|CRITICAL)\b|Internal Server Error|panicked|died", line):
            error_lines.append(line)
        if line.startswith("Traceback"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                end += 1
            block = lines[index : end + 1]
            if end < len(lines):
                exceptions[lines[end]] = exceptions.get(lines[end], 0) + 1
            if len(tracebacks) < 2:
                tracebacks.append("\n".join(block))
    return {
        "internal_server_errors": sum("Internal Server Error" in line for line in lines),
        "error_lines": len(error_lines),
        "first_error_lines": list(dict.fromkeys(error_lines))[:10],
        "exceptions": exceptions,
        "first_tracebacks": tracebacks,
    }


# --- load: wrk with a Lua script, or Python processes ---------------------------------------


LUA = r"""
local ids = {%(ids)s}
local key = "%(key)s"
local survey = "%(survey)s"
local scenario = "%(scenario)s"
local expect_status = %(expect_status)d
local expect_body = {%(expect_body)s}
local counter = 1
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  unexpected = 0
  status_5xx = 0
end

local function hex(digits)
  local out = {}
  for i = 1, digits do out[i] = string.format("%%x", math.random(0, 15)) end
  return table.concat(out)
end

local function uuid4()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" ..
    string.format("%%x", math.random(8, 11)) .. hex(3) .. "-" .. hex(12)
end

local headers = {["Content-Type"] = "text/plain;charset=UTF-8"}

function request()
  if scenario == "healthz" then
    return wrk.format("GET", "/healthz")
  elseif scenario == "ceiling_trivial" then
    return wrk.format("POST", "/bench/v1/trivial", headers, '{"key":"' .. key .. '"}')
  elseif scenario == "ceiling_select" then
    return wrk.format("POST", "/bench/v1/select", headers,
      '{"id":' .. ids[math.random(#ids)] .. '}')
  elseif scenario == "ceiling_insert" then
    return wrk.format("POST", "/bench/v1/insert", headers, '{"value":"' .. uuid4() .. '"}')
  elseif scenario == "eligibility_throttled" then
    local id = ids[math.random(#ids)]
    return wrk.format("POST", "/i/v1/eligibility", headers,
      '{"key":"' .. key .. '","user":{"id":"' .. id .. '"}}')
  elseif scenario == "eligibility_new" then
    return wrk.format("POST", "/i/v1/eligibility", headers,
      '{"key":"' .. key .. '","user":{"id":"new-' .. uuid4() .. '","properties":{"plan":"pro"}}}')
  else
    local id = ids[math.random(#ids)]
    return wrk.format("POST", "/i/v1/responses", headers,
      '{"key":"' .. key .. '","user":{"id":"' .. id .. '"},"id":"' .. uuid4() ..
      '","survey":"' .. survey .. '","score":' .. math.random(0, 10) .. '}')
  end
end

%(response_hook)s

function done(summary, latency, requests)
  local e = summary.errors
  local wrong, s5xx = 0, 0
  for _, thread in ipairs(threads) do
    wrong = wrong + (thread:get("unexpected") or 0)
    s5xx = s5xx + (thread:get("status_5xx") or 0)
  end
  io.write(string.format(
    'WRK-JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"non_2xx":%%d,"socket_errors":%%d,"unexpected":%%d,"status_5xx":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout,
    wrong, s5xx))
end
"""

# Checking every answer costs wrk a Lua call per response; /healthz (the reference) is left
# unchecked so that it is measured as a plain `wrk -t2 -c32` run measures a web stack.
LUA_RESPONSE_HOOK = r"""
function response(status, headers, body)
  if status >= 500 then status_5xx = status_5xx + 1 end
  local ok = status == expect_status
  if ok then
    for _, pattern in ipairs(expect_body) do
      if not string.find(body, pattern) then ok = false break end
    end
  end
  if not ok then unexpected = unexpected + 1 end
end
"""


def scenario_ids(scenario: str, data: dict[str, Any]) -> list[Any]:
    if scenario == "ceiling_select":
        return list(data["person_pks"])
    if scenario == "eligibility_throttled":
        return data["throttled_ids"]
    if scenario == "response_create":
        # The people who answer are not the throttled ones, as in production (a throttled
        # person does not answer again): each answer renews the person's history token, so
        # answers from throttled people would turn the next round's page views into misses.
        return data.get("answering_ids") or data["all_ids"]
    return data["all_ids"]


def run_wrk(
    port: int, scenario: str, data: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    status, patterns = EXPECT[scenario]
    script = workdir / f"{scenario}.lua"
    script.write_text(
        LUA
        % {
            "ids": ",".join(json.dumps(i) for i in scenario_ids(scenario, data)),
            "key": data["key"],
            "survey": data["survey"],
            "scenario": scenario,
            "expect_status": status,
            "expect_body": ",".join(json.dumps(p) for p in patterns),
            "response_hook": "" if scenario == "healthz" else LUA_RESPONSE_HOOK,
        }
    )
    command = [
        "wrk", "-t", str(args.wrk_threads), "-c", str(args.connections),
        "-d", f"{max(1, round(args.duration))}s", "--timeout", "10s", "-s", str(script),
        f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds = raw["duration_us"] / 1e6
    checked = scenario != "healthz"
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "status_5xx": raw["status_5xx"] if checked else None,
        "unexpected": raw["unexpected"] if checked else None,
        "socket_errors": raw["socket_errors"],
    }


def _python_client(
    port: int,
    scenario: str,
    key: str,
    survey: str,
    ids: list[str],
    connections: int,
    start_at: float,
    duration: float,
) -> dict[str, Any]:
    """One load process: ``connections`` threads, each with its own keep-alive connection,
    from wall-clock ``start_at`` for ``duration`` seconds."""
    expect_status, _ = EXPECT[scenario]
    stop = start_at + duration
    latencies: list[float] = []
    counts = {"non_2xx": 0, "status_5xx": 0, "unexpected": 0, "socket_errors": 0}
    lock = threading.Lock()

    def body() -> tuple[str, str, str | None]:
        if scenario == "healthz":
            return "GET", "/healthz", None
        if scenario == "ceiling_trivial":
            return "POST", "/bench/v1/trivial", json.dumps({"key": key})
        if scenario == "ceiling_select":
            return "POST", "/bench/v1/select", json.dumps({"id": random.choice(ids)})
        if scenario == "ceiling_insert":
            return "POST", "/bench/v1/insert", json.dumps({"value": str(uuid.uuid4())})
        if scenario == "eligibility_throttled":
            user = {"id": random.choice(ids)}
            return "POST", "/i/v1/eligibility", json.dumps({"key": key, "user": user})
        if scenario == "eligibility_new":
            user = {"id": f"new-{uuid.uuid4()}", "properties": {"plan": "pro"}}
            return "POST", "/i/v1/eligibility", json.dumps({"key": key, "user": user})
        answer = {
            "key": key,
            "user": {"id": random.choice(ids)},
            "id": str(uuid.uuid4()),
            "survey": survey,
            "score": random.randint(0, 10),
        }
        return "POST", "/i/v1/responses", json.dumps(answer)

    def wrong(status: int, payload: bytes) -> bool:
        if status != expect_status:
            return True
        if scenario == "ceiling_select":
            return b'"external_id":"usr_' not in payload
        if scenario == "eligibility_throttled":
            reply = json.loads(payload)
            return reply.get("eligible") is not False or reply.get("reason") != "throttled_response"
        return False

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        mine_counts = dict.fromkeys(counts, 0)
        time.sleep(max(0.0, start_at - time.time()))
        while time.time() < stop:
            method, path, payload = body()
            started = time.perf_counter()
            try:
                connection.request(method, path, payload, {"Content-Type": "text/plain"})
                reply = connection.getresponse()
                data = reply.read()
                mine.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                mine_counts["socket_errors"] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine_counts["non_2xx"] += not 200 <= reply.status < 300
            mine_counts["status_5xx"] += reply.status >= 500
            if scenario != "healthz":
                mine_counts["unexpected"] += wrong(reply.status, data)
        connection.close()
        with lock:
            latencies.extend(mine)
            for name, value in mine_counts.items():
                counts[name] += value

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, **counts}


def run_python(
    port: int, scenario: str, data: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """Fallback load: ``--client-processes`` processes sharing the connections, each a thread
    per connection with keep-alive. Slower than wrk, and it shares the machine's cores with
    the server, so its figures understate the server more than wrk's do."""
    processes = max(1, min(args.client_processes, args.connections))
    shares = [args.connections // processes] * processes
    for index in range(args.connections % processes):
        shares[index] += 1
    start_at = time.time() + 1.0  # after every process has started
    ids = scenario_ids(scenario, data)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(
            _python_client,
            [
                (port, scenario, data["key"], data["survey"], ids, share, start_at, args.duration)
                for share in shares
            ],
        )
    latencies = sorted(latency for part in parts for latency in part["latencies"])

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)

    checked = scenario != "healthz"
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / args.duration, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        "non_2xx": sum(part["non_2xx"] for part in parts),
        "status_5xx": sum(part["status_5xx"] for part in parts),
        "unexpected": sum(part["unexpected"] for part in parts) if checked else None,
        "socket_errors": sum(part["socket_errors"] for part in parts),
    }


def check_answers(port: int, data: dict[str, Any]) -> dict[str, int]:
    """Before timing anything, make sure each scenario gets the answer it is meant to measure
    (on a sample of people); return how many answers were checked."""
    sample = random.sample(data["throttled_ids"], min(50, len(data["throttled_ids"])))
    for person in sample:
        body = {"key": data["key"], "user": {"id": person}}
        status, reply = request(port, "POST", "/i/v1/eligibility", body)
        assert status == 200, (status, reply)
        assert reply["eligible"] is False and reply["reason"] == "throttled_response", reply
    body = {"key": data["key"], "user": {"id": f"check-{uuid.uuid4()}"}}
    status, reply = request(port, "POST", "/i/v1/eligibility", body)
    assert status == 200 and reply["eligible"] is True, (status, reply)
    answer = {
        "key": data["key"],
        "user": {"id": data["all_ids"][-1]},
        "id": str(uuid.uuid4()),
        "survey": data["survey"],
        "score": 7,
    }
    status, reply = request(port, "POST", "/i/v1/responses", answer)
    assert status == 201, (status, reply)
    status, reply = request(port, "POST", "/bench/v1/trivial", {"key": data["key"]})
    assert status == 200 and reply["ok"] is True, (status, reply)
    status, reply = request(port, "POST", "/bench/v1/select", {"id": data["person_pks"][0]})
    assert status == 200 and reply["external_id"] == data["all_ids"][0], (status, reply)
    status, reply = request(port, "POST", "/bench/v1/insert", {"value": "check"})
    assert status == 201, (status, reply)
    return {
        "eligibility_throttled": len(sample),
        "eligibility_new": 1,
        "response_create": 1,
        "ceiling_trivial": 1,
        "ceiling_select": 1,
        "ceiling_insert": 1,
    }


def warm(port: int, data: dict[str, Any], threads: int = 8) -> float:
    """Ask twice for every throttled person, so that the throttled scenario measures the steady
    state (a returning person's state is cached) rather than first visits; return seconds.

    Twice: the seeded people were bulk-inserted, so their cache tokens do not exist yet; the
    first call mints them, the second stores the state (a person created through the API has
    tokens from the start)."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    people = data["throttled_ids"] * 2

    def run(part: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for person in part:
                body = json.dumps({"key": data["key"], "user": {"id": person}})
                connection.request(
                    "POST", "/i/v1/eligibility", body, {"Content-Type": "text/plain"}
                )
                connection.getresponse().read()
        finally:
            connection.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, [people[i::threads] for i in range(threads)]))
    return round(time.monotonic() - started, 1)


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def total(name: str) -> int | None:
        values = [r[name] for r in rounds]
        return None if None in values else sum(values)

    return {
        "rounds": rounds,
        "median_rps": statistics.median(r["rps"] for r in rounds),
        "median_p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "median_p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "non_2xx": sum(r["non_2xx"] for r in rounds),
        "status_5xx": total("status_5xx"),
        "unexpected": total("unexpected"),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
    }


def bench_database(
    kind: str, args: argparse.Namespace, client: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the scenarios' figures on database ``kind``, and the server's log problems."""
    workdir = Path(tempfile.mkdtemp(prefix=f"promoter-bench-{kind}-"))
    try:
        with database(kind, workdir, args) as url:
            env = {
                **os.environ,
                # The product's settings with the ceilings mounted (bench/settings.py), found
                # through the repository root on the path.
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))
                ),
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50)[:50],
                "DATABASE_URL": url,
                "PROMOTER_DATA_DIR": str(workdir),
                "INGEST_RATE_LIMIT_PER_MINUTE": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SITE_URL": "http://127.0.0.1:8000",
                "LOG_LEVEL": "WARNING",
                "EMAIL_URL": "dummy://",
            }
            env.pop("REDIS_URL", None)
            env.pop("INGEST_STATE_CACHE", None)
            if kind == "postgres" and args.redis_url:  # the production mode: a shared cache
                env["REDIS_URL"] = args.redis_url
                redis_flush(args.redis_url)  # cache entries are keyed by project pk
            log(f"{kind}: migrating and seeding {args.people:,} people")
            subprocess.run(
                [str(PROMOTER), "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT
            )
            seeded = subprocess.run(
                [str(PYTHON), str(SCRIPT), "--seed-only", "--people", str(args.people)],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            data = json.loads(seeded.stdout)
            port = free_port()
            logfile = workdir / "server.log"
            results: dict[str, Any] = {}
            try:
                command = server_command(args.server, port, args.workers, args.threads)
                with server(env, command, port, logfile):
                    checked = check_answers(port, data)
                    load = run_wrk if client == "wrk" else run_python
                    cached = "REDIS_URL" in env  # without Redis the ingest cache is off
                    if cached and "eligibility_throttled" in args.scenarios:
                        log(
                            f"{kind}: asked twice for each throttled person in {warm(port, data)} s"
                        )
                    # Rounds outside, scenarios inside: each ceiling is measured minutes (not
                    # a quarter of an hour) from the scenario it is compared with, so drifts
                    # in the machine's load hit both alike.
                    rounds: dict[str, list[dict[str, Any]]] = {s: [] for s in args.scenarios}
                    for number in range(1, args.rounds + 1):
                        for scenario in args.scenarios:
                            before = round(os.getloadavg()[0], 2)
                            figures = load(port, scenario, data, args, workdir)
                            figures["load_average_before"] = before
                            rounds[scenario].append(figures)
                            log(
                                f"{kind}: {scenario}, round {number}/{args.rounds}:"
                                f" {figures['rps']:,.0f} req/s, p50 {figures['p50_ms']} ms,"
                                f" p99 {figures['p99_ms']} ms, non-2xx {figures['non_2xx']},"
                                f" wrong answers {figures['unexpected']}"
                            )
                    for scenario, measured in rounds.items():
                        results[scenario] = summarize(measured)
                        results[scenario]["checked_before_load"] = checked.get(scenario, 0)
            finally:
                problems = server_problems(logfile.read_text(errors="replace"))
                if problems["error_lines"]:
                    log(f"{kind}: the server logged {problems['error_lines']} error line(s):")
                    for line in problems["first_error_lines"][:5]:
                        log(f"  {line}")
            reference = results.get("healthz", {}).get("median_rps")
            if reference:
                for figures in results.values():
                    figures["ratio_to_healthz"] = round(figures["median_rps"] / reference, 3)
            results["targets"] = targets(results)
            return results, problems
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def redis_flush(url: str) -> None:
    """Empty the benchmark's Redis database (only the one numbered in ``url``)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """Return each ingest scenario's ratio to its ceiling (medians of one run) and whether it
    meets its target, p99 included."""
    out: dict[str, Any] = {}
    for scenario, (ceiling, minimum) in TARGETS.items():
        if scenario not in results or ceiling not in results:
            continue
        mine, top = results[scenario], results[ceiling]
        ratio = round(mine["median_rps"] / top["median_rps"], 3) if top["median_rps"] else None
        # Each round against the ceiling's round measured just before it.
        spread = [
            round(r["rps"] / c["rps"], 3) if c["rps"] else None
            for r, c in zip(mine["rounds"], top["rounds"], strict=True)
        ]
        p99_ok = mine["median_p99_ms"] < P99_TARGET_MS
        out[scenario] = {
            "ceiling": ceiling,
            "rps": mine["median_rps"],
            "p50_ms": mine["median_p50_ms"],
            "p99_ms": mine["median_p99_ms"],
            "ceiling_rps": top["median_rps"],
            "ceiling_p99_ms": top["median_p99_ms"],
            "ratio": ratio,
            "ratio_per_round": spread,
            "target_ratio": minimum,
            "ratio_met": ratio is not None and ratio >= minimum,
            "p99_target_ms": P99_TARGET_MS,
            "p99_met": p99_ok,
            "met": ratio is not None and ratio >= minimum and p99_ok,
            "wrong_answers": mine["unexpected"],
        }
    return out


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: server, database


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--people", type=int, default=5000, help="4/5 of them are throttled")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per server process")
    parser.add_argument(
        "--server",
        choices=("granian", "gunicorn-sync", "gunicorn-gthread"),
        default="granian",
        help="granian is `promoter serve`; gunicorn (if installed) for comparison",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        help="Redis of the PostgreSQL run (flushed first: give it its own database number);"
        " empty: no Redis (default: %(default)s)",
    )
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2, help="for --client python")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, dest="scenarios")
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="the server (trust auth), without a database"
    )
    parser.add_argument(
        "--postgres-db", default=POSTGRES_DB, help="created, then dropped (default: %(default)s)"
    )
    # Kept so that old command lines still work: nothing is written anywhere now.
    parser.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        json.dump(seed(args.people, throttled=args.people * 4 // 5), sys.stdout)
        return 0
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.postgres_db):
        parser.error("--postgres-db: lower-case letters, digits and _ only")
    signal.signal(signal.SIGTERM, _terminate)
    args.scenarios = args.scenarios or list(SCENARIOS)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
        if client == "python":
            log("wrk is not installed (apt-get install -y wrk): using the Python load client")
    if client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install -y wrk, or pass --client python")
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    if client == "wrk":
        load = f"wrk -t{args.wrk_threads} -c{args.connections}, Lua bodies with random ids"
    else:
        load = (
            f"Python http.client, {args.client_processes} processes sharing"
            f" {args.connections} keep-alive connections (slower than wrk)"
        )
    report: dict[str, Any] = {
        "benchmark": "ingest",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "client": client,
            "load": load,
            "note": (
                f"the load generator runs on the same {os.cpu_count()} cores as the server and"
                " the database, so it takes CPU from them: compare ratios from one run"
            ),
            "connections": args.connections,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "people": args.people,
            "throttled_people": args.people * 4 // 5,
            "scenarios": args.scenarios,
            "server": (
                f"promoter serve (granian WSGI), {args.workers} workers x {args.threads} threads"
                if args.server == "granian"
                else f"gunicorn {args.server.split('-')[1]}, {args.workers} workers x"
                f" {args.threads} threads"
            ),
            "cache": {
                "postgres": f"Redis {args.redis_url} (INGEST_STATE_CACHE on)"
                if args.redis_url
                else "none (INGEST_STATE_CACHE off)",
                "sqlite": "none: the embedded mode (INGEST_STATE_CACHE off)",
            },
            "targets": {
                scenario: f"rps >= {minimum} x {ceiling}, p99 < {P99_TARGET_MS:g} ms"
                for scenario, (ceiling, minimum) in TARGETS.items()
            },
            "server_env": {
                "DEBUG": "false",
                "INGEST_RATE_LIMIT_PER_MINUTE": "0",
                "DJANGO_SETTINGS_MODULE": "bench.settings",
            },
            "postgres": f"{args.postgres_url.rstrip('/')}/{args.postgres_db}"
            if "postgres" in kinds
            else None,
        },
        "results": {},
        "server_log": {},
    }
    for kind in kinds:
        results, problems = bench_database(kind, args, client)
        report["results"][kind] = results
        report["server_log"][kind] = problems
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
