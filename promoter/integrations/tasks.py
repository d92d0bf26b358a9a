"""Background work of integrations: thin tasks that take ids, and leave the sending to the
outbox (:mod:`promoter.integrations.outbox`)."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from promoter.integrations.outbox import deliveries_process


def worker_name() -> str:
    return f"{socket.gethostname()[:16]}-{os.getpid()}"


@task()
def deliveries_send(delivery_ids: list[int]) -> int:
    """Send the deliveries ``delivery_ids`` that are due (others are skipped); return how
    many were tried."""
    return deliveries_process(worker=worker_name(), ids=delivery_ids).total
