"""Each transport, end to end, against a real HTTP server (or SMTP server) on 127.0.0.1: the
bodies match the committed fixtures in ``fixtures/``, with the ids, times and ports that
change from run to run replaced by placeholders.

Set ``UPDATE_FIXTURES=1`` to rewrite the fixtures after a deliberate change of a payload
(and review the diff).
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from promoter.integrations import services
from promoter.integrations.models import Delivery, DeliveryStatus, Event
from promoter.integrations.tests.receiver import Answer, Receiver
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create

FIXTURES = Path(__file__).parent / "fixtures"
RESPONSE_ID = uuid.UUID("00000000-0000-4000-8000-000000000042")
CREATED = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://promoter.example.com"


def detractor(project: Any, *, comment: str | None = None) -> Response:
    now = timezone.now()
    person = EndUser.objects.create(
        project=project,
        external_id="u-42",
        email="jane@example.com",
        properties={"plan": "pro", "name": "Jane Doe", "mrr_amount": 120},
        first_seen_at=now,
        last_seen_at=now,
    )
    response, _ = response_create(
        public_id=RESPONSE_ID,
        survey=project.surveys.get(kind="nps"),
        end_user=person,
        score=3,
        comment=(
            comment
            if comment is not None
            else "The export <!channel> keeps timing out & the *support* never answers."
        ),
        locale="en",
        origin_url="https://app.example.com/reports",
        sentiment=-0.62,
        now=CREATED,
    )
    response_tag_add(response=response, tag=tag_get_or_create(project=project, name="Export"))
    return response


def normalized(value: Any, replacements: dict[str, str]) -> Any:
    """Return ``value`` with each replacement applied to its strings, recursively."""
    if isinstance(value, dict):
        return {k: normalized(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v, replacements) for v in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
    return value


def check_fixture(name: str, actual: Any) -> None:
    path = FIXTURES / f"{name}.json"
    if os.environ.get("UPDATE_FIXTURES") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert actual == expected, f"{name}: the payload differs from fixtures/{name}.json"


def dynamic(response: Response, delivery: Delivery, receiver: Receiver) -> dict[str, str]:
    return {
        str(delivery.public_id): "<delivery-id>",
        str(response.survey.public_id): "<survey-id>",
        receiver.url: "<receiver>",
    }


def send(response: Response, kind: str, data: dict[str, Any], **rule: Any) -> Delivery:
    destination = services.destination_create(
        project=response.survey.project, kind=kind, name=f"Test {kind}", data=data
    )
    services.rule_create(destination=destination, events=[Event.CREATED], **rule)
    deliveries = services.response_event(response=response, event=Event.CREATED)
    assert len(deliveries) == 1
    outcome = services.deliveries_process(worker="test")
    assert outcome.delivered == 1, Delivery.objects.get(pk=deliveries[0].pk).last_error
    return Delivery.objects.get(pk=deliveries[0].pk)


def test_webhook_is_signed_per_standard_webhooks_and_matches_its_fixture(world, receiver):
    response = detractor(world.alpha)
    delivery = send(response, "webhook", {"url": receiver.url + "/hooks/promoter"})
    request = receiver.wait_for(1)[0]
    assert request.path == "/hooks/promoter"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == f"msg_{delivery.public_id}"
    secret = delivery.destination.secrets["signing_secret"]
    assert secret.startswith("whsec_")
    # The specification's own library accepts the signature ...
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified["data"]["response"]["id"] == str(RESPONSE_ID)
    # ... and refuses a tampered body.
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhook(secret).verify(request.body.replace(b'"score":3', b'"score":9'), request.headers)
    body = request.json()
    body["timestamp"] = "<timestamp>"
    check_fixture("webhook", normalized(body, dynamic(response, delivery, receiver)))
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    assert delivery.attempt_log.count() == 1


def test_slack_message_matches_its_fixture_with_text_escaped(world, receiver):
    response = detractor(world.alpha)
    url = receiver.url + "/services/T000/B000/XXXX"
    delivery = send(
        response,
        "slack",
        {"url": url, "channel": "#feedback", "properties": "plan, mrr_amount, missing"},
    )
    request = receiver.wait_for(1)[0]
    assert request.path == "/services/T000/B000/XXXX"
    body = request.json()
    text = json.dumps(body)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text  # no @channel ping
    assert body["attachments"][0]["color"] == "#b91c1c"
    check_fixture("slack", normalized(body, dynamic(response, delivery, receiver)))
    assert delivery.destination.config["properties"] == ["plan", "mrr_amount", "missing"]


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
    destination = services.destination_create(
        project=world.alpha,
        kind="intercom",
        name="IC",
        data={"token": "t", "api_url": receiver.url},
    )
    services.rule_create(destination=destination, events=[Event.CREATED])
    services.response_event(response=response, event=Event.CREATED)
    assert services.deliveries_process(worker="test").failed == 1
    delivery = Delivery.objects.get()
    assert "no contact" in delivery.last_error
    destination.refresh_from_db()
    assert destination.failing_since is None  # the destination itself is fine


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
    destination = services.destination_create(
        project=world.alpha,
        kind="zendesk",
        name="ZD",
        data={"url": receiver.url, "email": "agent@example.com", "token": "x"},
    )
    services.rule_create(destination=destination, events=[Event.CREATED])
    services.response_event(response=Response.objects.get(pk=response.pk), event=Event.CREATED)
    assert services.deliveries_process(worker="test").failed == 1
    assert receiver.requests == []
    assert "e-mail" in Delivery.objects.get().last_error


def test_segment_track_call_matches_its_fixture(world, receiver):
    response = detractor(world.alpha)
    delivery = send(response, "segment", {"write_key": "seg-write-key", "api_url": receiver.url})
    request = receiver.wait_for(1)[0]
    assert request.path == "/track"
    assert base64.b64decode(request.headers["authorization"].removeprefix("Basic ")) == (
        b"seg-write-key:"
    )
    body = request.json()
    assert body["messageId"] == str(delivery.public_id)
    assert body["userId"] == "u-42" and body["event"] == "Survey Responded"
    check_fixture("segment", normalized(body, dynamic(response, delivery, receiver)))


def test_email_notifies_teammates_through_a_real_smtp_server(world, smtp):
    response = detractor(world.alpha, comment="<script>alert(1)</script> & too slow")
    services.destination_create(
        project=world.alpha,
        kind="email",
        name="Support team",
        data={"recipients": "admin@example.com, member@example.com"},
    )
    destination = world.alpha.destinations.get()
    services.rule_create(destination=destination, events=[Event.CREATED])
    services.response_event(response=response, event=Event.CREATED)
    assert services.deliveries_process(worker="test").delivered == 1
    mail = smtp.wait_for(1)[0]
    assert sorted(mail["rcpt"]) == ["admin@example.com", "member@example.com"]
    assert mail["message"]["Subject"] == "NPS 3 (detractor) from jane@example.com"
    html = next(
        part.get_content()
        for part in mail["message"].walk()
        if part.get_content_type() == "text/html"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; too slow" in html
    assert "<script>" not in html
    text = mail["message"].get_body(preferencelist=("plain",)).get_content()
    assert "<script>alert(1)</script> & too slow" in text  # plain text is not HTML


def test_email_recipients_must_be_members(world):
    from promoter.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.destination_create(
            project=world.alpha,
            kind="email",
            name="Spam",
            data={"recipients": "stranger@example.org"},
        )
    assert refused.value.fields == {"recipients": "not a member"}


def test_a_test_message_uses_a_sample_response(world, receiver):
    destination = services.destination_create(
        project=world.alpha, kind="slack", name="S", data={"url": receiver.url + "/s"}
    )
    services.delivery_test_create(destination=destination)
    assert services.deliveries_process(worker="test").delivered == 1
    body = receiver.wait_for(1)[0].json()
    assert body["text"].startswith("[Test] NPS 3 (detractor)")
