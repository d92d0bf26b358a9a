"""What integrations say about a response: one JSON shape shared by webhooks, Zapier and the
API's hook samples, and the plain-text pieces the other transports format."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from promoter.integrations.transport import Message
from promoter.responses import triage
from promoter.responses.models import Response
from promoter.responses.serializers import answer_cell, answer_fields
from promoter.surveys.scales import category_for

KIND_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def response_url(response: Response) -> str:
    """Return the dashboard address of ``response``: its own page, which opens whatever its
    age (the Feedback stream shows only the newest). A sample response (a test message) is
    not stored and has no page: the Feedback stream stands in for it."""
    if response.pk is None:
        path = reverse("project-responses", args=[response.survey.project.slug])
        return settings.SITE_URL.rstrip("/") + path
    return triage.response_url(response=response)


def person_of(response: Response) -> dict[str, Any] | None:
    person = response.end_user
    if person is None:
        return None
    return {
        "id": person.external_id or None,
        "email": person.email or None,
        "name": person.display_name or None,
        "properties": person.properties or {},
    }


def response_data(message: Message) -> dict[str, Any]:
    """Return the response of ``message`` as integrations send it, built once per message
    (``Message.data``): a new outer dict each call, whose nested values are shared (read
    them, replace them, never change them in place)."""
    if message.data is None:
        message.data = _response_data(message)
    return dict(message.data)


def _response_data(message: Message) -> dict[str, Any]:
    response = message.response
    survey = response.survey
    return {
        "id": str(response.public_id),
        "survey": {"id": str(survey.public_id), "name": survey.name, "kind": survey.kind},
        "score": response.score,
        "category": str(category_for(survey.kind, response.score)),
        "comment": response.comment,
        "sentiment": response.sentiment,
        "locale": response.locale,
        "channel": response.channel,
        "url": response.origin_url,
        "properties": response.properties or {},
        "tags": [tag.name for tag in message.tags],
        "answers": [answer_fields(a) for a in message.answers],
        "person": person_of(response),
        "created_at": response.created_at.isoformat(),
        "updated_at": response.updated_at.isoformat(),
        "dashboard_url": response_url(response),
    }


def envelope(message: Message) -> dict[str, Any]:
    """Return the Standard Webhooks envelope: ``type``, ``timestamp`` and ``data``."""
    data: dict[str, Any] = {"response": response_data(message)}
    if message.tag is not None:
        data["tag"] = {"id": str(message.tag.public_id), "name": message.tag.name}
    return {"type": message.event, "timestamp": message.at.isoformat(), "data": data}


def flat(message: Message) -> dict[str, Any]:
    """Return one flat object per event, as Zapier shows fields (``GET`` samples match)."""
    data = response_data(message)
    person = data.pop("person") or {}
    flat_data: dict[str, Any] = {"event": message.event, **data}
    flat_data["person_id"] = person.get("id")
    flat_data["person_email"] = person.get("email")
    flat_data["survey_name"] = data["survey"]["name"]
    flat_data["survey_kind"] = data["survey"]["kind"]
    flat_data["survey"] = data["survey"]["id"]
    flat_data["tags"] = ", ".join(data["tags"])
    flat_data["tag"] = message.tag.name if message.tag is not None else None
    for answer in flat_data.pop("answers"):
        flat_data[f"answer_{answer['question']}"] = answer_cell(answer["value"])
    return flat_data


def answer_lines(message: Message) -> list[tuple[str, str]]:
    """Return each answer to an additional question as (question as read, answer as read)."""
    return [(answer.text, answer.said) for answer in message.answers]


def headline(message: Message) -> str:
    """Return a one-line summary: "NPS 3 (detractor) from jane@example.com"."""
    response = message.response
    kind = KIND_LABELS.get(response.survey.kind, response.survey.kind.upper())
    category = category_for(response.survey.kind, response.score)
    person = person_of(response) or {}
    who = person.get("email") or person.get("id") or "an anonymous person"
    prefix = "[Test] " if message.test else ""
    return f"{prefix}{kind} {response.score} ({category}) from {who}"
