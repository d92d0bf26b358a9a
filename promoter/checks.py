"""System checks for bad configuration, with stable ids (see docs/configuration.md).

Settings that cannot even be parsed fail earlier, in promoter/env.py, with the same ids.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register


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
def check_site_url(**kwargs: Any) -> list[Error | Warning]:
    host = urlsplit(settings.SITE_URL).hostname or ""
    problems: list[Error | Warning] = []
    allowed = settings.ALLOWED_HOSTS
    if "*" not in allowed and not any(
        host == h or (h.startswith(".") and host.endswith(h)) for h in allowed
    ):
        problems.append(
            Error(
                f"SITE_URL's host {host!r} is not in ALLOWED_HOSTS {allowed!r}.",
                hint="Add it to ALLOWED_HOSTS, or leave ALLOWED_HOSTS unset to derive it.",
                id="promoter.E006",
            )
        )
    if settings.DEBUG and host not in ("127.0.0.1", "localhost", "::1"):
        problems.append(
            Warning(
                "DEBUG is on while SITE_URL is not a local address.",
                hint="Turn DEBUG off on a server others can reach: it shows internals on errors.",
                id="promoter.W001",
            )
        )
    return problems


@register()
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
