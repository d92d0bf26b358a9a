"""Delighted's wire format as every official client (and curl) sends it: paths with and
without ``.json``, Basic auth with and without the colon, JSON and PHP form bodies with
Rails nesting, Node's repeated ``expand``, query-string DELETE bodies, and the error shapes."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.api.compat import delighted
from promoter.api.compat.params import nest
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create

BASE = "/delighted/v1"


class Wire:
    def __init__(self, key: str, *, colon: bool = True) -> None:
        token = base64.b64encode((key + (":" if colon else "")).encode()).decode()
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Basic {token}"}

    def get(self, path: str, query: str = "") -> Any:
        return self.client.get(f"{BASE}{path}{'?' + query if query else ''}", **self.auth)

    def json(self, method: str, path: str, body: dict[str, Any], query: str = "") -> Any:
        url = f"{BASE}{path}{'?' + query if query else ''}"
        if method == "get":
            return self.client.get(url, **self.auth)
        return getattr(self.client, method)(
            url, json.dumps(body), content_type="application/json", **self.auth
        )

    def form(self, method: str, path: str, body: str) -> Any:
        return getattr(self.client, method)(
            f"{BASE}{path}", body, content_type="application/x-www-form-urlencoded", **self.auth
        )


@pytest.fixture
def wire(world) -> Wire:
    cache.clear()
    return Wire(api_key_create(project=world.alpha, name="t").secret)


def test_rails_nesting_of_query_and_form_pairs():
    assert nest([("properties[plan]", "pro"), ("properties[seats]", "5"), ("send", "false")]) == {
        "properties": {"plan": "pro", "seats": "5"},
        "send": "false",
    }
    assert nest([("expand[]", "person"), ("expand[]", "notes")]) == {"expand": ["person", "notes"]}
    assert nest([("expand", "person"), ("expand", "notes")]) == {"expand": ["person", "notes"]}
    assert nest([("a[b][c]", "1")]) == {"a": {"b": {"c": "1"}}}


def test_paths_with_and_without_json_and_both_basic_auth_forms(world, wire):
    no_colon = Wire(api_key_create(project=world.alpha, name="py").secret, colon=False)
    for client, path in ((wire, "/metrics.json"), (no_colon, "/metrics")):
        answer = client.get(path)
        assert answer.status_code == 200, answer.content
        assert answer.json()["response_count"] == 0
    assert Client().get(f"{BASE}/metrics").status_code == 401
    assert Client().get(f"{BASE}/metrics").json() == {"status": 401, "message": "Unauthorized"}


def test_php_form_bodies_with_rails_nesting_and_string_booleans(world, wire):
    answer = wire.form(
        "post",
        "/people.json",
        "email=php%40example.com&name=Php&send=false&properties%5Bplan%5D=pro"
        "&properties%5BState%5D=CA",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["survey_scheduled_at"] is None and body["name"] == "Php"
    person = EndUser.objects.get(email="php@example.com")
    # The name is the person's, not a property copied onto each of their responses.
    assert person.properties == {"plan": "pro", "State": "CA"} and person.name == "Php"
    assert isinstance(body["created_at"], int) and body["id"] == str(person.public_id)
    made = wire.form("post", "/survey_responses", f"person={person.public_id}&score=9")
    assert made.status_code == 200 and made.json()["score"] == 9


def test_validation_errors_have_delighteds_shape_and_name_the_field(wire):
    answer = wire.json("post", "/people.json", {"name": "No address"})
    assert answer.status_code == 422
    assert answer.json() == {
        "status": 422,
        "message": "Unprocessable Entity",
        "errors": {"email": ["can't be blank"]},
    }
    assert wire.json("post", "/people", {"email": "x@example.com", "channel": "sms"}).json()[
        "errors"
    ] == {"channel": ["only email is supported: Promoter sends no SMS"]}
    person = wire.json("post", "/people", {"email": "x@example.com", "send": False}).json()
    for body, field in (
        ({"person": person["id"], "score": "ten"}, "score"),
        ({"person": person["id"], "score": -1}, "score"),
        ({"person": person["id"], "score": 9.5}, "score"),
        ({"person": person["id"], "score": None}, "score"),
        ({"person": str(uuid.uuid4()), "score": 5}, "person"),
        ({"person": person["id"], "score": 5, "created_at": 99_999_999_999}, "created_at"),
        ({"person": person["id"], "score": 5, "person_properties": "plan"}, "person_properties"),
        ({"person": person["id"], "score": 5, "comment": "a\x00b"}, "comment"),
    ):
        answer = wire.json("post", "/survey_responses", body)
        assert answer.status_code == 422, (body, answer.content)
        assert list(answer.json()["errors"]) == [field]
    bad_json = wire.client.post(
        f"{BASE}/people", "{not json", content_type="application/json", **wire.auth
    )
    assert bad_json.status_code == 422 and "body" in bad_json.json()["errors"]
    assert wire.get("/survey_responses", "per_page=101").json()["errors"] == {
        "per_page": ["must be less than or equal to 100"]
    }
    assert "trend" in wire.get("/metrics", "trend=12").json()["errors"]
    assert wire.json("delete", "/metrics", {}).status_code == 405
    unknown = wire.get("/nothing/here")
    assert unknown.status_code == 404 and unknown.json()["status"] == 404


def test_people_cursor_link_points_back_at_promoter_with_the_filters(wire):
    for i in range(3):
        wire.json("post", "/people", {"email": f"p{i}@example.com", "send": False})
    first = wire.get("/people.json", "per_page=2&auto_handle_rate_limits=True")
    assert len(first.json()) == 2
    link = first["Link"]
    assert link.startswith("<http://testserver/delighted/v1/people.json?") and 'rel="next"' in link
    assert "per_page=2" in link
    following = wire.client.get(link[1 : link.index(">")], **wire.auth)
    assert [p["email"] for p in following.json()] == ["p2@example.com"]
    assert "Link" not in following
    assert [p["email"] for p in wire.get("/people", "email=P1%40example.com").json()] == [
        "p1@example.com"
    ]
    assert wire.get("/people", "cursor=forged").status_code == 422


def test_node_and_php_list_forms_and_delete_by_phone_or_query(world, wire):
    person = wire.json(
        "post", "/people", {"email": "n@example.com", "phone_number": "+14155551212", "send": 0}
    ).json()
    assert person["phone_number"] == "+14155551212"
    wire.json("post", "/survey_responses", {"person": person["id"], "score": 4})
    for query in ("expand=person&expand=notes", "expand%5B%5D=person", "expand[]=person"):
        listed = wire.get("/survey_responses.json", query).json()
        assert listed[0]["person"]["email"] == "n@example.com", query
    assert isinstance(wire.get("/survey_responses").json()[0]["person"], str)
    # Node sends the autopilot DELETE parameters in the query string.
    wire.json("post", "/autopilot/email/memberships", {"person_email": "n@example.com"})
    removed = wire.client.delete(
        f"{BASE}/autopilot/email/memberships?person_email=n%40example.com", **wire.auth
    )
    assert removed.status_code == 200 and removed.json()["person"]["email"] == "n@example.com"
    assert wire.json("post", "/autopilot/sms/memberships", {}).status_code == 422
    gone = wire.client.delete(f"{BASE}/people/phone_number%3A%2B14155551212", **wire.auth)
    assert gone.status_code == 202 and gone.json() == {"ok": True}
    assert not EndUser.objects.filter(email="n@example.com").exists()


def test_put_ignores_read_only_keys_and_takes_an_expanded_person(world, wire):
    a = wire.json("post", "/people", {"email": "a@example.com", "send": False}).json()
    b = wire.json("post", "/people", {"email": "b@example.com", "send": False}).json()
    made = wire.json("post", "/survey_responses", {"person": a["id"], "score": 6}).json()
    whole = {**made, "person": b, "permalink": "x", "created_at": 1, "id": "other", "score": 10}
    saved = wire.json("put", f"/survey_responses/{made['id']}.json", {**whole})
    assert saved.status_code == 200, saved.content
    assert saved.json()["person"] == b["id"] and saved.json()["score"] == 10
    assert saved.json()["created_at"] == made["created_at"]
    assert saved.json()["permalink"].startswith("http://testserver/p/alpha/responses/")


def test_a_read_only_key_cannot_write(world):
    reader = Wire(api_key_create(project=world.alpha, name="r", read_only=True).secret)
    assert reader.get("/people").status_code == 200
    refused = reader.json("post", "/people", {"email": "r@example.com"})
    assert refused.status_code == 403 and refused.json()["status"] == 403


def test_another_projects_key_gets_404_for_every_object_on_every_route(world):
    """Generated over the route table: a new route without a case here fails the test."""
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha,
        email="secret@alpha.example",
        properties={"phone_number": "+15550001"},
        first_seen_at=now,
        last_seen_at=now,
    )
    survey = world.alpha.surveys.get(kind="nps")
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=survey, end_user=person, score=2, comment="alpha", now=now
    )
    beta = Wire(api_key_create(project=world.beta, name="b").secret)
    rid, pid = str(response.public_id), str(person.public_id)
    cases: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        "person": [
            ("delete", f"/people/{pid}", {}),
            ("delete", "/people/email%3Asecret%40alpha.example", {}),
            ("delete", "/people/phone_number%3A%2B15550001", {}),
        ],
        "pending": [("delete", "/people/secret%40alpha.example/survey_requests/pending", {})],
        "survey-response": [
            ("get", f"/survey_responses/{rid}", {}),
            ("put", f"/survey_responses/{rid}", {"score": 10}),
        ],
        "autopilot-memberships": [
            ("delete", "/autopilot/email/memberships", {"person_email": "secret@alpha.example"}),
        ],
        "unknown": [("get", f"/survey_responses/{rid}/notes", {})],
    }
    lists: dict[str, list[str]] = {
        "people": ["/people?email=secret%40alpha.example", "/people"],
        "survey-responses": [f"/survey_responses?person_id={pid}", "/survey_responses"],
        "metrics": ["/metrics"],
        "unsubscribes": ["/unsubscribes"],
        "bounces": ["/bounces"],
        "autopilot": ["/autopilot/email"],
    }
    names = {pattern.name for pattern in delighted.urlpatterns()}
    assert names == set(cases) | set(lists) | {"autopilot-memberships"}
    for name, requests in cases.items():
        for method, path, body in requests:
            answer = beta.json(method, path, body)
            assert answer.status_code == 404, (name, path, answer.content)
    for name, paths in lists.items():
        for path in paths:
            answer = beta.get(path)
            assert answer.status_code == 200, (name, path)
            text = answer.content.decode()
            assert "alpha" not in text and pid not in text and rid not in text, (name, path)
    assert beta.get("/metrics").json()["response_count"] == 0
    # Creating by another project's ids fails too, and nothing of alpha changed.
    assert beta.json("post", "/survey_responses", {"person": pid, "score": 9}).status_code == 422
    assert Response.objects.get(pk=response.pk).score == 2
    assert EndUser.objects.filter(pk=person.pk).exists()
