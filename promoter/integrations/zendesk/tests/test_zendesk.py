"""Zendesk end to end, against a real HTTP server on 127.0.0.1 playing Zendesk's API: the
ticket as committed in ``zendesk.json``, idempotent, and never without the person's e-mail."""

from __future__ import annotations

import base64

import pytest

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.tests.receiver import Answer
from promoter.integrations.tests.sending import check_fixture, detractor, dynamic, normalized, send
from promoter.people.models import EndUser
from promoter.responses.models import Response

pytestmark = pytest.mark.usefixtures("site_url")


def test_zendesk_ticket_matches_its_fixture_and_is_idempotent(world, receiver):
    receiver.script = [Answer(status=201, body={"ticket": {"id": 35436}})]
    response = detractor(world.alpha)
    delivery = send(
        response,
        "zendesk",
        {"url": receiver.url, "email": "agent@example.com", "token": "zd-token", "tags": "nps"},
    )
    request = receiver.wait_for(1)[0]
    assert request.path == "/api/v2/tickets.json"
    assert request.headers["idempotency-key"] == str(delivery.public_id)
    login = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
    assert login == "agent@example.com/token:zd-token"
    check_fixture("zendesk", normalized(request.json(), dynamic(response, delivery, receiver)))
    assert delivery.last_status_code == 201


def test_zendesk_needs_the_persons_email(world, receiver):
    response = detractor(world.alpha)
    EndUser.objects.filter(pk=response.end_user_id).update(email=None)
    destination = destination_create(
        project=world.alpha,
        kind="zendesk",
        name="ZD",
        data={"url": receiver.url, "email": "agent@example.com", "token": "x"},
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=Response.objects.get(pk=response.pk), event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    assert receiver.requests == []
    assert "e-mail" in Delivery.objects.get().last_error
