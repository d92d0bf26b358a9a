"""Faults under sustained load (``pytest -m long``; `make test-long`, CI too).

- Crash safety: widget traffic against `promoter serve` and two `promoter worker` on a
  private PostgreSQL, which is restarted twice (``-m fast``, then ``-m immediate``, a crash)
  while app processes and workers are SIGKILLed and started again. Every response that got a
  2xx is stored exactly once, every client succeeds by retrying with the same ids, and every
  delivery reaches the receiver at least once and is recorded as delivered exactly once.
- SQLite embedded mode: 8 concurrent writers for 60 s (``SQLITE_WRITERS_SECONDS``) against the
  production server on a fresh SQLite file: no error surfaces to a client, no write is lost.

Figures go to artifacts/faults.json. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from promoter.integrations.models import Delivery, DeliveryAttempt, DeliveryStatus
from promoter.integrations.tests.receiver import Answer, Receiver
from promoter.responses.models import Display, Response
from promoter.tests.live import (
    Server,
    Worker,
    base_env,
    call,
    migrate,
    private_postgres,
    seed,
    wait_until,
    write_artifact,
)

pytestmark = pytest.mark.long

RESPONSES = Response._meta.db_table
DISPLAYS = Display._meta.db_table
DELIVERIES = Delivery._meta.db_table
ATTEMPTS = DeliveryAttempt._meta.db_table


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stored: set[str] = field(default_factory=set)  # response ids answered 2xx
    displays: set[str] = field(default_factory=set)
    flows: int = 0
    retries: int = 0  # requests sent again after an error or no reply
    errors: Counter[str] = field(default_factory=Counter)  # why they were sent again
    replayed: int = 0  # a retry answered 200: the first try was stored, its answer lost
    failures: list[str] = field(default_factory=list)  # wrong answers, or gave up


def send_until_ok(
    port_of: Any, tally: Tally, method: str, path: str, body: dict[str, Any], ok: tuple[int, ...]
) -> tuple[int, bytes]:
    """Send until the answer is one of ``ok`` (the widget retries from localStorage with the
    same ids); 5xx, 503 and no reply are retried, anything else is a failure."""
    deadline = time.monotonic() + 180
    while True:
        try:
            status, payload = call(port_of(), method, path, body, timeout=15)
        except (OSError, http.client.HTTPException) as exc:
            status, payload, reason = 0, b"", type(exc).__name__
        else:
            reason = str(status)
        if status in ok:
            return status, payload
        if status and status < 500:
            with tally.lock:
                tally.failures.append(f"{method} {path}: {status} {payload[:200]!r}")
            return status, payload
        if time.monotonic() > deadline:
            with tally.lock:
                tally.failures.append(f"{method} {path}: gave up after 180 s ({reason})")
            return status, payload
        with tally.lock:
            tally.retries += 1
            tally.errors[reason] += 1
        time.sleep(0.2)


def widget_client(
    n: int, key: str, survey: str, port_of: Any, tally: Tally, stop: threading.Event
) -> None:
    """One browser after another: eligibility, display, score, comment (as promoter.js)."""
    rng = random.Random(n)
    i = 0
    while not stop.is_set():
        i += 1
        user = {"id": f"client{n}-person{i}", "properties": {"plan": rng.choice(["free", "pro"])}}
        who = {"key": key, "user": user}
        send_until_ok(port_of, tally, "POST", "/i/v1/eligibility", who, (200,))
        display_id = str(uuid.uuid4())
        display = {**who, "survey": survey, "id": display_id}
        if send_until_ok(port_of, tally, "POST", "/i/v1/displays", display, (201,))[0] == 201:
            with tally.lock:
                tally.displays.add(display_id)
        response_id = str(uuid.uuid4())
        answer = {**who, "survey": survey, "id": response_id, "score": rng.randint(0, 10)}
        status, payload = send_until_ok(
            port_of, tally, "POST", "/i/v1/responses", answer, (200, 201)
        )
        if status in (200, 201):
            assert json.loads(payload)["id"] == response_id
            with tally.lock:
                tally.stored.add(response_id)
                tally.replayed += status == 200
            comment = {**who, "comment": f"comment {n}-{i}"}
            path = f"/i/v1/responses/{response_id}"
            send_until_ok(port_of, tally, "PATCH", path, comment, (200,))
        with tally.lock:
            tally.flows += 1


def test_nothing_is_lost_across_database_restarts_and_killed_processes(tmp_path: Path):
    clients = int(os.environ.get("CRASH_CLIENTS", "6"))
    events: list[dict[str, Any]] = []
    kills: Counter[str] = Counter()
    receiver = Receiver()
    receiver.routes = {"/": Answer(delay=0.02)}  # a little slow, so kills land mid-batch
    receiver.start()
    servers: list[Server] = []
    workers: list[Worker] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        with private_postgres() as pg:
            env = base_env(pg.url(), DELIVERY_LEASE_SECONDS="5", OUTBOUND_TIMEOUT_SECONDS="2")
            migrate(env)
            keys = seed(env, webhook_url=receiver.url)
            server = Server(env, tmp_path / "serve.log").start()
            servers.append(server)
            workers += [Worker(env, tmp_path / f"worker{i}.log").start() for i in range(2)]
            tally = Tally()
            threads = [
                threading.Thread(
                    target=widget_client,
                    args=(n, keys["key"], keys["survey"], lambda: servers[-1].port, tally, stop),
                    daemon=True,
                )
                for n in range(clients)
            ]
            for thread in threads:
                thread.start()

            def step(name: str, action: Any, wait: float = 4.0) -> None:
                time.sleep(wait)
                before = tally.flows
                started = time.monotonic()
                action()
                events.append({"event": name, "flows_before": before,
                               "seconds": round(time.monotonic() - started, 2)})  # fmt: skip

            step("postgres restart -m fast", lambda: pg.restart("fast"))
            step("postgres restart -m immediate", lambda: pg.restart("immediate"))
            time.sleep(4)
            # Both workers lived through the restarts (they reconnect, they do not exit).
            assert all(w.alive() for w in workers), (tmp_path / "worker0.log").read_text()[-3000:]

            def kill_one_app_process() -> None:
                os.kill(server.worker_pids()[0], signal.SIGKILL)  # granian starts another
                kills["app processes"] += 1

            def kill_server_and_start_again() -> None:
                kills["app processes"] += len(servers[-1].worker_pids()) + 1  # and granian's main
                servers[-1].kill()
                servers.append(Server(env, tmp_path / "serve.log").start())

            def kill_worker_and_start_again() -> None:
                workers[0].kill()
                kills["workers"] += 1
                workers[0] = Worker(env, tmp_path / "worker0b.log").start()

            def kill_all_workers_and_start_again() -> None:
                for i, worker in enumerate(workers):
                    worker.kill()
                    kills["workers"] += 1
                    workers[i] = Worker(env, tmp_path / f"worker{i}c.log").start()

            step("SIGKILL one app process", kill_one_app_process, wait=0)
            step("SIGKILL a worker, start another", kill_worker_and_start_again)
            step("SIGKILL the server (all its processes), start it again",
                 kill_server_and_start_again)  # fmt: skip
            step("SIGKILL both workers, start two", kill_all_workers_and_start_again)
            step("postgres restart -m immediate under the new processes",
                 lambda: pg.restart("immediate"))  # fmt: skip
            time.sleep(4)
            stop.set()
            for thread in threads:
                thread.join(200)
            assert not any(t.is_alive() for t in threads), "a client never finished"
            assert not tally.failures, tally.failures[:10]

            rows = pg.sql(
                f"SELECT public_id::text, count(*) FROM {RESPONSES} GROUP BY public_id",  # noqa: S608
                "promoter",
            )
            counts = {public_id: n for public_id, n in rows}
            assert tally.stored, "no response was stored"
            missing = tally.stored - set(counts)
            assert not missing, f"{len(missing)} responses answered 2xx are not stored"
            assert max(counts.values()) == 1
            assert set(counts) == tally.stored  # and nothing that was never acknowledged
            shown = {str(r[0]) for r in pg.sql(f"SELECT public_id FROM {DISPLAYS}", "promoter")}  # noqa: S608
            assert shown == tally.displays

            def outbox() -> list[tuple[Any, ...]]:
                return pg.sql(f"SELECT id, public_id::text, status FROM {DELIVERIES}", "promoter")  # noqa: S608

            wait_until(
                lambda: all(row[2] == DeliveryStatus.DELIVERED for row in outbox()),
                timeout=120,
                what="every delivery to be delivered",
                step=0.5,
            )
            deliveries = outbox()
            assert len(deliveries) == len(tally.stored)  # one per response (the rule)
            successes = dict(
                pg.sql(
                    f"SELECT delivery_id, count(*) FROM {ATTEMPTS} WHERE ok GROUP BY delivery_id",  # noqa: S608
                    "promoter",
                )
            )
            assert all(successes.get(row[0]) == 1 for row in deliveries)  # recorded once
            received = Counter(r.headers["webhook-id"] for r in receiver.requests)
            expected = {f"msg_{row[1]}" for row in deliveries}
            assert expected <= set(received), "a delivery never reached the receiver"
            assert all(w.alive() for w in workers)
            figures = {
                "clients": clients,
                "flows": tally.flows,
                "responses_stored": len(tally.stored),
                "displays_stored": len(tally.displays),
                "requests_retried": tally.retries,
                "retry_reasons": dict(tally.errors),
                "retries_answered_200_replayed": tally.replayed,
                "postgres_restarts": sum("postgres" in e["event"] for e in events),
                "app_processes_killed": kills["app processes"],
                "workers_killed": kills["workers"],
                "deliveries": len(deliveries),
                "deliveries_received": sum(received.values()),
                "duplicate_deliveries_at_receiver": sum(received.values()) - len(received),
                "events": events,
            }
            write_artifact("faults.json", {"crash_safety": figures})
    finally:
        stop.set()
        for process in [*servers, *workers]:
            process.stop()
        receiver.stop()


def test_sqlite_embedded_takes_eight_concurrent_writers(tmp_path: Path):
    seconds = float(os.environ.get("SQLITE_WRITERS_SECONDS", "60"))
    writers = 8
    receiver = Receiver().start()
    data = Path(tempfile.mkdtemp(prefix="promoter-sqlite-", dir=tmp_path))
    env = base_env(f"sqlite:///{data / 'promoter.sqlite3'}", PROMOTER_DATA_DIR=str(data))
    migrate(env)
    keys = seed(env, webhook_url=receiver.url)
    server = Server(env, tmp_path / "serve.log")
    worker = Worker(env, tmp_path / "worker.log")
    statuses: Counter[str] = Counter()
    created: set[str] = set()
    commented: set[str] = set()
    problems: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        rng = random.Random(n)
        i = 0
        while not stop.is_set():
            i += 1
            who = {"key": keys["key"], "user": {"id": f"w{n}-{rng.randint(0, 200)}"}}
            response_id = str(uuid.uuid4())
            requests: list[tuple[str, str, dict[str, Any], int]] = [
                ("POST", "/i/v1/eligibility", who, 200),
                ("POST", "/i/v1/displays", {**who, "survey": keys["survey"]}, 201),
                ("POST", "/i/v1/responses",
                 {**who, "survey": keys["survey"], "id": response_id, "score": i % 11}, 201),
                ("PATCH", f"/i/v1/responses/{response_id}", {**who, "comment": f"c{n}-{i}"}, 200),
            ]  # fmt: skip
            for method, path, body, expected in requests:
                try:
                    status, payload = call(server.port, method, path, body, timeout=30)
                except (OSError, http.client.HTTPException) as exc:
                    status, payload = 0, repr(exc).encode()
                with lock:
                    statuses[f"{method} {path.split('/')[3]} {status}"] += 1
                    if status != expected or b"locked" in payload:
                        problems.append(f"{method} {path}: {status} {payload[:200]!r}")
                    elif path.endswith("/responses"):
                        created.add(response_id)
                    elif method == "PATCH":
                        commented.add(response_id)
                if status != expected:
                    break

    try:
        server.start()
        worker.start()
        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        for thread in threads:
            thread.join(60)
        elapsed = time.monotonic() - started
        import sqlite3

        with contextlib.closing(sqlite3.connect(data / "promoter.sqlite3", timeout=30)) as db:
            stored = {
                row[0].replace("-", ""): row[1]
                for row in db.execute(f"SELECT public_id, comment FROM {RESPONSES}")  # noqa: S608
            }
            displays = db.execute(f"SELECT count(*) FROM {DISPLAYS}").fetchone()[0]  # noqa: S608
            journal = db.execute("PRAGMA journal_mode").fetchone()[0]
        log = (tmp_path / "serve.log").read_text()
        assert not problems, problems[:10]
        assert "database is locked" not in log, log[-3000:]
        assert journal == "wal"
        assert created, "nothing was written"
        ids = {i.replace("-", "") for i in created}
        assert ids == set(stored)  # every 201 is a row, and every row got a 201
        assert all(stored[i.replace("-", "")] for i in commented)  # every 200 PATCH kept
        assert displays == statuses["POST displays 201"]
        writes = sum(n for name, n in statuses.items() if "eligibility" not in name)
        worker_log = (tmp_path / "worker.log").read_text()
        write_artifact(
            "faults.json",
            {
                "sqlite_embedded": {
                    "writers": writers,
                    "seconds": round(elapsed, 1),
                    "requests": sum(statuses.values()),
                    "writes": writes,
                    "writes_per_second": round(writes / elapsed, 1),
                    "responses_stored": len(stored),
                    "answers": dict(statuses),
                    "client_errors": len(problems),
                    "worker_log_database_locked": worker_log.count("database is locked"),
                }
            },
        )
    finally:
        stop.set()
        server.stop()
        worker.stop()
        receiver.stop()
