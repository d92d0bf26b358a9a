"""System checks for bad configuration, with stable ids (see docs/configuration.md).

Settings that cannot even be parsed fail earlier, in promoter/env.py, with the same ids.

Errors are regular checks: every command runs them and stops on one. The warnings about a
server's configuration (tag ``CONFIGURATION``) are registered as deployment checks, which
Django runs only when asked (``check --deploy``), so that `promoter migrate`, `report`,
`apikey` and the rest do not repeat them; `promoter check`, `serve` and `demo` run them with
:func:`configuration_warnings`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.checks.registry import registry

CONFIGURATION = "promoter_configuration"


@contextmanager
def configuration_warnings() -> Iterator[None]:
    """Run the configuration warnings with the regular checks inside this block.

    Django's own deployment checks stay out. Not for a run that includes the deployment checks
    (``check --deploy``): it has them already, and would show each one twice.
    """
    added = {
        check
        for check in registry.deployment_checks
        if CONFIGURATION in check.tags and check not in registry.registered_checks
    }
    registry.registered_checks |= added
    try:
        yield
    finally:
        registry.registered_checks -= added


@register()
def check_data_dir(**kwargs: Any) -> list[Error]:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return []
    directory = os.path.dirname(str(db["NAME"])) or "."
    if os.path.isdir(directory) and not os.access(directory, os.W_OK):
        return [
            Error(
                f"The SQLite database directory {directory} is not writable.",
                hint="Set PROMOTER_DATA_DIR (or DATABASE_URL) to a writable place.",
                id="promoter.E004",
            )
        ]
    return []


@register()
def check_site_url(**kwargs: Any) -> list[Error]:
    host = urlsplit(settings.SITE_URL).hostname or ""
    allowed = settings.ALLOWED_HOSTS
    if "*" not in allowed and not any(
        host == h or (h.startswith(".") and host.endswith(h)) for h in allowed
    ):
        return [
            Error(
                f"SITE_URL's host {host!r} is not in ALLOWED_HOSTS {allowed!r}.",
                hint="Add it to ALLOWED_HOSTS, or leave ALLOWED_HOSTS unset to derive it.",
                id="promoter.E006",
            )
        ]
    return []


@register(CONFIGURATION, deploy=True)
def check_debug(**kwargs: Any) -> list[Warning]:
    host = urlsplit(settings.SITE_URL).hostname or ""
    if settings.DEBUG and host not in ("127.0.0.1", "localhost", "::1"):
        return [
            Warning(
                "DEBUG is on while SITE_URL is not a local address.",
                hint="Turn DEBUG off on a server others can reach: it shows internals on errors.",
                id="promoter.W001",
            )
        ]
    return []


@register(CONFIGURATION, deploy=True)
def check_email(**kwargs: Any) -> list[Warning]:
    if settings.DEBUG or settings.DEMO_MODE:  # mail printed to the terminal is what they want
        return []
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "dummy.EmailBackend")):
        return [
            Warning(
                "EMAIL_URL is not set to a real mail server: invitations and password resets"
                " will not reach anyone.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@mail.example.com:587.",
                id="promoter.W002",
            )
        ]
    return []
