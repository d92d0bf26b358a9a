"""Malformed input to the Delighted-compatible API: each answer is a 4xx in Delighted's shape
``{"status", "message", "errors"}`` naming the parameter, on SQLite and PostgreSQL, and
nothing is stored; and the API's OpenAPI document lists every route.

Regression tests for what fuzzing (test_fuzz.py) and these probes found: NUL and lone
surrogates in parameters and paths reached the database (500 on PostgreSQL), ``Infinity``
failed SQLite's JSON check, a 405 had no ``Allow``, an unknown path got an HTML 403 for a
POST and an HTML 404 with a newline, a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` an HTML 400,
and a 409 was undeclared.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.test import Client

from promoter.accounts.services import api_key_create
from promoter.api.compat import delighted
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.tests.fuzzing import ROOT

BASE = "/delighted/v1"
DOCUMENT = ROOT / "docs" / "delighted-openapi.json"


@pytest.fixture
def wire(world, settings) -> Client:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    key = api_key_create(project=world.alpha, name="t").secret
    token = base64.b64encode(f"{key}:".encode()).decode()
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Basic {token}")


@pytest.fixture
def person(wire) -> EndUser:
    body = json.dumps({"email": "known@example.com", "send": False})
    assert wire.post(f"{BASE}/people.json", body, "application/json").status_code == 200
    return EndUser.objects.get(email="known@example.com")


def _refused(reply: Any, status: int, field: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"] == "application/json"
    data = reply.json()
    assert data["status"] == status and data["message"], data
    assert field in data["errors"] and data["errors"][field], data
    return data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "name": "Ann\x00"}, "name"),
        ({"email": "a\x00@example.com"}, "email"),
        ({"email": "\ud800@example.com"}, "email"),
        ({"email": "a@example.com", "name": "\ud800"}, "name"),
        ({"email": "a@example.com", "phone_number": "\udfff"}, "phone_number"),
        ({"email": "a@example.com", "properties": {"plan": "\ud800"}}, "properties.plan"),
        ({"email": "a@example.com", "properties": {"pl\x00an": "pro"}}, "properties"),
        ({"email": "a@example.com", "email_update": "b\x00@example.com"}, "email_update"),
        ({"email": "a@example.com", "delay": 10**30}, "delay"),
        ({"email": "a@example.com", "delay": -1}, "delay"),
        ({"email": "a@example.com", "delay": 1.5}, "delay"),
        ({"email": "a@example.com", "last_sent_at": 10**30}, "last_sent_at"),
        ({"email": "a@example.com", "send": "maybe"}, "send"),
        ({"email": "a@example.com", "properties": "plan=pro"}, "properties"),
        ({"email": "a@example.com", "properties": {"a": {"b": 1}}}, "properties"),
        (
            {"email": "a@example.com", "properties": {f"p{i}": "v" * 2000 for i in range(150)}},
            "properties",
        ),
        ({"email": "a@example.com", "properties": {"note": "v" * 1001}}, "properties"),
        ({"email": ["a@example.com"]}, "email"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@example.com", "channel": "sms"}, "channel"),
    ],
)
def test_bad_people_parameters_are_422_naming_them(wire, body, field):
    reply = wire.post(f"{BASE}/people.json", json.dumps(body), "application/json")
    _refused(reply, 422, field)
    assert not EndUser.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 5, "comment": "\ud800"}, "comment"),
        ({"score": 5, "comment": "a\x00"}, "comment"),
        ({"score": 5, "person_properties": {"a": "\ud800"}}, "person_properties.a"),
        ({"score": -1}, "score"),
        ({"score": 11}, "score"),
        ({"score": 5.5}, "score"),
        ({"score": "x"}, "score"),
        ({"score": True}, "score"),
        ({"score": "٣"}, "score"),
        ({"score": None}, "score"),
        ({"score": 5, "created_at": 10**30}, "created_at"),
        ({"score": 5, "person": "email:\x00"}, "person"),
        ({"score": 5, "person": ["x"]}, "person"),
    ],
)
def test_bad_survey_response_parameters_are_422_naming_them(wire, person, body, field):
    body = {"person": "email:known@example.com", **body}
    reply = wire.post(f"{BASE}/survey_responses.json", json.dumps(body), "application/json")
    _refused(reply, 422, field)
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/people.json?email=%00", "email"),
        ("/people.json?since=-1", "since"),
        ("/people.json?per_page=0", "per_page"),
        ("/people.json?cursor=%00", "cursor"),
        ("/survey_responses.json?person_email=a%00", "person_email"),
        ("/survey_responses.json?order=%00", "order"),
        ("/survey_responses.json?page=99999999999999999999", "page"),
        ("/autopilot/email/memberships.json?person_email=%00", "person_email"),
        ("/metrics.json?since=99999999999", "since"),
    ],
)
def test_bad_query_parameters_are_422_naming_them(wire, path, field):
    _refused(wire.get(f"{BASE}{path}"), 422, field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/people/email:%00", "identifier"),
        ("/people/phone_number:%00.json", "identifier"),
        ("/people/%00/survey_requests/pending", "email"),
    ],
)
def test_a_nul_in_a_path_is_422_naming_it(wire, person, path, field):
    _refused(wire.delete(f"{BASE}{path}"), 422, field)
    assert EndUser.objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{", "application/json"),
        (b'{"email": "\xff"}', "application/json"),
        (b'{"email": "a@example.com", "delay": NaN}', "application/json"),
        (b'{"email": "a@example.com", "delay": Infinity}', "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xef\xbb\xbf{}", "application/json"),
        (b"[" * 5000, "application/json"),  # was a RecursionError, a 500
        (b'{"email":' * 5000, "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_422(wire, raw, content_type):
    _refused(wire.post(f"{BASE}/people.json", raw, content_type), 422, "body")
    assert not EndUser.objects.exists()


def test_form_bodies_with_nul_or_bad_encoding_are_refused_or_read_safely(wire):
    reply = wire.post(
        f"{BASE}/people.json", b"email=a%00%40b.co", "application/x-www-form-urlencoded"
    )
    _refused(reply, 422, "email")
    # Bytes that are not UTF-8 are read as U+FFFD (Django's decoding): an invalid e-mail.
    reply = wire.post(f"{BASE}/people.json", b"email=%ff%fe", "application/x-www-form-urlencoded")
    _refused(reply, 422, "email")
    assert not EndUser.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_upload_limit_is_413(wire, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    raw = (
        b"email=" + b"x" * 20_000
        if "form" in content_type
        else b'{"email": "' + b"x" * 20_000 + b'"}'
    )
    _refused(wire.post(f"{BASE}/people.json", raw, content_type), 413, "body")
    assert not EndUser.objects.exists()


def test_too_many_form_fields_is_422(wire, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    raw = "&".join(f"properties[p{i}]=v" for i in range(20)) + "&email=a%40example.com"
    _refused(
        wire.post(f"{BASE}/people.json", raw, "application/x-www-form-urlencoded"), 422, "body"
    )


def test_a_method_not_allowed_says_which_are(wire):
    reply = wire.put(f"{BASE}/metrics.json", "{}", "application/json")
    _refused(reply, 405, "method")
    assert reply["Allow"] == "GET"
    assert wire.patch(f"{BASE}/people", "{}", "application/json")["Allow"] == "GET, POST"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/nope", "/autopilot/null,null/memberships", "/people/a\nb/x"])
def test_an_unknown_path_is_a_json_404_for_every_method(wire, method, path):
    if method == "get":
        reply = wire.get(f"{BASE}{path}")
    else:
        reply = getattr(wire, method)(f"{BASE}{path}", "{}", "application/json")
    _refused(reply, 404, "path")


def test_a_taken_email_update_is_a_declared_409(wire, person):
    other = json.dumps({"email": "other@example.com", "send": False})
    assert wire.post(f"{BASE}/people.json", other, "application/json").status_code == 200
    body = json.dumps({"email": "known@example.com", "email_update": "other@example.com"})
    _refused(wire.post(f"{BASE}/people.json", body, "application/json"), 409, "email")
    document = json.loads(DOCUMENT.read_text())
    assert "409" in document["paths"]["/delighted/v1/people.json"]["post"]["responses"]


# The document -----------------------------------------------------------------------------


def _route_paths() -> set[str]:
    """Each route of the compat API as OpenAPI paths, with and without ``.json``."""
    paths = set()
    for pattern in delighted.urlpatterns():
        regex = pattern.pattern.regex.pattern
        if pattern.name == "unknown":
            continue
        assert regex.startswith("^") and regex.endswith(r"(?:\.json)?$"), regex
        body = regex[1 : -len(r"(?:\.json)?$")]
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", body)
        paths |= {f"/delighted/v1/{template}", f"/delighted/v1/{template}.json"}
    return paths


def _methods(view: Any) -> set[str]:
    return set(view.allowed_methods)


def test_every_route_and_method_is_in_the_openapi_document():
    document = json.loads(DOCUMENT.read_text())
    assert document["openapi"].startswith("3.1")
    routes = _route_paths()
    assert routes == set(document["paths"]), routes ^ set(document["paths"])
    for pattern in delighted.urlpatterns():
        if pattern.name == "unknown":
            continue
        body = pattern.pattern.regex.pattern[1 : -len(r"(?:\.json)?$")]
        template = "/delighted/v1/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", body)
        allowed = _methods(pattern.callback)
        for path in (template, template + ".json"):
            documented = {m.upper() for m in document["paths"][path]}
            assert documented == allowed, (path, documented, allowed)
            for operation in document["paths"][path].values():
                assert operation["security"] == [{"basic": []}]
                assert {"401", "404", "422", "429"} <= set(operation["responses"])


def test_the_error_shape_in_the_document_is_the_one_served(wire):
    document = json.loads(DOCUMENT.read_text())
    error = document["components"]["schemas"]["Error"]
    reply = wire.get(f"{BASE}/people.json?per_page=0").json()
    assert set(reply) <= set(error["properties"]) and set(error["required"]) <= set(reply)
