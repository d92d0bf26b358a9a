"""``promoter erase``: erase a person and everything about them (the right to be forgotten)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from promoter.accounts.models import Project
from promoter.actions.erasure import person_erase, person_find_for_erasure
from promoter.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Erase a person of a project: them, their responses (with notes, replies, tags and"
        " deliveries), displays, declines and invitations. Logged without personal data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="the project's slug")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", default="", help="the person's e-mail address")
        who.add_argument("--id", dest="external_id", default="", help="your id of the person")
        parser.add_argument("--yes", action="store_true", help="do not ask to confirm")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with the slug {options['project']!r}")
        try:
            person = person_find_for_erasure(
                project=project, email=options["email"], external_id=options["external_id"]
            )
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        responses = person.responses.count()
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("refusing to erase without --yes when not on a terminal")
            answer = input(f"Erase this person and their {responses} response(s)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("nothing erased")
        counts = person_erase(person=person, by="cli")
        self.stdout.write(
            f"Erased 1 person and {sum(counts.values()) - 1} related rows"
            f" ({responses} response(s))."
        )
