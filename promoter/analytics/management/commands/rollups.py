"""``rollups``: check or rebuild the daily score rollups the dashboard reads."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from promoter.accounts.models import Project
from promoter.analytics import rollups
from promoter.analytics.models import DailyProperty, DailyScore, WeeklyProperty


class Command(BaseCommand):
    help = (
        "Rebuild the daily score rollups from the responses (--rebuild), for every project or "
        "one (--project). Database triggers keep them exact on every write; a rebuild is for "
        "data loaded with the triggers disabled. It blocks writes to responses while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recount from the responses")
        parser.add_argument("--project", metavar="SLUG", help="only this project")

    def handle(self, *args: Any, **options: Any) -> None:
        project_ids = None
        if options["project"]:
            project = Project.objects.filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"no project with slug {options['project']!r}")
            project_ids = [project.pk]
        if not options["rebuild"]:
            scores, properties = DailyScore.objects.count(), DailyProperty.objects.count()
            weeks = WeeklyProperty.objects.count()
            self.stdout.write(
                f"{scores:,} daily score rows, {properties:,} daily property rows,"
                f" {weeks:,} weekly property rows"
                " (--rebuild recounts them from the responses)"
            )
            return
        started = time.perf_counter()
        with tqdm(desc="months", unit=" months", file=self.stderr, mininterval=1) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            with transaction.atomic():
                counted = rollups.rebuild(project_ids=project_ids, progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(f"Rebuilt the rollups of {counted:,} responses in {seconds:.1f} s.")
