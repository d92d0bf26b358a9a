"""Zendesk: open a ticket for a response, from the person (the requester's e-mail).

``POST /api/v2/tickets.json`` with API-token authentication (``email/token``), the
delivery's id as ``Idempotency-Key`` (a retry never opens a second ticket) and the response's
id as the ticket's ``external_id``. Typical rule: detractors with a comment.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

from promoter.core.http import HttpError, post_json
from promoter.integrations import payload
from promoter.integrations.transport import Message, Transport, TransportError, judge, no_reply
from promoter.integrations.zendesk import form
from promoter.surveys.scales import category_for

SUBJECT_COMMENT_CHARS = 60


class ZendeskTransport(Transport):
    kind = "zendesk"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def ticket(self, message: Message) -> dict[str, Any]:
        response = message.response
        person = payload.person_of(response) or {}
        category = str(category_for(response.survey.kind, response.score))
        comment = response.comment.strip()
        subject = payload.headline(message)
        if comment:
            short = comment if len(comment) <= SUBJECT_COMMENT_CHARS else comment[:59] + "…"
            subject += f": “{short}”"
        lines = [
            payload.headline(message),
            "",
            comment or "(no comment)",
            "",
            *(f"{question} {said}" for question, said in payload.answer_lines(message)),
            f"Survey: {response.survey.name}",
        ]
        lines += [f"{k}: {v}" for k, v in sorted((response.properties or {}).items())]
        lines += ["", f"Open in Promoter: {payload.response_url(response)}"]
        # Without an e-mail there is no requester, and notify refuses to open the ticket; the
        # ticket is still what the message says (its digest, the delivery log's preview).
        requester: dict[str, Any] = {"email": person.get("email")}
        if person.get("name"):
            requester["name"] = str(person["name"])[:100]
        return {
            "ticket": {
                "subject": subject[:150],
                "comment": {"body": "\n".join(lines), "public": False},
                "requester": requester,
                "external_id": str(response.public_id),
                "tags": ["promoter", f"promoter_{category}", *self.config.get("tags", [])],
            }
        }

    def content(self, message: Message) -> Any:
        return self.ticket(message)

    def notify(self, message: Message) -> int | None:
        person = payload.person_of(message.response) or {}
        if not person.get("email"):
            raise TransportError(
                "a Zendesk ticket needs the person's e-mail, and this response has none",
                permanent=True,
                blame_destination=False,
            )
        login = f"{self.config['email']}/token:{self.secrets['token']}"
        headers = {
            "Authorization": "Basic " + base64.b64encode(login.encode()).decode(),
            "Idempotency-Key": message.id,
        }
        url = self.config["url"] + "/api/v2/tickets.json"
        try:
            reply = post_json(url, self.ticket(message), headers=headers)
        except HttpError as exc:
            raise no_reply(exc) from None
        if reply.status in (401, 403):
            host = urlsplit(url).hostname
            raise TransportError(
                f"{host} refused the agent e-mail and API token (HTTP {reply.status})",
                permanent=True,
                status_code=reply.status,
            )
        return judge(reply, service="Zendesk")
