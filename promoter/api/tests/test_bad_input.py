"""Malformed input to the REST API: each answer is a 4xx JSON in the one error shape that
names the field, on SQLite and on PostgreSQL (which refuses NUL in text), and nothing is
stored.

Regression tests for what fuzzing and these probes found: NUL and lone surrogates in bodies,
queries and ``{person}`` reached the database (500 on PostgreSQL); ``score: true`` was
stored as 1; ``GET /metrics?since=9999-12-31T23:59:59+14:00`` overflowed (500); a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` got an HTML 400.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_upsert
from promoter.responses.models import Response
from promoter.surveys.models import Survey
from promoter.tests.fuzzing import refused


@pytest.fixture
def api(world, settings) -> Client:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    key = api_key_create(project=world.alpha, name="t").secret
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}")


def _response(world: Any, **change: Any) -> dict[str, Any]:
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    body: dict[str, Any] = {
        "survey": str(survey.public_id),
        "score": 5,
        "person": {"external_id": "u1"},
    }
    body.update(change)
    return body


def _nothing_stored() -> None:
    assert not Response.objects.exists()
    assert not EndUser.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": "a\x00b"}, "comment"),
        ({"comment": "\ud800"}, "comment"),
        ({"locale": "en\x00"}, "locale"),
        ({"person": {"external_id": "u\x00"}}, "person.external_id"),
        ({"person": {"email": "a\x00@example.com"}}, "person.email"),
        ({"person": {"external_id": "u1", "properties": {"k": "v\x00"}}}, "person.properties.k"),
        ({"person": {"external_id": "u1", "properties": {"k\x00": "v"}}}, "person.properties"),
        (
            {"person": {"external_id": "u1", "properties": {"k": {"n": "\udfff"}}}},
            "person.properties.k.n",
        ),
    ],
)
def test_unstorable_text_in_a_body_is_refused_naming_the_field(world, api, change, field):
    reply = api.post(
        "/api/v1/responses", json.dumps(_response(world, **change)), "application/json"
    )
    refused(reply, 400, field)
    _nothing_stored()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/people", {"external_id": "a\x00"}, "external_id"),
        ("/api/v1/people", {"external_id": "p", "properties": {"a": "\x00"}}, "properties.a"),
        ("/api/v1/people", {"external_id": "p", "locale": "\x00"}, "locale"),
        (
            "/api/v1/hooks",
            {"target_url": "https://a\x00", "event": "response.created"},
            "target_url",
        ),
    ],
)
def test_unstorable_text_in_other_writes_isrefused(world, api, path, body, field):
    refused(api.post(path, json.dumps(body), "application/json"), 400, field)
    assert not EndUser.objects.exists()


def test_unstorable_text_in_a_survey_patch_isrefused(world, api):
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    reply = api.patch(
        f"/api/v1/surveys/{survey.public_id}", json.dumps({"name": "a\x00"}), "application/json"
    )
    refused(reply, 400, "name")
    survey.refresh_from_db()
    assert "\x00" not in survey.name


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/people/email:%00", "person"),
        ("/api/v1/people/id:a%00b", "person"),
        ("/api/v1/responses?tag=%00", "tag"),
        ("/api/v1/people?email=a%00", "email"),
        ("/api/v1/metrics?where=plan:eq:%00", "where"),
        ("/api/v1/metrics?by=a%00", "by"),
    ],
)
def test_unstorable_text_in_a_path_or_query_isrefused(world, api, path, field):
    refused(api.get(path), 400, field)


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (-1, "between"),
        (11, "between"),
        (10**30, "between"),
        (5.5, "integer"),
        ("5", "integer"),
        (True, "integer"),
        (None, "integer"),
    ],
)
def test_scores_must_be_whole_numbers_on_the_scale(world, api, score, message):
    reply = api.post(
        "/api/v1/responses", json.dumps(_response(world, score=score)), "application/json"
    )
    data = refused(reply, 400, "score")
    assert message in data["fields"]["score"]
    _nothing_stored()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"survey": 42}, "survey"),
        ({"survey": "not-a-uuid"}, "survey"),
        ({"comment": ["x"]}, "comment"),
        ({"person": "u1"}, "person"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"comment": "x" * 5001}, "comment"),
    ],
)
def test_wrong_types_are_refused_naming_the_field(world, api, change, field):
    reply = api.post(
        "/api/v1/responses", json.dumps(_response(world, **change)), "application/json"
    )
    refused(reply, 400, field)
    _nothing_stored()


@pytest.mark.parametrize(
    "raw",
    [
        b"{bad",
        b'{"score": 5',
        b'{"score": "\xff"}',
        b"\xef\xbb\xbf{}",
        b'{"score": NaN}',
        b'{"score": Infinity}',
        b"[" * 5000,
        b'{"a":' * 5000,
    ],
)
def test_malformed_json_is_refused_naming_the_body(world, api, raw):
    refused(api.post("/api/v1/responses", raw, "application/json"), 400, "body")
    _nothing_stored()


def test_a_body_over_the_upload_limit_is_413_json(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps(_response(world, comment="x" * 20_000))
    data = refused(api.post("/api/v1/responses", body, "application/json"), 413, "body")
    assert data["code"] == "too_large" and "10,000" in data["detail"]
    _nothing_stored()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z"])
def test_metrics_refuse_dates_no_calendar_arithmetic_survives(world, api, moment):
    refused(api.get("/api/v1/metrics", {"since": moment}), 400, "since")
    refused(api.get("/api/v1/metrics", {"until": moment}), 400, "until")


def test_a_key_with_a_nul_is_no_key(world):
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Bearer sk_\x00abc")
    reply = client.get("/api/v1/people")
    assert reply.status_code == 401 and reply.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/responses", "/api/v1/declines"],
)
def test_offsets_postgresql_cannot_hold_are_read_in_utc(world, api, path):
    # Found by the long fuzz run: ISO 8601 allows +21:53, PostgreSQL refuses beyond ±15:59.
    reply = api.get(path, {"since": "2026-02-23T21:26:26.305+21:53", "until": "2026-12-01"})
    assert reply.status_code == 200, reply.content
    refused(api.get(path, {"since": "0001-01-01T00:00:00+05:00"}), 400, "since")


def test_a_created_at_with_a_large_offset_is_stored_in_utc(world, api):
    body = _response(world, created_at="2026-03-01T23:30:00+20:00")
    reply = api.post("/api/v1/responses", json.dumps(body), "application/json")
    assert reply.status_code == 201, reply.content
    assert Response.objects.get().created_at.isoformat() == "2026-03-01T03:30:00+00:00"


@pytest.mark.parametrize(
    ("properties", "problem"),
    [
        ({"plan": {"tier": "pro"}}, "nested objects and lists are not accepted"),
        ({"tags": ["a", "b"]}, "nested objects and lists are not accepted"),
        ({f"p{i}": "v" * 2000 for i in range(150)}, "at most 100 properties"),
        ({"note": "v" * 1001}, "longer than 1000 characters"),
        ({"": "blank"}, "property names must be"),
        ({"n" * 256: "v"}, "property names must be"),
    ],
)
def test_person_properties_have_the_limits_of_every_api(world, api, properties, problem):
    # The probe: POST /people took nested properties, and 150 properties of 2,000 characters,
    # that the widget refuses (promoter/people/properties.py holds the one set of limits).
    for method, path, body, field in (
        ("post", "/api/v1/people", {"external_id": "u1", "properties": properties}, "properties"),
        (
            "post",
            "/api/v1/responses",
            _response(world, person={"external_id": "u1", "properties": properties}),
            "person.properties",
        ),
    ):
        reply = getattr(api, method)(path, json.dumps(body), "application/json")
        refused(reply, 400, field)
        assert problem in reply.json()["fields"][field]
    _nothing_stored()
    end_user_upsert(project=world.alpha, identity=Identity(external_id="u2"), now=timezone.now())
    reply = api.patch(
        "/api/v1/people/id:u2", json.dumps({"properties": properties}), "application/json"
    )
    refused(reply, 400, "properties")
    assert EndUser.objects.get(external_id="u2").properties == {}
