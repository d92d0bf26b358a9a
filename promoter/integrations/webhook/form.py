"""The settings of a webhook destination: the URL, and the signing secret made for it.

A Zapier REST-hook subscription (through the API) is a webhook destination whose ``format``
is ``zapier``; one made on the dashboard sends the ``standard`` envelope.
"""

from __future__ import annotations

import base64
import secrets as random

from promoter.integrations.transport import Field, Settings, require_url

SECRET_PREFIX = "whsec_"  # noqa: S105  (the prefix of the spec, not a secret)

FIELDS = (Field("url", "URL", "Where to POST each event (https://…).", secret=True, required=True),)


def new_secret() -> str:
    """Return a new signing secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(24)).decode()


def validate(config: Settings, secrets: Settings) -> tuple[Settings, Settings]:
    """Check the URL; give a new destination its signing secret and format."""
    require_url(secrets["url"], "url", "The URL")
    if not secrets.get("signing_secret"):
        secrets["signing_secret"] = new_secret()
    config.setdefault("format", "standard")
    return config, secrets
