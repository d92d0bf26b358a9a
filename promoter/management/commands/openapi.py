from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

DOCS = Path(settings.BASE_DIR).parent / "docs"


def documents() -> dict[str, dict[str, Any]]:
    """Return each public API's OpenAPI document by exported path (under docs/)."""
    from promoter.api.api import api as rest_api
    from promoter.ingest.api import api as ingest_api

    return {
        "openapi/ingest-v1.json": ingest_api.get_openapi_schema(path_prefix="/i/v1"),
        "openapi.json": rest_api.get_openapi_schema(path_prefix="/api/v1"),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Print the OpenAPI documents of the public APIs, or --write them to docs/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="update docs/openapi*.json")
        parser.add_argument("--check", action="store_true", help="fail if they are out of date")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = []
        for name, document in documents().items():
            path = DOCS / name
            text = render(document)
            if options["write"]:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                self.stdout.write(f"wrote {path}")
            elif options["check"]:
                if not path.exists() or path.read_text() != text:
                    stale.append(name)
            else:
                self.stdout.write(text)
        if stale:
            raise CommandError(
                f"docs/{', '.join(stale)} is out of date: run `promoter openapi --write`"
                " and add an entry to docs/api-changelog.md"
            )
