"""``promoter apikey``: create, list and revoke a project's API keys (for scripts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from promoter.accounts.models import ApiKey, Project
from promoter.accounts.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Create (printing the key once), list or revoke a project's API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a key and print it once")
        create.add_argument("--project", required=True, help="the project's slug")
        create.add_argument("--name", default="API key", help="what the key is for")
        create.add_argument("--read-only", action="store_true", help="a key that only reads")
        listing = actions.add_parser("list", help="list the keys (never the secrets)")
        listing.add_argument("--project", required=True)
        revoke = actions.add_parser("revoke", help="revoke a key by its id")
        revoke.add_argument("--project", required=True)
        revoke.add_argument("key_id", help="the key's id (from list)")

    def _project(self, slug: str) -> Project:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"no project with the slug {slug!r}")
        return project

    def handle(self, *args: Any, **options: Any) -> None:
        project = self._project(options["project"])
        if options["action"] == "create":
            new = api_key_create(
                project=project, name=options["name"], read_only=options["read_only"]
            )
            self.stdout.write(new.secret)
            return
        keys = ApiKey.objects.filter(project=project).order_by("created_at")
        if options["action"] == "list":
            for key in keys:
                state = (
                    "revoked"
                    if key.revoked_at
                    else ("read-only" if key.read_only else "read-write")
                )
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
                masked = f"{ApiKey.PREFIX}{key.lookup}_…"
                self.stdout.write(f"{key.public_id}  {masked}  {state:10}  {used}  {key.name}")
            return
        found = (
            keys.filter(public_id=options["key_id"]).first() if _uuid(options["key_id"]) else None
        )
        if found is None:
            raise CommandError(f"no key {options['key_id']!r} in {project.slug}")
        api_key_revoke(api_key=found)
        self.stdout.write(f"revoked {ApiKey.PREFIX}{found.lookup}_…")


def _uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
