"""Soak (``pytest -m long``): memory stays flat under 10 minutes of mixed traffic.

`promoter serve` (granian, 2 processes x 4 threads) and one `promoter worker` run on a private
PostgreSQL. Four widget clients (eligibility, display, score, comment; routed to a local
webhook) and one dashboard reader (overview, responses, segments, integrations) send a
moderate, paced load for ``SOAK_SECONDS`` (default 600). Every few seconds the RSS of each
serving process and of the worker is read from /proc. After a warm-up of the first 30% of the
run, each process's RSS may grow by at most ``max(10 MB, 5%)`` between the first and the last
tenth of the rest. The series and the counts go to artifacts/soak.json.
"""

from __future__ import annotations

import http.client
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from promoter.integrations.tests.receiver import Receiver
from promoter.tests.live import (
    Server,
    Worker,
    base_env,
    call,
    migrate,
    private_postgres,
    rss_kib,
    seed,
    write_artifact,
)

pytestmark = pytest.mark.long

WARM_UP = 0.3  # of the run, not judged
GROWTH_MB = 10.0
GROWTH_FRACTION = 0.05


def paced(stop: threading.Event, per_second: float, action: Any) -> None:
    """Call ``action(i)`` about ``per_second`` times a second until ``stop``."""
    interval = 1.0 / per_second
    next_at = time.monotonic()
    i = 0
    while not stop.is_set():
        i += 1
        action(i)
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))


def test_memory_stays_flat_over_a_soak(tmp_path: Path):
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    sample_every = min(5.0, max(0.5, seconds / 120))
    answers: Counter[str] = Counter()
    latencies: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    receiver = Receiver().start()
    server: Server | None = None
    worker: Worker | None = None
    try:
        with private_postgres() as pg:
            env = base_env(pg.url())
            migrate(env)
            keys = seed(env, webhook_url=receiver.url)
            server = Server(env, tmp_path / "serve.log").start()
            worker = Worker(env, tmp_path / "worker.log").start()
            port = server.port
            cookie = {"Cookie": f"sessionid={keys['session']}"}

            def send(name: str, method: str, path: str, body: Any, expected: int, **kw: Any):
                started = time.monotonic()
                try:
                    status, payload = call(port, method, path, body, timeout=30, **kw)
                except (OSError, http.client.HTTPException) as exc:
                    status, payload = 0, repr(exc).encode()
                with lock:
                    latencies.append(time.monotonic() - started)
                    answers[f"{name} {status}"] += 1
                    if status != expected:
                        problems.append(f"{method} {path}: {status} {payload[:200]!r}")

            def widget(n: int) -> Any:
                rng = random.Random(n)

                def flow(i: int) -> None:
                    # A returning person half the time (throttled after their answer).
                    person = f"c{n}-{rng.randint(0, 300) if rng.random() < 0.5 else f'new{i}'}"
                    plan = rng.choice(["free", "pro", "team"])
                    who = {"key": keys["key"], "user": {"id": person, "properties": {"plan": plan}}}
                    send("eligibility", "POST", "/i/v1/eligibility", who, 200)
                    if i % 3:
                        return
                    answer_id = str(uuid.uuid4())
                    survey = keys["survey"]
                    send("display", "POST", "/i/v1/displays", {**who, "survey": survey}, 201)
                    answer = {**who, "survey": survey, "id": answer_id, "score": rng.randint(0, 10)}
                    send("response", "POST", "/i/v1/responses", answer, 201)
                    comment = {**who, "comment": f"soak comment {i} " + "words " * (i % 20)}
                    send("comment", "PATCH", f"/i/v1/responses/{answer_id}", comment, 200)

                return flow

            pages = ["", "responses/", "segments/", "integrations/"]

            def dashboard(i: int) -> None:
                path = f"/p/{keys['slug']}/{pages[i % len(pages)]}"
                send("dashboard", "GET", path, None, 200, headers=cookie)

            threads = [
                threading.Thread(target=paced, args=(stop, 3.0, widget(n)), daemon=True)
                for n in range(4)
            ]
            threads.append(threading.Thread(target=paced, args=(stop, 1.0, dashboard), daemon=True))
            pids = server.worker_pids()
            names = {pid: f"app process {i + 1} (pid {pid})" for i, pid in enumerate(pids)}
            series: dict[str, list[tuple[float, int]]] = {name: [] for name in names.values()}
            series["granian main"] = []
            series["promoter worker"] = []
            started = time.monotonic()
            for thread in threads:
                thread.start()
            while (elapsed := time.monotonic() - started) < seconds:
                for pid in pids:
                    if (rss := rss_kib(pid)) is not None:
                        series[names[pid]].append((round(elapsed, 1), rss))
                assert server.process is not None
                if (rss := rss_kib(server.process.pid)) is not None:
                    series["granian main"].append((round(elapsed, 1), rss))
                assert worker.process is not None and worker.alive(), "the worker died"
                if (rss := rss_kib(worker.process.pid)) is not None:
                    series["promoter worker"].append((round(elapsed, 1), rss))
                assert sorted(server.worker_pids()) == sorted(pids), "a server process died"
                time.sleep(sample_every)
            stop.set()
            for thread in threads:
                thread.join(60)
            served = sum(answers.values())
            report: dict[str, Any] = {}
            for name, samples in series.items():
                judged = [rss for t, rss in samples if t >= WARM_UP * seconds]
                tenth = max(1, len(judged) // 10)
                first, last = judged[:tenth], judged[-tenth:]
                growth_kib = statistics.median(last) - statistics.median(first)
                report[name] = {
                    "rss_start_mb": round(samples[0][1] / 1024, 1),
                    "rss_after_warm_up_mb": round(statistics.median(first) / 1024, 1),
                    "rss_end_mb": round(statistics.median(last) / 1024, 1),
                    "growth_after_warm_up_mb": round(growth_kib / 1024, 2),
                    "growth_after_warm_up_percent": round(
                        100 * growth_kib / statistics.median(first), 2
                    ),
                    "series_kib": samples,
                }
            ordered = sorted(latencies)
            write_artifact(
                "soak.json",
                {
                    "seconds": seconds,
                    "requests": served,
                    "requests_per_second": round(served / seconds, 1),
                    "answers": dict(answers),
                    "errors": len(problems),
                    "p50_ms": round(1000 * ordered[len(ordered) // 2], 1),
                    "p99_ms": round(1000 * ordered[int(len(ordered) * 0.99)], 1),
                    "deliveries_received": len(receiver.requests),
                    "bound": f"growth after a {WARM_UP:.0%} warm-up <= max({GROWTH_MB:g} MB, "
                    f"{GROWTH_FRACTION:.0%}) per process",
                    "processes": report,
                    "sample_every_seconds": sample_every,
                },
            )
            assert not problems, problems[:10]
            assert served > seconds * 5  # the load really ran (about 10 requests a second)
            for name, figures in report.items():
                bound_mb = max(GROWTH_MB, GROWTH_FRACTION * figures["rss_after_warm_up_mb"])
                assert figures["growth_after_warm_up_mb"] <= bound_mb, (name, figures)
    finally:
        stop.set()
        if server is not None:
            server.stop()
        if worker is not None:
            worker.stop()
        receiver.stop()
