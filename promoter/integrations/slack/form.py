"""The settings of a Slack destination: the channel's incoming-webhook URL and the properties
each message shows."""

from __future__ import annotations

from promoter.integrations.transport import Field, Settings, require_url

FIELDS = (
    Field(
        "url",
        "Incoming-webhook URL",
        "From Slack: Apps > Incoming WebHooks > Add to a channel (https://hooks.slack.com/…).",
        secret=True,
        required=True,
    ),
    Field("channel", "Channel", "For your reference, e.g. #feedback."),
    Field(
        "properties",
        "Properties to show",
        "Comma-separated property names, e.g. plan, mrr_amount, account.",
    ),
)


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Check the hook's URL; keep up to 10 property names."""
    require_url(secrets["url"], "url", "The incoming-webhook URL")
    names = config.get("properties", "")
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    config["properties"] = names[:10]
    return config, secrets
