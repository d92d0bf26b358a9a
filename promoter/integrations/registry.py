"""The one list of kinds: each kind's transport, from its package ``<kind>/`` (its
``transport.py``, with the form it cleans settings with, its templates and its tests)."""

from __future__ import annotations

from django.conf import settings

from promoter.integrations.email.transport import EmailTransport
from promoter.integrations.intercom.transport import IntercomTransport
from promoter.integrations.models import Destination
from promoter.integrations.segment.transport import SegmentTransport
from promoter.integrations.slack.transport import SlackTransport
from promoter.integrations.transport import Transport
from promoter.integrations.webhook.transport import WebhookTransport
from promoter.integrations.zendesk.transport import ZendeskTransport

TRANSPORTS: dict[str, type[Transport]] = {
    cls.kind: cls
    for cls in (
        SlackTransport,
        WebhookTransport,
        EmailTransport,
        IntercomTransport,
        ZendeskTransport,
        SegmentTransport,
    )
}


def enabled_kinds() -> list[str]:
    """Return the kinds the operator has not turned off (``<KIND>_ENABLED=false``)."""
    return [kind for kind in TRANSPORTS if settings.INTEGRATIONS_ENABLED.get(kind, True)]


def transport_for(destination: Destination) -> Transport:
    return TRANSPORTS[destination.kind](config=destination.config, secrets=destination.secrets)
