from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run a background task worker on the configured tasks backend (the database queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*", help="queue(s) to serve, comma-separated")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--batch", action="store_true", help="exit once the queue is empty (for cron)"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many")

    def handle(self, *args: Any, **options: Any) -> None:
        kwargs: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "batch": options["batch"],
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"] is not None:
            kwargs["max_tasks"] = options["max_tasks"]
        call_command("db_worker", **kwargs)
