"""The settings of an Intercom destination: an access token, the region (or API address) and
the prefix of the tags contacts get."""

from __future__ import annotations

from promoter.integrations.transport import Field, Settings, api_url, api_url_field

REGIONS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

FIELDS = (
    Field(
        "token",
        "Access token",
        "An Intercom access token with write access to contacts, events and tags.",
        secret=True,
        required=True,
    ),
    api_url_field(REGIONS, api="Intercom's API"),
    Field(
        "tag_prefix",
        "Tag prefix",
        'Contacts get the tag "<prefix> promoter/passive/detractor" (default: Promoter:).',
    ),
)


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Turn a region into its API address and check it; default the tag prefix."""
    config["api_url"] = api_url(config.get("api_url"), REGIONS)
    config["tag_prefix"] = (config.get("tag_prefix") or "Promoter:").strip()[:40]
    return config, secrets
