"""Segment end to end, against a real HTTP server on 127.0.0.1 playing Segment's tracking
API: the ``track`` call as committed in ``segment.json``."""

from __future__ import annotations

import base64

import pytest

from promoter.integrations.tests.sending import check_fixture, detractor, dynamic, normalized, send

pytestmark = pytest.mark.usefixtures("site_url")


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
