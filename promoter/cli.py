"""The ``promoter`` command: Promoter's own commands plus every django-admin command.

Configuration errors end with one readable line and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
from collections.abc import Mapping

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


def demo_environment(args: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """Return the variables ``promoter demo ARGS`` adds to ``environ`` before settings load.

    The demo runs like production (DEBUG stays off unless set: errors show the plain error
    page and their traceback goes to the terminal), with ``PROMOTER_DEMO`` on, which also lets
    settings keep a generated secret key in the data directory. ``SITE_URL``, the address in
    e-mailed links, is where the demo listens, unless the environment sets it.
    """
    added = {"PROMOTER_DEMO": "true"}
    if "SITE_URL" not in environ:
        # Only --host and --port matter here; the demo command parses and checks them all.
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        known, _ = parser.parse_known_args(args)
        host, port = str(known.host), str(known.port)
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is not None and ip.is_unspecified:  # every interface: this machine's loopback
            host = "127.0.0.1"
        elif ip is not None and ip.version == 6:
            host = f"[{host}]"
        elif ip is None and not re.fullmatch(r"[\w.-]+", host):  # the command will refuse it
            host = "127.0.0.1"
        if port.isdigit() and 0 < int(port) < 65536:  # else the command says what is wrong
            added["SITE_URL"] = f"http://{host}:{int(port)}"
    return {name: value for name, value in added.items() if name not in environ}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "promoter"
    command = argv[1] if len(argv) > 1 else ""
    if command in ("", "-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "promoter.settings")
    if command == "demo":
        os.environ.update(demo_environment(argv[2:], os.environ))

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
