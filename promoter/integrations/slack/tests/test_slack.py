"""Slack end to end, against a real HTTP server on 127.0.0.1: the message as committed in
``slack.json``, people's text escaped, and what a test message shows."""

from __future__ import annotations

import json

import pytest

from promoter.integrations.destinations import destination_create
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import delivery_test_create
from promoter.integrations.tests.sending import check_fixture, detractor, dynamic, normalized, send

pytestmark = pytest.mark.usefixtures("site_url")


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


def test_a_test_message_uses_a_sample_response(world, receiver):
    destination = destination_create(
        project=world.alpha, kind="slack", name="S", data={"url": receiver.url + "/s"}
    )
    delivery_test_create(destination=destination)
    assert deliveries_process(worker="test").delivered == 1
    body = receiver.wait_for(1)[0].json()
    assert body["text"].startswith("[Test] NPS 3 (detractor)")
