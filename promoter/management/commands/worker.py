"""``promoter worker``: run background tasks and sweep the delivery outbox.

Tasks run on the configured backend: the database queue (django-tasks-db, the default) or
Redis through RQ (``TASKS_BACKEND=rq``). Beside them a sweeper thread sends the deliveries
that no task carries: retries whose time has come, deliveries whose task was lost, and the
claims of workers that died (their lease ran out). Run as many workers as you like.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections, connections

logger = logging.getLogger("promoter.worker")
# RQ runs django-tasks' tasks only through this job class.
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


def sweep_once(name: str) -> None:
    """Do the work that is due and that no task carries: autopilot invitations, e-mail
    invitations and deliveries whose time has come, and the claims of dead workers."""
    from promoter.channels.services import autopilot_schedule_due, invitations_send_due
    from promoter.integrations.outbox import deliveries_process

    autopilot_schedule_due()
    invitations_send_due(worker=name)
    deliveries_process(worker=name)


def sweep_forever(*, interval: float, stop: threading.Event) -> None:
    """Run :func:`sweep_once` every ``interval`` seconds until ``stop`` is set."""
    from promoter.integrations.tasks import worker_name

    name = worker_name() + "-sweep"
    while not stop.is_set():
        try:
            close_old_connections()
            sweep_once(name)
        except Exception:  # the database restarts: try again next round
            logger.exception("worker.sweep_failed")
        finally:
            close_old_connections()
        stop.wait(interval)


class Command(BaseCommand):
    help = (
        "Run a background worker: tasks from the configured backend (the database queue, or"
        " Redis with TASKS_BACKEND=rq) and the delivery outbox's retries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*", help="queue(s) to serve, comma-separated")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=2.0,
            help="seconds between sweeps of the delivery outbox (0: no sweeping)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run what is due (tasks and deliveries), then exit (for cron)",
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            self._run_tasks(options)
            from promoter.channels.services import autopilot_schedule_due, invitations_send_due
            from promoter.integrations.outbox import deliveries_process
            from promoter.integrations.tasks import worker_name

            autopilot = autopilot_schedule_due()
            sent = invitations_send_due(worker=worker_name())
            outcome = deliveries_process(worker=worker_name())
            self.stdout.write(
                f"autopilot: {autopilot} scheduled; invitations: {sent.sent} sent,"
                f" {sent.skipped} skipped, {sent.bounced} bounced;"
                f" deliveries: {outcome.delivered} delivered, {outcome.retrying} to retry,"
                f" {outcome.failed} failed"
            )
            return
        stop = threading.Event()
        sweeper = None
        if options["sweep_interval"] > 0:
            sweeper = threading.Thread(
                target=sweep_forever,
                kwargs={"interval": options["sweep_interval"], "stop": stop},
                name="outbox-sweeper",
                daemon=True,
            )
            sweeper.start()
        try:
            self._run_tasks(options)
        finally:
            stop.set()
            if sweeper is not None:
                sweeper.join(timeout=settings.OUTBOUND_TIMEOUT_SECONDS * 2)

    def _run_tasks(self, options: dict[str, Any]) -> None:
        if settings.TASKS_BACKEND == "rq":
            call_command(
                "rqworker",
                "default",
                job_class=RQ_JOB_CLASS,
                burst=options["batch"],
                with_scheduler=not options["batch"],
                verbosity=options["verbosity"],
            )
            return
        kwargs: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "batch": options["batch"],
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"] is not None:
            kwargs["max_tasks"] = options["max_tasks"]
        while True:
            try:
                call_command("db_worker", **kwargs)
                return
            except DatabaseError:
                # django-tasks-db's worker gives up on any database error but a lock: a
                # restart of PostgreSQL would end the worker. Wait, reconnect, carry on (the
                # outbox's leases hand the interrupted deliveries over).
                if options["batch"]:
                    raise
                logger.exception("worker.database_unavailable")
                connections.close_all()
                time.sleep(max(options["interval"], 1.0))
