"""Zapier REST hooks through the public API: subscribe, list, sample, unsubscribe, the auth
and error shapes, tenant isolation, and delivery of what the sample promises."""

from __future__ import annotations

import base64
import datetime
import json
import uuid

import time_machine
from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create, api_key_revoke
from promoter.integrations.destinations import destination_create
from promoter.integrations.models import Destination, Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.management.commands.openapi import DOCS, documents, render
from promoter.responses.services import response_create


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client, key, body):
    return client.post("/api/v1/hooks", json.dumps(body), content_type="application/json",
                       **bearer(key))  # fmt: skip


def test_subscribe_list_unsubscribe(world):
    key = api_key_create(project=world.alpha, name="zapier").secret
    client = Client()
    reply = post(
        client, key, {"target_url": "https://hooks.zapier.com/1/2", "event": "response.created"}
    )
    assert reply.status_code == 201
    hook = reply.json()
    assert (
        hook["event"] == "response.created" and hook["target_url"] == "https://hooks.zapier.com/1/2"
    )
    destination = Destination.objects.get(public_id=hook["id"])
    assert destination.via_api and destination.config["format"] == "zapier"
    listed = client.get("/api/v1/hooks", **bearer(key)).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    # Basic auth with the key as the user name works too (Zapier's API-key auth).
    basic = base64.b64encode(f"{key}:".encode()).decode()
    assert client.get("/api/v1/hooks", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 200
    gone = client.delete(f"/api/v1/hooks/{hook['id']}", **bearer(key))
    assert gone.status_code == 204
    assert not Destination.objects.exists()
    assert client.delete(f"/api/v1/hooks/{hook['id']}", **bearer(key)).status_code == 404


def test_authentication_and_read_only_keys(world):
    client = Client()
    for headers in ({}, bearer("sk_nonsense"), {"HTTP_AUTHORIZATION": "Basic !!!"}):
        reply = client.get("/api/v1/hooks", **headers)
        assert reply.status_code == 401
        assert reply.json()["code"] == "unauthenticated"
        assert reply["WWW-Authenticate"].startswith("Bearer")
    revoked = api_key_create(project=world.alpha, name="old")
    api_key_revoke(api_key=revoked.api_key)
    assert client.get("/api/v1/hooks", **bearer(revoked.secret)).status_code == 401
    reader = api_key_create(project=world.alpha, name="ro", read_only=True).secret
    assert client.get("/api/v1/hooks", **bearer(reader)).status_code == 200
    refused = post(
        client, reader, {"target_url": "https://x.example/h", "event": "response.created"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "read_only"
    assert not Destination.objects.exists()


def test_another_projects_key_sees_and_deletes_nothing(world):
    alpha = api_key_create(project=world.alpha, name="a").secret
    beta = api_key_create(project=world.beta, name="b").secret
    client = Client()
    hook = post(
        client, alpha, {"target_url": "https://x.example/h", "event": "response.created"}
    ).json()
    assert client.get("/api/v1/hooks", **bearer(beta)).json() == []
    assert client.delete(f"/api/v1/hooks/{hook['id']}", **bearer(beta)).status_code == 404
    assert Destination.objects.filter(public_id=hook["id"]).exists()
    # Nor can a dashboard destination be deleted as a hook.
    slack = destination_create(
        project=world.alpha, kind="slack", name="S", data={"url": "https://hooks.slack.com/x"}
    )
    assert client.delete(f"/api/v1/hooks/{slack.public_id}", **bearer(alpha)).status_code == 404


def test_bad_input_names_the_field(world):
    key = api_key_create(project=world.alpha, name="z").secret
    client = Client()
    for body, field in (
        ({"target_url": "https://x.example/h", "event": "response.deleted"}, "event"),
        ({"event": "response.created"}, "target_url"),
        ({"target_url": "ftp://x", "event": "response.created"}, "target_url"),
        ({"target_url": "https://x.example/h", "event": "response.created",
          "filters": {"categories": ["fans"]}}, "filters.categories.0"),
    ):  # fmt: skip
        reply = post(client, key, body)
        assert reply.status_code == 400, body
        assert field in reply.json()["fields"], reply.json()
    raw = client.post("/api/v1/hooks", "{", content_type="application/json", **bearer(key))
    assert raw.status_code == 400 and raw.json()["code"] in ("invalid_json", "invalid")
    assert not Destination.objects.exists()


def test_the_sample_has_the_shape_of_a_delivery_and_410_unsubscribes(world, receiver):
    key = api_key_create(project=world.alpha, name="z").secret
    client = Client()
    sample = client.get("/api/v1/hooks/sample", {"event": "response.created"}, **bearer(key))
    assert sample.status_code == 200 and isinstance(sample.json(), list)
    post(client, key, {"target_url": receiver.url + "/zap", "event": "response.created",
                       "filters": {"categories": ["detractor"]}})  # fmt: skip
    survey = world.alpha.surveys.get(kind="nps")
    for score in (9, 2):
        response, _ = response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=None, score=score,
            comment="Slow exports", now=timezone.now(),
        )  # fmt: skip
        response_event(response=response, event=Event.CREATED)
    assert deliveries_process(worker="test").delivered == 1  # the detractor only
    delivered = receiver.wait_for(1)[0].json()
    assert delivered["score"] == 2 and delivered["event"] == "response.created"
    assert set(delivered) == set(sample.json()[0])
    # A real response now exists: the sample is the latest one.
    again = client.get("/api/v1/hooks/sample", **bearer(key)).json()[0]
    assert again["score"] == 2
    # Zapier's protocol: a target answering 410 Gone is unsubscribed.
    from promoter.integrations.tests.receiver import Answer

    receiver.script = [Answer(status=410)]
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=survey, end_user=None, score=1, now=timezone.now()
    )
    response_event(response=response, event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    assert not Destination.objects.exists()


def test_the_exported_openapi_document_is_up_to_date():
    exported = (DOCS / "openapi.json").read_text()
    assert render(documents()["openapi.json"]) == exported, (
        "docs/openapi.json is out of date: run `promoter openapi --write` and add an entry to"
        " docs/api-changelog.md"
    )
    served = Client().get("/api/v1/openapi.json").json()
    assert set(served["paths"]) == set(json.loads(exported)["paths"])
    changelog = (DOCS / "api-changelog.md").read_text()
    for path in served["paths"]:
        assert path.removeprefix("/api/v1").split("/{")[0] in changelog, path


def test_listing_costs_the_same_queries_whatever_the_number_of_hooks(
    world, django_assert_num_queries
):
    key = api_key_create(project=world.alpha, name="z").secret
    client = Client()
    for i in range(4):
        post(client, key, {"target_url": f"https://x.example/{i}", "event": "response.created"})
    # The key (last used just now: no write), the destinations, their rules.
    with django_assert_num_queries(3):
        listed = client.get("/api/v1/hooks", **bearer(key)).json()
    assert [h["target_url"] for h in listed] == [f"https://x.example/{i}" for i in range(4)]
    assert {h["event"] for h in listed} == {"response.created"}


def test_last_used_at_is_written_at_most_once_a_minute(world):
    new = api_key_create(project=world.alpha, name="z")
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/hooks", **bearer(new.secret))
    new.api_key.refresh_from_db()
    assert new.api_key.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
        client.get("/api/v1/hooks", **bearer(new.secret))
    new.api_key.refresh_from_db()
    assert new.api_key.last_used_at == start
    later = start + datetime.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/hooks", **bearer(new.secret))
    new.api_key.refresh_from_db()
    assert new.api_key.last_used_at == later


def test_the_tagged_sample_names_a_tag(world):
    key = api_key_create(project=world.alpha, name="z").secret
    sample = Client().get("/api/v1/hooks/sample", {"event": "response.tagged"}, **bearer(key))
    assert sample.json()[0]["tag"] == "Pricing"
    assert sample.json()[0]["event"] == "response.tagged"
