"""Webhooks signed per the Standard Webhooks specification (https://www.standardwebhooks.com).

Each POST carries ``webhook-id`` (the delivery's id: the same on every retry, so receivers
drop duplicates), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``:
``v1,`` + base64 of HMAC-SHA256 over ``id.timestamp.body`` keyed with the destination's
``whsec_`` secret. Zapier REST-hook subscriptions use this transport with the flat format.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from promoter.core.http import HttpError, request
from promoter.integrations import payload
from promoter.integrations.transport import Message, Transport, TransportError, judge, no_reply
from promoter.integrations.webhook import form
from promoter.integrations.webhook.form import SECRET_PREFIX


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``webhook-signature`` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookTransport(Transport):
    kind = "webhook"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def body(self, message: Message) -> dict[str, Any]:
        if self.config.get("format") == "zapier":
            return payload.flat(message)
        return payload.envelope(message)

    def content(self, message: Message) -> Any:
        return self.body(message)

    def notify(self, message: Message) -> int | None:
        body = json.dumps(self.body(message), separators=(",", ":"), ensure_ascii=False).encode()
        msg_id = f"msg_{message.id}"
        timestamp = int(message.at.timestamp())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret=self.secrets["signing_secret"],
                msg_id=msg_id,
                timestamp=timestamp,
                body=body,
            ),
        }
        try:
            reply = request("POST", self.secrets["url"], body=body, headers=headers)
        except HttpError as exc:
            raise no_reply(exc) from None
        if reply.status == 410 and self.config.get("format") == "zapier":
            # Zapier's REST-hook protocol: 410 Gone means "unsubscribe me".
            raise TransportError(
                "the subscriber is gone (HTTP 410): unsubscribed", permanent=True, status_code=410
            )
        return judge(reply, service="The webhook")
