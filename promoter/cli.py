"""The ``promoter`` command: Promoter's own commands plus every django-admin command.

Configuration errors end with one readable line and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: promoter COMMAND [options]

Promoter's commands:
  demo        migrate the embedded database, load demo data, serve on http://127.0.0.1:8000
  serve       serve for production (granian; --host, --port, --workers, --migrate)
  worker      run a background task worker
  migrate     create or upgrade the database tables
  createuser  create a dashboard user (the first one also gets a project)
  seed        add synthetic responses to a project (--responses N --project SLUG)
  report      print a survey's score with its interval, overall and by a property
  autotag     back-fill an auto-tag rule over history (--project SLUG --rule ID)
  rollups     rebuild the dashboard's daily rollups from the responses (--rebuild)
  openapi     print the public APIs' OpenAPI documents (--write: update docs/openapi/)
  check       validate the configuration

Every django-admin command works too (`promoter help --commands` lists them).
Configuration comes from environment variables: see docs/configuration.md.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "promoter"
    command = argv[1] if len(argv) > 1 else ""
    if command in ("", "-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    if command == "demo":
        # The demo is a local, single-user run: debug mode, with a generated secret key.
        os.environ.setdefault("DEBUG", "true")
        os.environ.setdefault("PROMOTER_DEMO", "true")

    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        django.setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"promoter: configuration error: {exc}\n")
        return 2
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "check DATABASE_URL and that the server runs"
        sys.stderr.write(f"promoter: database error ({hint}): {first_line}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
