from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> int:
    """Return how many migrations the database still lacks."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def bounded(low: int, high: int) -> Any:
    """An argparse type: a whole number from ``low`` to ``high``, else a one-line error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return value

    return parse


def serve(*, host: str, port: int, workers: int, threads: int = 4) -> None:
    """Serve the WSGI app with granian (the fastest Django serving measured on our machines)."""
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "promoter.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        respawn_failed_workers=True,
        log_access=False,
    ).serve()


class Command(BaseCommand):
    help = "Serve Promoter for production (granian WSGI, several worker processes)."
    # handle() runs `promoter check`, the configuration warnings included, once.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0: all)")
        parser.add_argument("--port", type=bounded(1, 65535), default=8000)
        parser.add_argument(
            "--workers",
            type=bounded(1, 256),
            default=settings.SERVE_WORKERS,
            help="processes (default: 2)",
        )
        parser.add_argument(
            "--threads", type=bounded(1, 256), default=4, help="threads per process"
        )
        parser.add_argument(
            "--migrate", action="store_true", help="apply pending migrations before serving"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("check", fail_level="ERROR")
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
        missing = pending_migrations()
        if missing:
            raise CommandError(
                f"the database lacks {missing} migration(s): run `promoter migrate` first"
                " (or `promoter serve --migrate`)"
            )
        self.stdout.write(f"Promoter serving on http://{options['host']}:{options['port']}")
        serve(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
        )
