from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from promoter.accounts.models import Project, Role
from promoter.accounts.services import user_create
from promoter.actions.projects import project_create
from promoter.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a dashboard user. The first user also gets a project they own. The password is"
        " read from PROMOTER_PASSWORD, else asked for (twice) on the terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="the person's name")
        parser.add_argument("--project", default="", help="name of a project to create and own")
        parser.add_argument(
            "--staff", action="store_true", help="may open Django's admin and every project"
        )

    def _password(self) -> str:
        password = os.environ.get("PROMOTER_PASSWORD", "")
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError("no password: set PROMOTER_PASSWORD or run on a terminal")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password()
        first_user = not Project.objects.exists()
        project_name = options["project"] or ("My product" if first_user else "")
        try:
            with transaction.atomic():
                user = user_create(
                    email=options["email"],
                    password=password,
                    name=options["name"],
                    is_staff=options["staff"],
                )
                project = project_create(owner=user, name=project_name) if project_name else None
        except ApplicationError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"Created user {user.email}")
        if project is not None:
            self.stdout.write(
                f"Created project {project.name!r} ({project.slug}); role: {Role.OWNER}"
            )
