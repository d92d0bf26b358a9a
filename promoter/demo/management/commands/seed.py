"""``seed``: fill an existing project with a year of realistic demo responses."""

from __future__ import annotations

import argparse
import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from promoter.accounts.models import Project
from promoter.demo.seed import seed_project


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Fill an existing project with a year of realistic, reproducible demo data: people, "
        "NPS/CSAT/CES responses with comments, displays and declines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--responses", type=int, required=True, metavar="N", help="responses to create"
        )
        parser.add_argument(
            "--project", required=True, metavar="SLUG", help="slug of the project to fill"
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="random seed: same seed, same data (42)"
        )
        parser.add_argument(
            "--until",
            type=_date,
            metavar="YYYY-MM-DD",
            help="last day of the seeded year, included, in UTC (default: now)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        responses: int = options["responses"]
        slug: str = options["project"]
        if responses < 1:
            raise CommandError(f"--responses must be at least 1, got {responses}")
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(
                f"no project with slug {slug!r}: create it first (`promoter demo` or the "
                "dashboard), then seed it"
            )
        until = None
        if options["until"] is not None:
            until = datetime.datetime.combine(
                options["until"] + datetime.timedelta(days=1), datetime.time(), datetime.UTC
            )
        started = time.monotonic()
        with tqdm(
            total=responses,
            unit=" responses",
            desc=f"Seeding {slug}",
            disable=True if options["verbosity"] == 0 else None,
        ) as bar:

            def advance(written: int) -> None:
                bar.update(written)

            result = seed_project(
                project=project,
                responses=responses,
                seed=options["seed"],
                until=until,
                progress=advance,
            )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {slug} in {elapsed:.1f} s: {result.responses:,} responses "
                f"({result.comments:,} with a comment) from {result.end_users:,} people, "
                f"{result.displays:,} displays, {result.declines:,} declines, "
                f"{result.answers:,} answers to additional questions, "
                f"{result.surveys} new surveys."
            )
        )
