"""Intercom end to end, against a real HTTP server on 127.0.0.1 playing Intercom's API: the
calls as committed in ``intercom.json``, and a person Intercom does not know."""

from __future__ import annotations

import pytest

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.tests.receiver import Answer
from promoter.integrations.tests.sending import check_fixture, detractor, dynamic, normalized, send

pytestmark = pytest.mark.usefixtures("site_url")


def test_intercom_records_an_event_and_tags_the_contact(world, receiver):
    receiver.routes = {
        "/contacts/search": Answer(body={"type": "list", "data": [{"id": "ic-contact-7"}]}),
        "/events": Answer(status=202, body=b""),
        "/tags": Answer(body={"type": "tag", "id": "81", "name": "Promoter: detractor"}),
        "/contacts/ic-contact-7/tags": Answer(body={"type": "tag", "id": "81"}),
    }
    response = detractor(world.alpha)
    delivery = send(response, "intercom", {"token": "ic-secret-token", "api_url": receiver.url})
    requests = receiver.wait_for(4)
    assert [r.path for r in requests] == [
        "/contacts/search",
        "/events",
        "/tags",
        "/contacts/ic-contact-7/tags",
    ]
    assert all(r.headers["authorization"] == "Bearer ic-secret-token" for r in requests)
    assert all(r.headers["intercom-version"] == "2.11" for r in requests)
    bodies = {r.path: r.json() for r in requests}
    check_fixture("intercom", normalized(bodies, dynamic(response, delivery, receiver)))
    assert delivery.last_status_code == 200


def test_intercom_without_a_matching_contact_fails_that_delivery_only(world, receiver):
    receiver.routes = {"/contacts/search": Answer(body={"type": "list", "data": []})}
    response = detractor(world.alpha)
    destination = destination_create(
        project=world.alpha,
        kind="intercom",
        name="IC",
        data={"token": "t", "api_url": receiver.url},
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=response, event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    delivery = Delivery.objects.get()
    assert "no contact" in delivery.last_error
    destination.refresh_from_db()
    assert destination.failing_since is None  # the destination itself is fine
