"""The settings of a Segment destination: an HTTP API source's write key and the region (or
tracking API address)."""

from __future__ import annotations

from promoter.integrations.transport import Field, Settings, api_url, api_url_field

REGIONS = {
    "us": "https://api.segment.io/v1",
    "eu": "https://events.eu1.segmentapis.com/v1",
}

FIELDS = (
    Field(
        "write_key",
        "Write key",
        "The write key of an HTTP API source in Segment.",
        secret=True,
        required=True,
    ),
    api_url_field(REGIONS, api="the tracking API"),
)


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Turn a region into its API address and check it."""
    config["api_url"] = api_url(config.get("api_url"), REGIONS)
    return config, secrets
