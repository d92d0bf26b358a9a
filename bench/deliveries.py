"""Deliveries per second through the outbox to a local receiver, with 1 and 4 workers.

It creates a fresh PostgreSQL database, migrates it, and stores one project with a webhook
destination pointing at a local HTTP receiver (a keep-alive server in this process that
answers 200 at once) and ``--deliveries`` responses, each with one delivery. For each worker
count it starts that many ``promoter worker`` processes, lets them settle, then marks every
delivery pending and times how long the workers take to send them all (claims by conditional
UPDATE, a signed webhook POST, the successful attempts recorded per claimed batch). Each count
runs ``--rounds`` times; the median is reported with every round.

Prints JSON on stdout (progress on stderr); redirect it to keep a copy.
Usage: python bench/deliveries.py [--deliveries 3000] [--workers 1 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
POSTGRES_DB = "promoter_bench_deliveries"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()


def receiver(counter: Counter) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with counter.lock:
                counter.n += 1
            # One write, as real servers do (two small writes would meet delayed ACKs).
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-" + "x" * 40),
        INTEGRATIONS_ALLOW_PRIVATE_IPS="true",
        LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="promoter.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(n: int, url: str) -> None:
    import uuid

    from django.utils import timezone

    from promoter.accounts.models import User
    from promoter.actions.projects import project_create
    from promoter.integrations.destinations import destination_create, rule_create
    from promoter.integrations.models import Delivery, DeliveryStatus, Event
    from promoter.responses.models import Response

    owner = User.objects.create_user("bench@example.com", "x" * 16)
    project = project_create(owner=owner, name="Bench", slug="bench")
    survey = project.surveys.get(kind="nps")
    destination = destination_create(
        project=project, kind="webhook", name="Local receiver", data={"url": url}
    )
    rule = rule_create(destination=destination, events=[Event.CREATED])
    now = timezone.now()
    responses = Response.objects.bulk_create(
        [
            Response(
                public_id=uuid.uuid4(),
                project=project,
                survey=survey,
                score=i % 11,
                comment="The export keeps timing out" if i % 3 == 0 else "",
                created_at=now,
                updated_at=now,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                project=project,
                destination=destination,
                rule=rule,
                response=r,
                event=Event.CREATED,
                status=DeliveryStatus.DELIVERED,  # made pending when a round starts
                next_attempt_at=now,
                created_at=now,
            )
            for r in responses
        ],
        batch_size=2000,
    )


def start_workers(count: int, database_url: str) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INTEGRATIONS_ALLOW_PRIVATE_IPS": "true",
        "LOG_LEVEL": "ERROR",
    }
    return [
        subprocess.Popen(
            [str(PYTHON), "-m", "promoter.cli", "worker", "--sweep-interval", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def one_round(n: int, counter: Counter, timeout: float) -> float:
    from django.db import connection
    from django.utils import timezone

    from promoter.integrations.models import Delivery, DeliveryAttempt, DeliveryStatus

    DeliveryAttempt.objects.all().delete()
    with counter.lock:
        counter.n = 0
    started = time.perf_counter()
    Delivery.objects.update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
        lease_until=None, claimed_by="",
    )  # fmt: skip
    deadline = started + timeout
    while time.perf_counter() < deadline:
        left = Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).count()
        if left == 0:
            elapsed = time.perf_counter() - started
            connection.close()
            return n / elapsed
        time.sleep(0.05)
    raise SystemExit(f"the workers did not deliver {n} deliveries within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    # Kept so that old command lines still work: nothing is written anywhere now.
    parser.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    counter = Counter()
    server = receiver(counter)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    database_url = f"{POSTGRES_URL}/{POSTGRES_DB}"
    postgres(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{POSTGRES_DB}"')
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false",
               "SECRET_KEY": "bench-" + "x" * 40}  # fmt: skip
        os.environ.update(env)
        log("migrating")
        subprocess.run(
            [str(PYTHON), "-m", "promoter.cli", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        setup_django(database_url)
        log(f"seeding {args.deliveries} responses with one delivery each")
        seed(args.deliveries, url)
        results: dict[str, Any] = {}
        for count in args.workers:
            workers = start_workers(count, database_url)
            try:
                time.sleep(4)  # let them import Django and connect
                rounds = []
                for i in range(args.rounds):
                    load = os.getloadavg()[0]
                    rate = one_round(args.deliveries, counter, args.timeout)
                    log(f"{count} worker(s), round {i + 1}: {rate:.0f}/s (load {load:.2f})")
                    rounds.append(
                        {
                            "per_second": round(rate, 1),
                            "load_average_before": round(load, 2),
                            "requests_received": counter.n,
                        }
                    )
            finally:
                stop_workers(workers)
            results[f"workers_{count}"] = {
                "deliveries_per_second_median": round(
                    statistics.median(r["per_second"] for r in rounds), 1
                ),
                "rounds": rounds,
            }
        if "workers_1" in results and "workers_4" in results:
            results["speedup_4_vs_1"] = round(
                results["workers_4"]["deliveries_per_second_median"]
                / results["workers_1"]["deliveries_per_second_median"],
                2,
            )
    finally:
        from django.db import connections

        connections.close_all()
        postgres(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
        server.shutdown()
    report = {
        "benchmark": "deliveries",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "deliveries": args.deliveries,
            "rounds": args.rounds,
            "database": "PostgreSQL",
            "transport": "webhook (Standard Webhooks signature) to a local keep-alive receiver",
            "worker": "promoter worker --sweep-interval 0.05 (the outbox sweeper sends)",
            "note": "workers, receiver and PostgreSQL share the machine's cores",
        },
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
