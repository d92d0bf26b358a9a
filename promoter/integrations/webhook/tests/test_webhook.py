"""Webhooks end to end, against a real HTTP server on 127.0.0.1: signed per Standard
Webhooks, the body as committed in ``webhook.json``."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from promoter.integrations.models import DeliveryStatus
from promoter.integrations.tests.sending import (
    RESPONSE_ID,
    check_fixture,
    detractor,
    dynamic,
    normalized,
    send,
)

pytestmark = pytest.mark.usefixtures("site_url")


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
