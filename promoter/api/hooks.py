"""REST hooks (Zapier's protocol): subscribe a URL to an event, unsubscribe it, and a sample
of what it receives. A subscription is a webhook destination in the flat (Zapier) format with
one rule, so it is delivered, retried and logged like any integration; a target that answers
410 Gone is unsubscribed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from promoter import access
from promoter.accounts.models import ApiKey
from promoter.api import schemas as s
from promoter.api.people import ERRORS
from promoter.core.errors import ApplicationError
from promoter.integrations import payload
from promoter.integrations.destinations import destination_create, destination_delete, rule_create
from promoter.integrations.models import Destination, Kind
from promoter.integrations.outbox import sample_response
from promoter.integrations.selectors import hooks_for_project
from promoter.integrations.transport import Message
from promoter.responses.models import Tag
from promoter.responses.selectors import latest_response, tags_of_response

router = Router(tags=["hooks"])


def _key(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _out(destination: Destination) -> dict[str, Any]:
    # all(), not first(): first() re-queries and would bypass the list's prefetch (N+1).
    rule = next(iter(destination.rules.all()), None)
    return {
        "id": destination.public_id,
        "target_url": destination.secrets.get("url", ""),
        "event": rule.events[0] if rule is not None and rule.events else "",
        "created_at": destination.created_at,
    }


def hook_subscribe(*, api_key: ApiKey, target_url: str, event: str, filters: Any) -> Destination:
    """Subscribe ``target_url`` to ``event`` (with optional filters), all or nothing."""
    with transaction.atomic():
        try:
            destination = destination_create(
                project=api_key.project,
                kind=Kind.WEBHOOK,
                name=f"Zapier: {event}",
                data={"url": target_url},
                via_api=True,
            )
        except ApplicationError as exc:  # name the field as this API calls it
            exc.fields = {("target_url" if k == "url" else k): v for k, v in exc.fields.items()}
            raise
        destination.config = {**destination.config, "format": "zapier"}
        destination.save(update_fields=["config"])
        rule_create(
            destination=destination,
            events=[event],
            categories=filters.categories if filters else [],
            has_comment=filters.has_comment if filters else None,
            survey_kind=filters.survey_kind if filters else "",
        )
    return destination


@router.post("/hooks", response={201: s.HookOut, **ERRORS}, summary="Subscribe a URL to an event")
def subscribe(request: HttpRequest, payload_in: s.HookIn) -> Status[dict[str, Any]]:
    destination = hook_subscribe(
        api_key=_key(request),
        target_url=payload_in.target_url,
        event=payload_in.event,
        filters=payload_in.filters,
    )
    return Status(201, _out(destination))


@router.get("/hooks", response={200: list[s.HookOut], **ERRORS}, summary="List the subscriptions")
def hooks(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(d) for d in hooks_for_project(project=_key(request).project)]


@router.get(
    "/hooks/sample",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="A sample of what a subscription receives",
)
def sample(request: HttpRequest, event: s.HookEvent = "response.created") -> list[dict[str, Any]]:
    project = _key(request).project
    latest = latest_response(project=project)
    if latest is None:
        response, tags = sample_response(project), []
    else:
        response, tags = latest, tags_of_response(response=latest)
    # A tagged event names the tag just added: the response's first, or an example.
    tag = (tags[0] if tags else Tag(name="Pricing")) if event == "response.tagged" else None
    message = Message(
        id="sample", event=event, response=response, tags=tags, tag=tag, test=latest is None
    )
    return [payload.flat(message)]


@router.delete("/hooks/{hook_id}", response={204: None, **ERRORS}, summary="Unsubscribe")
def unsubscribe(request: HttpRequest, hook_id: str) -> Status[None]:
    destination = access.hook_get_in_project(project=_key(request).project, public_id=hook_id)
    destination_delete(destination=destination)
    return Status(204, None)
