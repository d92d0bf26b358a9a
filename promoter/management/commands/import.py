"""``promoter import``: responses from a Delighted or Wootric export, Promoter's own export or
any spreadsheet (CSV or XLSX)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from promoter.accounts.models import Project
from promoter.actions.imports import import_table, read_table
from promoter.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import responses from a CSV or XLSX file (Delighted and Wootric exports are"
        " recognised). Every row is checked first: with a problem, nothing is imported (or only"
        " the valid rows with --valid-only). Importing a file twice imports it once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument(
            "--survey", default="nps", help="the survey: nps, csat, ces or a survey's id"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="read a field from a column: score, comment, created_at, email, external_id,"
            " response_id, tags, name, or answer:<question id> for an additional question's"
            " answers (repeatable; a column headed with a question's text is found alone)",
        )
        parser.add_argument(
            "--valid-only", action="store_true", help="import the valid rows, skip the others"
        )
        parser.add_argument(
            "--no-sentiment", action="store_true", help="do not score the comments' sentiment"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with the slug {options['project']!r}")
        wanted = options["survey"]
        surveys = project.surveys.order_by("created_at", "pk")
        survey = surveys.filter(kind=wanted).first() or next(
            (s for s in surveys if str(s.public_id) == wanted), None
        )
        if survey is None:
            raise CommandError(f"no survey {wanted!r} in {project.slug}")
        mapping = {}
        for item in options["map"]:
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise CommandError(f"--map {item!r}: write FIELD=COLUMN, e.g. score=Rating")
            mapping[name.strip()] = column.strip()
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        valid_only = options["valid_only"]
        quiet = not sys.stderr.isatty()
        try:
            with (
                tqdm(unit="row", desc="Checking", file=sys.stderr, disable=quiet) as reading,
                tqdm(unit="row", desc="Importing", file=sys.stderr, disable=quiet) as writing,
            ):
                outcome = import_table(
                    survey=survey,
                    table=read_table(path.read_bytes(), path.name),
                    mapping=mapping,
                    valid_only=valid_only,
                    sentiment=not options["no_sentiment"],
                    checked=reading.update,
                    progress=writing.update,
                )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        checker = outcome.checker
        if checker.invalid and not valid_only:
            for problem in checker.problems:
                self.stderr.write(problem)
            more = checker.invalid - len(checker.problems)
            raise CommandError(
                f"{checker.invalid} of {checker.total} rows have problems"
                + (f" ({more} more not listed)" if more > 0 else "")
                + ": nothing was imported (fix them, or pass --valid-only)"
            )
        self.stdout.write(
            f"Imported {outcome.imported} responses into {survey.name}"
            + (f"; {outcome.already} were already there" if outcome.already else "")
            + (f"; skipped {checker.invalid} rows with problems" if checker.invalid else "")
            + "."
        )
