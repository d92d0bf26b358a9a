"""Background work of integrations (STYLE.md #7: thin tasks)."""

from __future__ import annotations

import os
import socket

from django_tasks import task

from promoter.integrations.services import deliveries_process


def worker_name() -> str:
    return f"{socket.gethostname()[:16]}-{os.getpid()}"


@task()
def deliveries_send(delivery_ids: list[int]) -> int:
    """Send the deliveries ``delivery_ids`` that are due (others are skipped); return how
    many were tried."""
    return deliveries_process(worker=worker_name(), ids=delivery_ids).total
