"""Killing a worker (SIGKILL) in the middle of a batch loses no delivery: after a new worker
starts, every matched response is delivered at least once, each try carrying the delivery's
id so the receiver can drop the duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, DeliveryStatus, Event
from promoter.integrations.routing import response_event
from promoter.integrations.tests.receiver import Answer
from promoter.management.commands.worker import RQ_JOB_CLASS
from promoter.responses.services import response_create

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    """Return the URL of the test database, for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.abspath(db['NAME'])}"
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker() -> subprocess.Popen[str]:
    env = {**os.environ}
    env.update(
        DATABASE_URL=database_url(),
        INTEGRATIONS_ALLOW_PRIVATE_IPS="true",
        DELIVERY_LEASE_SECONDS="2",
        DELIVERY_RETRY_BASE_SECONDS="0",
        OUTBOUND_TIMEOUT_SECONDS="2",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "promoter.cli", "worker", "--interval", "0.2",
         "--sweep-interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip


def stop(worker: subprocess.Popen[str]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_a_killed_worker_loses_no_delivery(world, receiver):
    n = 30
    # Every request takes a while, so the kill lands in the middle of a batch.
    receiver.script = [Answer(delay=0.1) for _ in range(200)]
    destination = destination_create(
        project=world.alpha, kind="webhook", name="Hook", data={"url": receiver.url}
    )
    rule_create(destination=destination, events=[Event.CREATED])
    survey = world.alpha.surveys.get(kind="nps")
    for i in range(n):
        response, _ = response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=None, score=i % 11, now=timezone.now()
        )
        response_event(response=response, event=Event.CREATED)
    expected = {f"msg_{d.public_id}" for d in Delivery.objects.all()}
    assert len(expected) == n

    first = start_worker()
    try:
        receiver.wait_for(5, timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no chance to clean up
        first.wait()
    stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
    assert stuck > 0, "the kill should leave claimed deliveries behind"
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() < n

    second = start_worker()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == n:
                break
            time.sleep(0.2)
    finally:
        stop(second)
    statuses = sorted(set(Delivery.objects.values_list("status", flat=True)))
    assert statuses == [DeliveryStatus.DELIVERED], second.stderr.read() if second.stderr else ""
    received = [r.headers["webhook-id"] for r in receiver.requests]
    assert set(received) == expected  # every one arrived
    duplicates = len(received) - len(set(received))
    assert duplicates <= stuck  # only those in flight at the kill can arrive twice


def test_the_redis_backend_runs_delivery_tasks(world, receiver):
    """TASKS_BACKEND=rq: the task enqueued on commit goes through Redis (RQ) to a worker."""
    import redis

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    redis.Redis.from_url(redis_url).flushdb()
    destination = destination_create(
        project=world.alpha, kind="webhook", name="Hook", data={"url": receiver.url}
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=world.alpha.surveys.get(kind="nps"),
        end_user=None,
        score=2,
        now=timezone.now(),
    )
    delivery = response_event(response=response, event=Event.CREATED)[0]
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": "rq",
        "REDIS_URL": redis_url,
        "INTEGRATIONS_ALLOW_PRIVATE_IPS": "true",
    }
    enqueue = (
        "from promoter.integrations.tasks import deliveries_send;"
        f"print(deliveries_send.enqueue([{delivery.pk}]).id)"
    )
    run = [sys.executable, "-m", "promoter.cli"]
    subprocess.run([*run, "shell", "-c", enqueue], env=env, check=True, capture_output=True)
    assert Delivery.objects.get().status == DeliveryStatus.PENDING  # queued in Redis only
    done = subprocess.run(
        [*run, "rqworker", "default", "--burst", "--job-class", RQ_JOB_CLASS],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
    assert "-sweep" not in delivery.claimed_by  # sent by the RQ task, not by a sweep
    assert len(receiver.requests) == 1
