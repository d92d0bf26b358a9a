"""``promoter export``: a project's responses, people or tags as CSV or JSON Lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from promoter.accounts.models import Project
from promoter.responses.exports import FORMATS, WHAT, count, export


class Command(BaseCommand):
    help = (
        "Export a project's responses (one column per property), people or tags as CSV or"
        " JSON Lines, to a file or standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--what", choices=WHAT, default="responses")
        parser.add_argument("--output", "-o", default="-", help="a file (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with the slug {options['project']!r}")
        total = count(project=project, what=options["what"])
        target = options["output"]
        temporary = None
        write: Callable[[str], Any]
        if target == "-":
            out = self.stdout
            write = out.write
            ending = out.ending
            out.ending = ""
        else:
            path = Path(target)
            if not path.parent.exists():
                raise CommandError(f"no directory {path.parent}")
            temporary = path.with_name(f".{path.name}.part")  # never a half-written file
            handle = temporary.open("w", encoding="utf-8", newline="")
            write = handle.write
        try:
            with tqdm(total=total, unit="row", desc=f"Exporting {options['what']}",
                      file=sys.stderr, disable=not sys.stderr.isatty()) as bar:  # fmt: skip
                n = export(project=project, what=options["what"], fmt=options["format"],
                           write=write, progress=bar.update)  # fmt: skip
        except BaseException:
            if temporary is not None:
                handle.close()
                temporary.unlink(missing_ok=True)
            raise
        if temporary is not None:
            handle.close()
            temporary.replace(target)
            self.stderr.write(f"wrote {n} {options['what']} to {target}")
        else:
            out.ending = ending
