"""Intercom: record a data event on the person's contact and tag the contact with the category.

Three calls of Intercom's REST API (version 2.11): find the contact by external id (else by
e-mail), ``POST /events`` (event ``promoter-survey-response`` with score, category, comment
and survey as metadata), then ``POST /tags`` (find or create "Promoter: detractor"…) and
``POST /contacts/{id}/tags``. A person Intercom does not know fails that one delivery, not
the destination.
"""

from __future__ import annotations

from typing import Any

from promoter.core.http import HttpError, HttpReply, post_json
from promoter.integrations import payload
from promoter.integrations.intercom import form
from promoter.integrations.transport import Message, Transport, TransportError, judge, no_reply
from promoter.surveys.scales import category_for

API_VERSION = "2.11"
EVENT_NAME = "promoter-survey-response"
METADATA_TEXT_LIMIT = 255


class IntercomTransport(Transport):
    kind = "intercom"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def _post(self, path: str, body: dict[str, Any]) -> HttpReply:
        headers = {
            "Authorization": f"Bearer {self.secrets['token']}",
            "Accept": "application/json",
            "Intercom-Version": API_VERSION,
        }
        try:
            reply = post_json(self.config["api_url"] + path, body, headers=headers)
        except HttpError as exc:
            raise no_reply(exc) from None
        if reply.status == 401:
            raise TransportError(
                "Intercom refused the access token (HTTP 401)", permanent=True, status_code=401
            )
        judge(reply, service="Intercom")
        return reply

    def _contact_id(self, person: dict[str, Any]) -> str:
        for field_name in ("external_id", "email"):
            value = person.get("id" if field_name == "external_id" else "email")
            if not value:
                continue
            query = {"query": {"field": field_name, "operator": "=", "value": value}}
            found = self._post("/contacts/search", query).json().get("data") or []
            if found:
                return str(found[0]["id"])
        raise TransportError(
            "Intercom has no contact with this person's id or e-mail",
            permanent=True,
            blame_destination=False,
        )

    def event(self, message: Message) -> dict[str, Any]:
        """Return the data event, without the contact's id (which Intercom looks up)."""
        response = message.response
        person = payload.person_of(response) or {}
        event: dict[str, Any] = {
            "event_name": EVENT_NAME,
            "created_at": int(response.created_at.timestamp()),
            "metadata": {
                "score": response.score,
                "category": str(category_for(response.survey.kind, response.score)),
                "survey": response.survey.name[:METADATA_TEXT_LIMIT],
                "comment": response.comment[:METADATA_TEXT_LIMIT],
                "response_url": payload.response_url(response),
            },
        }
        if person.get("id"):
            event["user_id"] = person["id"]
        elif person.get("email"):
            event["email"] = person["email"]
        return event

    def tag_name(self, message: Message) -> str:
        response = message.response
        return f"{self.config['tag_prefix']} {category_for(response.survey.kind, response.score)}"

    def content(self, message: Message) -> Any:
        return {"event": self.event(message), "tag": self.tag_name(message)}

    def notify(self, message: Message) -> int | None:
        person = payload.person_of(message.response) or {}
        if not person.get("id") and not person.get("email"):
            raise TransportError(
                "an anonymous response cannot be matched to an Intercom contact",
                permanent=True,
                blame_destination=False,
            )
        contact_id = self._contact_id(person)
        self._post("/events", {**self.event(message), "intercom_user_id": contact_id})
        tag = self._post("/tags", {"name": self.tag_name(message)}).json()
        reply = self._post(f"/contacts/{contact_id}/tags", {"id": str(tag["id"])})
        return reply.status
