"""Small database helpers shared by services."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import connection, transaction


def insert_guard() -> contextlib.AbstractContextManager[Any]:
    """Return a context for one INSERT that may fail on a unique constraint.

    In autocommit a single INSERT is atomic by itself, so no transaction is opened (on SQLite
    that saves a BEGIN and a COMMIT round trip on the hot path). Inside a caller's transaction
    a savepoint keeps the expected IntegrityError from aborting it.
    """
    if connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()
