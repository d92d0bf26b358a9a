"""Malformed input to the ingest API: each answer is a 4xx in the one error shape that names
the field, on SQLite and on PostgreSQL (which refuses NUL in text), and nothing is stored.

Regression tests for what fuzzing found (test_fuzz.py): NUL and lone surrogates reached the
database (500 on PostgreSQL), ``Infinity`` failed SQLite's JSON check, ``force: 0`` and
``user.id: false`` were read as booleans and numbers, a 409 was undeclared.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response
from promoter.surveys.models import Survey
from promoter.tests.fuzzing import refused

PATHS = ("eligibility", "displays", "responses", "declines")


pytestmark = pytest.mark.usefixtures("clean_cache")


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def _body(world: Any, **change: Any) -> dict[str, Any]:
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    body: dict[str, Any] = {
        "key": world.alpha.public_key,
        "user": {"id": "u1"},
        "id": str(uuid.uuid4()),
        "survey": str(survey.public_id),
        "score": 5,
    }
    body.update(change)
    return body


def _stored() -> tuple[int, int, int, int]:
    return (
        Response.objects.count(),
        Display.objects.count(),
        Decline.objects.count(),
        EndUser.objects.count(),
    )


# Text no database stores, anywhere in the body: the field is named by its path.
UNSTORABLE = [
    ({"key": "pk_\x00"}, "key"),
    ({"locale": "en\x00"}, "locale"),
    ({"url": "https://example.com/\x00"}, "url"),
    ({"user_hash": "\ud800"}, "user_hash"),
    ({"user": {"id": "u\ud800"}}, "user.id"),
    ({"user": {"id": "u1", "email": "a\x00@example.com"}}, "user.email"),
    ({"user": {"id": "u1", "properties": {"plan": "pro\x00"}}}, "user.properties.plan"),
    ({"user": {"id": "u1", "properties": {"pl\ud83dan": "pro"}}}, "user.properties"),
    ({"user": {"id": "u1", "properties": {"tags": ["a", "b\x00"]}}}, "user.properties.tags.1"),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("change", "field"), UNSTORABLE)
def test_nul_and_lone_surrogates_are_refused_naming_the_field(world, client, path, change, field):
    before = _stored()
    reply = client.post(f"/i/v1/{path}", json.dumps(_body(world, **change)), "application/json")
    data = refused(reply, 400, field)
    assert "NUL" in data["fields"][field] or "surrogate" in data["fields"][field]
    assert _stored() == before


def test_a_nul_in_the_comment_of_a_late_comment_isrefused(world, client):
    first = _body(world)
    assert client.post("/i/v1/responses", json.dumps(first), "application/json").status_code == 201
    body = {"key": world.alpha.public_key, "user": {"id": "u1"}, "comment": "ok\x00"}
    reply = client.patch(f"/i/v1/responses/{first['id']}", json.dumps(body), "application/json")
    refused(reply, 400, "comment")
    assert Response.objects.get().comment == ""


@pytest.mark.parametrize(
    "raw",
    [
        '{"key": "pk_x", "user": {"id": "u1", "properties": {"n": NaN}}}',
        '{"key": "pk_x", "user": {"id": "u1", "properties": {"n": Infinity}}}',
    ],
)
def test_nan_and_infinity_are_not_json(world, client, raw):
    reply = client.post("/i/v1/eligibility", raw, "application/json")
    refused(reply, 400, "body")


def test_a_number_too_large_for_a_float_is_refused_naming_the_field(world, client):
    raw = json.dumps(_body(world)).replace(
        '"score": 5', '"score": 5, "user": {"id": "u1", "properties": {"n": 1e400}}', 1
    )
    # json.dumps put "user" first; the later key wins, as in every JSON parser.
    reply = client.post("/i/v1/responses", raw, "application/json")
    refused(reply, 400, "user.properties.n")
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"key": "pk_\xff\xfe"}', b"\xef\xbb\xbf{}", b'{"key": "a"', b"null", b"[]"],
)
def test_malformed_json_is_refused_naming_the_body(world, client, raw):
    reply = client.post("/i/v1/responses", raw, "application/json")
    refused(reply, 400, "body")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"score": -1}, "score"),
        ({"score": 11}, "score"),
        ({"score": 10**30}, "score"),
        ({"score": 5.5}, "score"),
        ({"score": 5.0}, "score"),
        ({"score": "5"}, "score"),
        ({"score": True}, "score"),
        ({"score": None}, "score"),
        ({"score": [5]}, "score"),
        ({"user": {"id": False}}, "user.id"),
        ({"user": {"id": ["u1"]}}, "user.id"),
        ({"user": "u1"}, "user"),
        ({"key": 42}, "key"),
        ({"comment": 42}, "comment"),
        ({"survey": 42}, "survey"),
        ({"id": None}, "id"),
    ],
)
def test_wrong_types_and_scores_off_the_scale_arerefused(world, client, change, field):
    reply = client.post("/i/v1/responses", json.dumps(_body(world, **change)), "application/json")
    refused(reply, 400, field)
    assert not Response.objects.exists()


@pytest.mark.parametrize("force", [0, 1, "true", None])
def test_force_must_be_a_boolean(world, client, force):
    reply = client.post(
        "/i/v1/eligibility", json.dumps(_body(world, force=force)), "application/json"
    )
    refused(reply, 400, "force")


@pytest.mark.parametrize(
    "comment",
    [
        "\u202eevil\u202c",  # right-to-left override
        "שלום עולם",  # right-to-left script
        "👍🏽👨‍👩‍👧‍👦",  # emoji with modifiers and joiners
        "e\u0301\u0301\u0301",  # combining marks
        "\ufeffzero\u200bwidth",
    ],
)
def test_unicode_that_is_valid_text_is_stored_as_sent(world, client, comment):
    reply = client.post(
        "/i/v1/responses", json.dumps(_body(world, comment=comment)), "application/json"
    )
    assert reply.status_code == 201, reply.content
    assert Response.objects.get().comment == comment.strip()


def test_overlong_utf8_is_not_json(world, client):
    # "/" encoded in two bytes (0xC0 0xAF): invalid UTF-8, never decoded as "/".
    raw = b'{"key": "pk_\xc0\xaf", "user": {"id": "u1"}}'
    refused(client.post("/i/v1/eligibility", raw, "application/json"), 400, "body")


def test_a_huge_body_is_refused_before_it_is_read_naming_the_body(world, client, settings):
    settings.INGEST_MAX_BODY_BYTES = 4096
    body = _body(world, comment="x" * 5000)
    reply = client.post("/i/v1/responses", json.dumps(body), "application/json")
    data = refused(reply, 413, "body")
    assert data["code"] == "too_large"
    assert not Response.objects.exists()


@pytest.mark.parametrize("path", ["displays", "declines"])
def test_a_client_id_reused_for_another_person_is_a_declared_conflict(world, client, path):
    from promoter.management.commands.openapi import DOCS

    document = json.loads((DOCS / "openapi" / "ingest-v1.json").read_text())
    assert "409" in document["paths"][f"/i/v1/{path}"]["post"]["responses"]
    body = _body(world)
    assert client.post(f"/i/v1/{path}", json.dumps(body), "application/json").status_code == 201
    body["user"] = {"id": "someone-else"}
    reply = client.post(f"/i/v1/{path}", json.dumps(body), "application/json")
    refused(reply, 409, "id")


def test_a_sign_up_date_with_an_offset_postgresql_cannot_hold_is_read_in_utc(world, client):
    user = {"id": "u1", "signed_up_at": "2026-03-01T23:30:00+20:00"}
    reply = client.post(
        "/i/v1/eligibility", json.dumps(_body(world, user=user)), "application/json"
    )
    assert reply.status_code == 200, reply.content
    assert EndUser.objects.get().signed_up_at.isoformat() == "2026-03-01T03:30:00+00:00"
    user = {"id": "u1", "signed_up_at": "0001-01-01T00:00:00+05:00"}
    reply = client.post(
        "/i/v1/eligibility", json.dumps(_body(world, user=user)), "application/json"
    )
    refused(reply, 400, "user.signed_up_at")
