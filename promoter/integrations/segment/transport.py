"""Segment: a ``track`` call "Survey Responded" to Segment's HTTP tracking API.

Authenticated with the source's write key (HTTP Basic, key as user name); the delivery's
id is the ``messageId``, which Segment uses to drop duplicates. The person's external id is
the ``userId``; anonymous responses use the response id as ``anonymousId``.
"""

from __future__ import annotations

import base64
from typing import Any

from promoter.core.http import HttpError, post_json
from promoter.integrations import payload
from promoter.integrations.segment import form
from promoter.integrations.transport import Message, Transport, TransportError, judge, no_reply

EVENT = "Survey Responded"


class SegmentTransport(Transport):
    kind = "segment"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def track(self, message: Message) -> dict[str, Any]:
        data = payload.response_data(message)
        person = data.pop("person") or {}
        properties = {
            "response_id": data["id"],
            "survey_id": data["survey"]["id"],
            "survey_name": data["survey"]["name"],
            "survey_kind": data["survey"]["kind"],
            "score": data["score"],
            "category": data["category"],
            "comment": data["comment"],
            "sentiment": data["sentiment"],
            "channel": data["channel"],
            "locale": data["locale"],
            "tags": data["tags"],
            "answers": {a["question"]: a["value"] for a in data["answers"]},
            "event": message.event,
            "dashboard_url": data["dashboard_url"],
        }
        body: dict[str, Any] = {
            "event": EVENT,
            "properties": properties,
            "timestamp": message.response.created_at.isoformat(),
            "messageId": message.id,
            "context": {"library": {"name": "promoter", "version": "1"}},
        }
        if person.get("id"):
            body["userId"] = person["id"]
        else:
            body["anonymousId"] = data["id"]
        if person.get("email"):
            body["context"]["traits"] = {"email": person["email"]}
        return body

    def content(self, message: Message) -> Any:
        return self.track(message)

    def notify(self, message: Message) -> int | None:
        key = base64.b64encode(f"{self.secrets['write_key']}:".encode()).decode()
        try:
            reply = post_json(
                self.config["api_url"] + "/track",
                self.track(message),
                headers={"Authorization": f"Basic {key}"},
            )
        except HttpError as exc:
            raise no_reply(exc) from None
        if reply.status in (400, 401, 403, 404):
            raise TransportError(
                f"Segment refused the call (HTTP {reply.status}: {reply.text(100)})",
                permanent=True,
                status_code=reply.status,
            )
        return judge(reply, service="Segment")
