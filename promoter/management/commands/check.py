"""``promoter check``: Django's system checks with Promoter's configuration warnings."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import check

from promoter.checks import configuration_warnings


class Command(check.Command):
    help = (
        "Validate the configuration: every system check, Promoter's configuration warnings"
        " included (--deploy adds Django's deployment checks)."
    )

    def handle(self, *app_labels: Any, **options: Any) -> None:
        if options["deploy"]:  # the configuration warnings are deployment checks
            super().handle(*app_labels, **options)
            return
        with configuration_warnings():
            super().handle(*app_labels, **options)
