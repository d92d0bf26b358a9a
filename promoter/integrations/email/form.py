"""The settings of an e-mail destination: the teammates it notifies, members of the project
only (never a mail relay)."""

from __future__ import annotations

from typing import Any

from django.core.validators import validate_email
from django.forms import ValidationError

from promoter.accounts.models import Membership, Project
from promoter.core.errors import ApplicationError
from promoter.integrations.transport import Field, Settings

MAX_RECIPIENTS = 20

FIELDS = (
    Field(
        "recipients",
        "Teammates",
        "Comma-separated e-mail addresses of members of this project.",
        required=True,
    ),
)


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Keep 1 to 20 distinct e-mail addresses, lowercased."""
    recipients = config.get("recipients", "")
    if isinstance(recipients, str):
        recipients = [r.strip() for r in recipients.replace(";", ",").split(",") if r.strip()]
    cleaned: list[str] = []
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            raise ApplicationError(
                code="invalid",
                detail=f"{address!r} is not an e-mail address.",
                fields={"recipients": "not an e-mail address"},
            ) from None
        if address.lower() not in cleaned:
            cleaned.append(address.lower())
    if not cleaned or len(cleaned) > MAX_RECIPIENTS:
        raise ApplicationError(
            code="invalid",
            detail=f"Name between 1 and {MAX_RECIPIENTS} teammates.",
            fields={"recipients": "required"},
        )
    config["recipients"] = cleaned
    return config, secrets


def check_recipients(project: Project, config: dict[str, Any]) -> None:
    """Raise ApplicationError unless every recipient is a member of ``project``."""
    members = {
        email.lower()
        for email in Membership.objects.filter(project=project).values_list(
            "user__email", flat=True
        )
    }
    strangers = [r for r in config.get("recipients", []) if r not in members]
    if strangers:
        raise ApplicationError(
            code="invalid",
            detail=f"{strangers[0]} is not a member of this project: invite them first.",
            fields={"recipients": "not a member"},
        )
