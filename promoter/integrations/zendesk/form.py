"""The settings of a Zendesk destination: the account's address, an agent's e-mail and API
token, and the tags each ticket gets."""

from __future__ import annotations

from promoter.core.errors import ApplicationError
from promoter.integrations.transport import Field, Settings, require_url

FIELDS = (
    Field(
        "url",
        "Zendesk address",
        "Your Zendesk, e.g. https://acme.zendesk.com (or just acme).",
        required=True,
    ),
    Field("email", "Agent e-mail", "The agent the API token belongs to.", required=True),
    Field(
        "token",
        "API token",
        "Admin Center > Apps and integrations > Zendesk API.",
        secret=True,
        required=True,
    ),
    Field("tags", "Ticket tags", "Comma-separated tags added to each ticket."),
)


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Turn a subdomain into the account's address and check it, the agent's e-mail and the
    tags (up to 10, spaces made underscores)."""
    url = config["url"].strip().rstrip("/")
    if "://" not in url and "." not in url:
        url = f"https://{url}.zendesk.com"
    config["url"] = require_url(url, "url", "The Zendesk address")
    if "@" not in config["email"]:
        raise ApplicationError(
            code="invalid",
            detail="The agent e-mail must be an e-mail address.",
            fields={"email": "not an e-mail"},
        )
    tags = config.get("tags", "")
    if isinstance(tags, str):
        tags = [t.strip().replace(" ", "_") for t in tags.split(",") if t.strip()]
    config["tags"] = tags[:10]
    return config, secrets
