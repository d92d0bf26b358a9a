"""Throughput and latency of the ingest API against the production server.

For each database (SQLite, PostgreSQL) it creates a fresh database, migrates it, seeds a
project whose people mostly answered recently (so they are throttled), starts
`promoter serve` (granian WSGI, 2 workers x 4 threads) and loads it with 32 concurrent
connections from `wrk` (Debian's package; a Python client is the fallback):

- ``healthz``: GET /healthz, a trivial JSON view through the whole stack (the reference);
- ``eligibility_throttled``: a known, throttled person asks on a page view (the common case);
- ``eligibility_new``: a never-seen person asks (a read, then an INSERT of the person);
- ``response_create``: a known person answers (a new client-generated id each time).

Prints JSON on stdout (progress on stderr) and keeps a copy in bench/results/.
Usage: python bench/ingest.py [--db sqlite|postgres|both] [--duration 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROMOTER = ROOT / ".venv" / "bin" / "promoter"
PYTHON = ROOT / ".venv" / "bin" / "python"
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
BENCH_DB = "promoter_bench"
SCENARIOS = ("healthz", "eligibility_throttled", "eligibility_new", "response_create")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- seeding (runs in a child process with the bench's environment) --------------------------


def seed(people: int, throttled: int) -> dict[str, Any]:
    """Create the project, its NPS survey and ``people`` people, ``throttled`` of whom answered
    yesterday; return what the load needs to know."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    django.setup()
    import datetime

    from django.utils import timezone

    from promoter.accounts.models import User
    from promoter.accounts.services import project_create
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
    return {
        "key": project.public_key,
        "survey": str(survey.public_id),
        "throttled_ids": [p.external_id for p in created[:throttled]],
        "all_ids": [p.external_id for p in created],
    }


# --- databases and the server ---------------------------------------------------------------


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_ADMIN_URL}/postgres", autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def database(kind: str, workdir: Path):
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'promoter.sqlite3'}"
        return
    _postgres(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _postgres(f"CREATE DATABASE {BENCH_DB}")
    try:
        yield f"{POSTGRES_ADMIN_URL}/{BENCH_DB}"
    finally:
        _postgres(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(env: dict[str, str], port: int, workers: int, threads: int, logfile: Path):
    command = [
        str(PROMOTER), "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip
    with logfile.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
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
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


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


# --- load: wrk with a Lua script, or Python threads ----------------------------------------


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    expect: int  # the status every request must get


LUA = r"""
local ids = {%(ids)s}
local key = "%(key)s"
local survey = "%(survey)s"
local scenario = "%(scenario)s"
local counter = 1
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  n = 0
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
  n = n + 1
  if scenario == "healthz" then
    return wrk.format("GET", "/healthz")
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

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"non_2xx":%%d,"socket_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(
    port: int, scenario: str, data: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    ids = data["throttled_ids"] if scenario == "eligibility_throttled" else data["all_ids"]
    script = workdir / f"{scenario}.lua"
    script.write_text(
        LUA
        % {
            "ids": ",".join(json.dumps(i) for i in ids),
            "key": data["key"],
            "survey": data["survey"],
            "scenario": scenario,
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
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
    }


def run_python(
    port: int, scenario: str, data: dict[str, Any], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """Fallback load: one thread per connection with keep-alive (slower than wrk: the client
    shares the machine's cores with the server, so its figures understate the server)."""
    ids = data["throttled_ids"] if scenario == "eligibility_throttled" else data["all_ids"]
    stop = time.monotonic() + args.duration
    latencies: list[float] = []
    counts = {"non_2xx": 0, "socket_errors": 0}
    lock = threading.Lock()

    def body() -> tuple[str, str, str | None]:
        if scenario == "healthz":
            return "GET", "/healthz", None
        if scenario == "eligibility_throttled":
            user = {"id": random.choice(ids)}
            return "POST", "/i/v1/eligibility", json.dumps({"key": data["key"], "user": user})
        if scenario == "eligibility_new":
            user = {"id": f"new-{uuid.uuid4()}", "properties": {"plan": "pro"}}
            return "POST", "/i/v1/eligibility", json.dumps({"key": data["key"], "user": user})
        answer = {
            "key": data["key"],
            "user": {"id": random.choice(ids)},
            "id": str(uuid.uuid4()),
            "survey": data["survey"],
            "score": random.randint(0, 10),
        }
        return "POST", "/i/v1/responses", json.dumps(answer)

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        while time.monotonic() < stop:
            method, path, payload = body()
            started = time.perf_counter()
            try:
                connection.request(method, path, payload, {"Content-Type": "text/plain"})
                reply = connection.getresponse()
                reply.read()
                mine.append(time.perf_counter() - started)
                if not 200 <= reply.status < 300:
                    with lock:
                        counts["non_2xx"] += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["socket_errors"] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        **counts,
    }


def check_answers(port: int, data: dict[str, Any]) -> None:
    """Make sure each scenario gets the answer it is meant to measure before timing it."""
    throttled = {"key": data["key"], "user": {"id": data["throttled_ids"][0]}}
    status, reply = request(port, "POST", "/i/v1/eligibility", throttled)
    assert status == 200 and reply["reason"] == "throttled_response", (status, reply)
    status, reply = request(
        port, "POST", "/i/v1/eligibility", {"key": data["key"], "user": {"id": "check-new"}}
    )
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


def bench_database(kind: str, args: argparse.Namespace, client: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"promoter-bench-{kind}-"))
    try:
        with database(kind, workdir) as url:
            env = {
                **os.environ,
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": url,
                "PROMOTER_DATA_DIR": str(workdir),
                "INGEST_RATE_LIMIT_PER_MINUTE": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": "http://127.0.0.1:8000",
                "LOG_LEVEL": "WARNING",
                "EMAIL_URL": "dummy://",
            }
            env.pop("REDIS_URL", None)
            log(f"{kind}: migrating and seeding {args.people:,} people")
            subprocess.run(
                [str(PROMOTER), "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT
            )
            seeded = subprocess.run(
                [str(PYTHON), __file__, "--seed-only", "--people", str(args.people)],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            data = json.loads(seeded.stdout)
            port = free_port()
            logfile = workdir / "server.log"
            with server(env, port, args.workers, args.threads, logfile):
                check_answers(port, data)
                results: dict[str, Any] = {}
                load = run_wrk if client == "wrk" else run_python
                for scenario in args.scenarios:
                    rounds = []
                    for number in range(1, args.rounds + 1):
                        log(f"{kind}: {scenario}, round {number}/{args.rounds}")
                        rounds.append(load(port, scenario, data, args, workdir))
                    results[scenario] = {
                        "rounds": rounds,
                        "median_rps": statistics.median(r["rps"] for r in rounds),
                        "median_p50_ms": statistics.median(r["p50_ms"] for r in rounds),
                        "median_p99_ms": statistics.median(r["p99_ms"] for r in rounds),
                        "non_2xx": sum(r["non_2xx"] for r in rounds),
                        "socket_errors": sum(r["socket_errors"] for r in rounds),
                    }
            server_log = logfile.read_text(errors="replace")
            errors = [line for line in server_log.splitlines() if "Error" in line][:5]
            reference = results.get("healthz", {}).get("median_rps")
            if reference:
                for figures in results.values():
                    figures["ratio_to_healthz"] = round(figures["median_rps"] / reference, 3)
            return {"results": results, "server_errors": errors}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per server process")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, dest="scenarios")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        json.dump(seed(args.people, throttled=args.people * 4 // 5), sys.stdout)
        return 0
    args.scenarios = args.scenarios or list(SCENARIOS)
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install -y wrk, or pass --client python")
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    report: dict[str, Any] = {
        "benchmark": "ingest",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
        },
        "settings": {
            "client": client,
            "connections": args.connections,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "people": args.people,
            "server": f"promoter serve (granian WSGI), {args.workers} workers x {args.threads}"
            " threads",
        },
        "results": {},
    }
    for kind in kinds:
        report["results"][kind] = bench_database(kind, args, client)
    text = json.dumps(report, indent=2)
    print(text)
    if not args.no_save:
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        (results / f"ingest-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(
            text + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
