"""``autotag``: apply one auto-tag rule to a project's history in the foreground."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from promoter.accounts.models import Project
from promoter.responses.models import AutoTagRule
from promoter.responses.services import rule_backfill


class Command(BaseCommand):
    help = (
        "Apply an auto-tag rule to every stored response of a project (the dashboard's "
        "'Back-fill history' button, run here with a progress bar)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG", help="project slug")
        parser.add_argument(
            "--rule",
            required=True,
            metavar="ID",
            help="the rule's id, as shown on the Tags page",
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="responses per batch (1000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["project"]
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"no project with slug {slug!r}")
        try:
            public_id = uuid.UUID(options["rule"])
        except ValueError:
            raise CommandError(f"--rule expects a rule id such as {uuid.uuid4()}") from None
        rule = (
            AutoTagRule.objects.select_related("tag")
            .filter(project=project, public_id=public_id)
            .first()
        )
        if rule is None:
            raise CommandError(f"project {slug!r} has no rule {public_id}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        with tqdm(
            unit=" responses",
            desc=f"Tagging {rule.tag.name!r}",
            disable=True if options["verbosity"] == 0 else None,
        ) as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            matched = rule_backfill(rule=rule, batch_size=options["batch_size"], progress=advance)
        if matched is None:
            raise CommandError("another back-fill of this rule started meanwhile; it goes on")
        self.stdout.write(
            self.style.SUCCESS(f"{matched:,} responses match the rule and carry {rule.tag.name!r}.")
        )
