"""Slack incoming webhooks: one Block Kit message per response, in the category's colour.

The channel is the one the hook was made for (Slack no longer lets a message choose it), so
routing to several channels means one destination per channel hook. Text from people is
escaped for Slack (``&``, ``<``, ``>``) so a comment can never ping @channel or fake a link.
"""

from __future__ import annotations

from typing import Any

from promoter.core.http import HttpError, post_json
from promoter.integrations import payload
from promoter.integrations.slack import form
from promoter.integrations.transport import Message, Transport, TransportError, judge, no_reply
from promoter.surveys.scales import category_for

COLORS = {"promoter": "#15803d", "passive": "#a16207", "detractor": "#b91c1c"}
COMMENT_LIMIT = 2500  # a section's text holds 3000 characters


def escape(text: str) -> str:
    """Escape text for Slack's mrkdwn (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    return "\n".join("&gt; " + line for line in escape(text).splitlines() or [""])


class SlackTransport(Transport):
    kind = "slack"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def message(self, message: Message) -> dict[str, Any]:
        """Return the JSON body Slack receives."""
        response = message.response
        category = str(category_for(response.survey.kind, response.score))
        data = payload.response_data(message)
        person = data["person"] or {}
        who = person.get("email") or person.get("id") or "Anonymous"
        title = escape(payload.headline(message))
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
        ]
        if response.comment:
            comment = response.comment
            if len(comment) > COMMENT_LIMIT:
                comment = comment[:COMMENT_LIMIT] + "…"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quote(comment)}})
        facts = [f"*Person:* {escape(str(who))}", f"*Survey:* {escape(response.survey.name)}"]
        for name in self.config.get("properties", []):
            value = (response.properties or {}).get(name)
            if value is not None:
                facts.append(f"*{escape(name)}:* {escape(str(value))}")
        if message.tags:
            facts.append("*Tags:* " + escape(", ".join(t.name for t in message.tags)))
        for question, said in payload.answer_lines(message):
            facts.append(f"*{escape(question)}* {escape(said)}")
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f} for f in facts]}
        )
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Promoter"},
                        "url": data["dashboard_url"],
                    }
                ],
            }
        )
        return {
            "text": escape(payload.headline(message)),
            "attachments": [{"color": COLORS[category], "blocks": blocks}],
        }

    def content(self, message: Message) -> Any:
        return self.message(message)

    def notify(self, message: Message) -> int | None:
        try:
            reply = post_json(self.secrets["url"], self.message(message))
        except HttpError as exc:
            raise no_reply(exc) from None
        if reply.status in (403, 404, 410):
            # invalid_token, no_service, channel_not_found, channel_is_archived…
            raise TransportError(
                f"Slack refused the hook (HTTP {reply.status}: {reply.text(100)}):"
                " make a new incoming webhook and paste its URL",
                permanent=True,
                status_code=reply.status,
            )
        return judge(reply, service="Slack")
