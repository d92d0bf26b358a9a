"""A refused call writes nothing (docs/security.md, "Refused calls").

Every operation of the widget API, the REST API, the Delighted-compatible API and the public
survey pages (link surveys, e-mail answer and unsubscribe pages) gets, below, at least one
request that must be refused. Each is sent; then no table of the database may have changed
(compared as row counts and a checksum of every row of every table) and no cache token may
have been renewed (which would make cached state stale, the trace of a write).

``test_every_operation_has_a_refused_case`` walks the route tables (the ingest and REST
OpenAPI operations, the Delighted routes with their methods, the public pages of the URL
table) and fails on an operation that no case below covers, so a new route is covered the
day it is added.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.api.api import api as rest_api
from promoter.api.compat import delighted
from promoter.channels import links
from promoter.channels.models import Invitation, InvitationSource
from promoter.channels.services import invitation_schedule
from promoter.core import tokencache
from promoter.ingest.api import api as ingest_api
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_upsert
from promoter.responses.services import decline_create, response_create
from promoter.surveys.models import Survey
from promoter.tests.test_security_isolation import _walk

# The public survey pages of the URL table, with the methods each answers.
PAGES = {
    "link-survey": ("GET", "POST"),
    "link-survey-comment": ("GET", "POST"),
    "email-answer": ("GET", "HEAD", "POST"),
    "email-answer-page": ("GET", "POST"),
    "email-unsubscribe": ("GET", "POST"),
}
NEW_PERSON = {"id": "never-seen", "email": "never-seen@example.com", "properties": {"plan": "x"}}


@dataclass
class Place:
    """What the cases refer to: one project's keys, survey, person, response, invitation."""

    world: Any
    survey: Survey
    person: EndUser
    response_id: uuid.UUID
    decline_id: uuid.UUID
    invitation: Invitation
    secret: str
    read_only: str
    other_survey: Survey  # of the other project

    @property
    def key(self) -> str:
        return str(self.world.alpha.public_key)

    @property
    def token(self) -> str:
        return links.token_for(self.invitation.public_id)


@dataclass(frozen=True)
class Case:
    """One request that must be refused: ``api`` and ``operation`` name what it covers."""

    api: str
    operation: str  # "METHOD route" as the coverage test lists them
    label: str
    send: Callable[[Place], Any]
    statuses: tuple[int, ...] = field(default=(400, 401, 403, 404, 405, 409, 410, 413, 422))
    setup: Callable[[Place], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.api}:{self.operation}:{self.label}"


# Clients of each wire format -----------------------------------------------------------------


def ingest(path: str, body: dict[str, Any], method: str = "post", **headers: str) -> Callable:
    def send(place: Place) -> Any:
        data = _fill(json.dumps({"key": place.key, **body}), place)
        return getattr(Client(), method)(
            "/i/v1" + _fill(path, place), data, content_type="text/plain", **headers
        )

    return send


def _fill(text: str, place: Place) -> str:
    return (
        text.replace("RESPONSE_ID", str(place.response_id))
        .replace("SURVEY_ID", str(place.survey.public_id))
        .replace("OTHER_SURVEY", str(place.other_survey.public_id))
        .replace("DECLINE_ID", str(place.decline_id))
    )


def rest(method: str, path: str, body: Any = None, *, key: str = "secret") -> Callable:
    def send(place: Place) -> Any:
        secret = {"secret": place.secret, "read_only": place.read_only, "none": "sk_wrong"}[key]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        url = "/api/v1" + _fill(path, place)
        if method == "get":
            return Client().get(url, **auth)
        data = "" if body is None else _fill(json.dumps(body), place)
        return getattr(Client(), method)(url, data, content_type="application/json", **auth)

    return send


def wire(method: str, path: str, body: Any = None, *, raw: str | None = None) -> Callable:
    def send(place: Place) -> Any:
        token = base64.b64encode(f"{place.secret}:".encode()).decode()
        auth = {"HTTP_AUTHORIZATION": f"Basic {token}"}
        url = "/delighted/v1" + _fill(path, place)
        if method == "get":
            return Client().get(url, **auth)
        data = raw if raw is not None else _fill(json.dumps(body or {}), place)
        return getattr(Client(), method)(url, data, content_type="application/json", **auth)

    return send


def page(method: str, path: Callable[[Place], str], data: dict[str, str] | None = None) -> Callable:
    def send(place: Place) -> Any:
        client = Client()
        if method == "post":
            return client.post(path(place), data or {})
        return getattr(client, method)(path(place))

    return send


def _unverified(place: Place) -> None:
    place.world.alpha.require_identity_verification = True
    place.world.alpha.save(update_fields=["require_identity_verification"])


def _origins(place: Place) -> None:
    place.world.alpha.allowed_origins = ["https://app.example.com"]
    place.world.alpha.save(update_fields=["allowed_origins"])


def _link_off(place: Place) -> None:
    Survey.objects.filter(pk=place.survey.pk).update(channels=["web"])


def _survey_off(place: Place) -> None:
    Survey.objects.filter(pk=place.survey.pk).update(is_active=False)


NESTED = {"id": "never-seen", "properties": {"plan": {"deep": ["x"]}}}
TOO_MANY = {"id": "never-seen", "properties": {f"p{i}": "v" * 2000 for i in range(150)}}
DEEP = "[" * 5000


def _link(place: Place) -> str:
    return f"/l/{place.survey.public_id}/"


def _link_as(place: Place) -> str:
    return f"/l/{place.survey.public_id}/?email=never-seen@example.com"


def _answer(score: int) -> Callable[[Place], str]:
    return lambda place: f"/e/{place.token}/{score}/"


def _answer_page(place: Place) -> str:
    return f"/e/{place.token}/"


BAD_TOKEN = "not-a-token:forged"

CASES = [
    # The widget API ------------------------------------------------------------------------
    Case("ingest", "POST /eligibility", "unverified", ingest("/eligibility", {"user": NEW_PERSON}),
         setup=_unverified),
    Case("ingest", "POST /eligibility", "origin refused",
         ingest("/eligibility", {"user": NEW_PERSON}, HTTP_ORIGIN="https://evil.example"),
         setup=_origins),
    Case("ingest", "POST /eligibility", "nested properties",
         ingest("/eligibility", {"user": NESTED})),
    Case("ingest", "POST /displays", "unknown survey",
         ingest("/displays", {"user": NEW_PERSON, "survey": str(uuid.uuid4())})),
    Case("ingest", "POST /displays", "unverified",
         ingest("/displays", {"user": NEW_PERSON, "survey": "SURVEY_ID"}), setup=_unverified),
    Case("ingest", "POST /responses", "score off the scale",
         ingest("/responses", {"user": NEW_PERSON, "survey": "SURVEY_ID", "id": str(uuid.uuid4()),
                               "score": 11})),
    Case("ingest", "POST /responses", "id of another person's response",
         ingest("/responses", {"user": NEW_PERSON, "survey": "SURVEY_ID", "id": "RESPONSE_ID",
                               "score": 9})),
    Case("ingest", "POST /responses", "comment with NUL",
         ingest("/responses", {"user": NEW_PERSON, "survey": "SURVEY_ID", "id": str(uuid.uuid4()),
                               "score": 9, "comment": "a\u0000b"})),
    Case("ingest", "PATCH /responses/{response_id}", "another person's response",
         ingest("/responses/RESPONSE_ID", {"user": NEW_PERSON, "comment": "mine now"}, "patch")),
    Case("ingest", "PATCH /responses/{response_id}", "unknown response",
         ingest(f"/responses/{uuid.uuid4()}", {"user": {"id": "p1", "properties": {"a": 1}},
                                                "comment": "x"}, "patch")),
    Case("ingest", "POST /declines", "unknown survey",
         ingest("/declines", {"user": NEW_PERSON, "survey": str(uuid.uuid4())})),
    Case("ingest", "POST /declines", "id of another person's decline",
         ingest("/declines", {"user": NEW_PERSON, "survey": "SURVEY_ID", "id": "DECLINE_ID"})),
    # The REST API ---------------------------------------------------------------------------
    Case("rest", "GET /api/v1/declines", "limit out of range", rest("get", "/declines?limit=0")),
    Case("rest", "GET /api/v1/export/{what}", "unknown export", rest("get", "/export/nothing")),
    Case("rest", "GET /api/v1/hooks", "wrong key", rest("get", "/hooks", key="none")),
    Case("rest", "POST /api/v1/hooks", "unknown event",
         rest("post", "/hooks", {"target_url": "https://example.com/x", "event": "response.x"})),
    Case("rest", "POST /api/v1/hooks", "read-only key",
         rest("post", "/hooks", {"target_url": "https://example.com/x",
                                 "event": "response.created"}, key="read_only")),
    Case("rest", "GET /api/v1/hooks/sample", "unknown event", rest("get", "/hooks/sample?event=x")),
    Case("rest", "DELETE /api/v1/hooks/{hook_id}", "unknown hook",
         rest("delete", f"/hooks/{uuid.uuid4()}")),
    Case("rest", "GET /api/v1/metrics", "another project's survey",
         rest("get", "/metrics?survey=OTHER_SURVEY")),
    Case("rest", "GET /api/v1/people", "limit out of range", rest("get", "/people?limit=0")),
    Case("rest", "POST /api/v1/people", "nested properties",
         rest("post", "/people", {"external_id": "never-seen", "properties": {"a": {"b": 1}}})),
    Case("rest", "POST /api/v1/people", "150 long properties",
         rest("post", "/people", {"external_id": "never-seen", **TOO_MANY})),
    Case("rest", "POST /api/v1/people", "read-only key",
         rest("post", "/people", {"external_id": "never-seen"}, key="read_only")),
    Case("rest", "DELETE /api/v1/people/{person}", "unknown person",
         rest("delete", "/people/id:never-seen")),
    Case("rest", "DELETE /api/v1/people/{person}", "read-only key",
         rest("delete", "/people/id:p1", key="read_only")),
    Case("rest", "GET /api/v1/people/{person}", "unknown person", rest("get", "/people/id:nobody")),
    Case("rest", "PATCH /api/v1/people/{person}", "e-mail of another person",
         rest("patch", "/people/id:p2", {"email": "p1@example.com", "properties": {"a": 1}})),
    Case("rest", "PATCH /api/v1/people/{person}", "nested properties",
         rest("patch", "/people/id:p1", {"properties": {"a": [1]}})),
    Case("rest", "GET /api/v1/responses", "malformed where", rest("get", "/responses?where=plan")),
    Case("rest", "POST /api/v1/responses", "score off the scale, new person",
         rest("post", "/responses", {"survey": "SURVEY_ID", "score": 11,
                                     "person": {"external_id": "never-seen",
                                                "properties": {"plan": "x"}}})),
    Case("rest", "POST /api/v1/responses", "another person's response id",
         rest("post", "/responses", {"id": "RESPONSE_ID", "survey": "SURVEY_ID", "score": 9,
                                     "person": {"external_id": "never-seen",
                                                "properties": {"plan": "x"}}})),
    Case("rest", "POST /api/v1/responses", "nested person properties",
         rest("post", "/responses", {"survey": "SURVEY_ID", "score": 9,
                                     "person": {"external_id": "never-seen",
                                                "properties": {"a": {"b": 1}}}})),
    Case("rest", "POST /api/v1/responses", "date in the future",
         rest("post", "/responses", {"survey": "SURVEY_ID", "score": 9,
                                     "created_at": "2999-01-01T00:00:00Z",
                                     "person": {"external_id": "never-seen"}})),
    Case("rest", "GET /api/v1/responses/{response_id}", "unknown response",
         rest("get", f"/responses/{uuid.uuid4()}")),
    Case("rest", "PATCH /api/v1/responses/{response_id}", "a bad tag after the comment",
         rest("patch", "/responses/RESPONSE_ID", {"comment": "changed", "status": "closed",
                                                  "add_tags": ["fine", "x" * 100]})),
    Case("rest", "PATCH /api/v1/responses/{response_id}", "read-only key",
         rest("patch", "/responses/RESPONSE_ID", {"comment": "changed"}, key="read_only")),
    Case("rest", "GET /api/v1/surveys", "wrong key", rest("get", "/surveys", key="none")),
    Case("rest", "GET /api/v1/surveys/{survey_id}", "another project's survey",
         rest("get", "/surveys/OTHER_SURVEY")),
    Case("rest", "PATCH /api/v1/surveys/{survey_id}", "bad value",
         rest("patch", "/surveys/SURVEY_ID", {"name": "renamed", "sampling_percent": 500})),
    Case("rest", "PATCH /api/v1/surveys/{survey_id}", "read-only key",
         rest("patch", "/surveys/SURVEY_ID", {"name": "renamed"}, key="read_only")),
    Case("rest", "GET /api/v1/tags", "wrong key", rest("get", "/tags", key="none")),
    # The Delighted-compatible API -----------------------------------------------------------
    Case("delighted", "GET people", "bad since", wire("get", "/people.json?since=soon")),
    Case("delighted", "POST people", "bad e-mail",
         wire("post", "/people.json", {"email": "not-an-address", "properties": {"plan": "x"}})),
    Case("delighted", "POST people", "nested properties",
         wire("post", "/people.json", {"email": "never-seen@example.com",
                                       "properties": {"plan": {"a": 1}}})),
    Case("delighted", "POST people", "a deep body", wire("post", "/people.json", raw=DEEP),
         statuses=(400, 422)),
    Case("delighted", "DELETE pending", "unknown person",
         wire("delete", "/people/nobody@example.com/survey_requests/pending.json")),
    Case("delighted", "DELETE person", "unknown person",
         wire("delete", "/people/email:nobody@example.com.json")),
    Case("delighted", "GET survey-responses", "bad page",
         wire("get", "/survey_responses.json?page=x")),
    Case("delighted", "POST survey-responses", "score off the scale, new person",
         wire("post", "/survey_responses.json",
              {"person": "email:never-seen@example.com", "score": 11,
               "person_properties": {"plan": "x"}})),
    Case("delighted", "GET survey-response", "unknown response",
         wire("get", f"/survey_responses/{uuid.uuid4()}.json")),
    Case("delighted", "PUT survey-response", "score off the scale",
         wire("put", "/survey_responses/RESPONSE_ID.json",
              {"score": 11, "person_properties": {"plan": "changed"}})),
    Case("delighted", "GET metrics", "bad since", wire("get", "/metrics.json?since=soon")),
    Case("delighted", "GET unsubscribes", "bad page", wire("get", "/unsubscribes.json?per_page=x")),
    Case("delighted", "POST unsubscribes", "bad e-mail",
         wire("post", "/unsubscribes.json", {"person_email": "not-an-address"})),
    Case("delighted", "GET bounces", "bad page", wire("get", "/bounces.json?per_page=x")),
    Case("delighted", "GET autopilot", "unknown platform", wire("get", "/autopilot/fax.json")),
    Case("delighted", "GET autopilot-memberships", "unknown platform",
         wire("get", "/autopilot/fax/memberships.json")),
    Case("delighted", "POST autopilot-memberships", "bad e-mail",
         wire("post", "/autopilot/email/memberships.json",
              {"person": {"email": "not-an-address"}, "properties": {"plan": "x"}})),
    Case("delighted", "DELETE autopilot-memberships", "unknown person",
         wire("delete", "/autopilot/email/memberships.json?person_email=nobody@example.com")),
    Case("delighted", "* unknown", "unknown path", wire("post", "/nothing.json", {"a": 1})),
    # The public survey pages ----------------------------------------------------------------
    Case("pages", "GET link-survey", "unknown survey",
         page("get", lambda p: f"/l/{uuid.uuid4()}/")),
    Case("pages", "GET link-survey", "link channel off", page("get", _link), setup=_link_off),
    Case("pages", "POST link-survey", "score off the scale",
         page("post", _link_as, {"score": "11"})),
    Case("pages", "POST link-survey", "link channel off",
         page("post", _link_as, {"score": "9"}), setup=_link_off),
    Case("pages", "POST link-survey", "survey inactive",
         page("post", _link_as, {"score": "9"}), setup=_survey_off),
    Case("pages", "POST link-survey", "locale too long",
         page("post", lambda p: _link_as(p) + "&locale=" + "x" * 300, {"score": "9"})),
    Case("pages", "POST link-survey", "e-mail not an address",
         page("post", lambda p: _link(p) + "?email=boss", {"score": "9"})),
    Case("pages", "POST link-survey", "NUL in the comment",
         page("post", _link_as, {"score": "9", "comment": "a\x00b"})),
    Case("pages", "GET link-survey-comment", "forged token",
         page("get", lambda p: f"/l/{p.survey.public_id}/{BAD_TOKEN}/")),
    Case("pages", "POST link-survey-comment", "forged token",
         page("post", lambda p: f"/l/{p.survey.public_id}/{BAD_TOKEN}/", {"comment": "x"})),
    Case("pages", "GET email-answer", "forged token", page("get", lambda p: f"/e/{BAD_TOKEN}/9/")),
    Case("pages", "GET email-answer", "score off the scale", page("get", _answer(11))),
    Case("pages", "HEAD email-answer", "forged token",
         page("head", lambda p: f"/e/{BAD_TOKEN}/9/")),
    Case("pages", "POST email-answer", "score off the scale", page("post", _answer(11))),
    Case("pages", "POST email-answer", "survey inactive", page("post", _answer(9)),
         setup=_survey_off),
    Case("pages", "POST email-answer", "e-mail channel off", page("post", _answer(9)),
         setup=lambda p: Survey.objects.filter(pk=p.survey.pk).update(channels=["web"])),
    Case("pages", "GET email-answer-page", "forged token",
         page("get", lambda p: f"/e/{BAD_TOKEN}/")),
    Case("pages", "POST email-answer-page", "no score yet",
         page("post", _answer_page, {"comment": "hello"})),
    Case("pages", "POST email-answer-page", "NUL in the comment",
         page("post", _answer_page, {"score": "3", "comment": "a\x00b"})),
    Case("pages", "POST email-answer-page", "score off the scale",
         page("post", _answer_page, {"score": "99", "comment": "hello"})),
    Case("pages", "GET email-unsubscribe", "forged token",
         page("get", lambda p: f"/u/{BAD_TOKEN}/")),
    Case("pages", "POST email-unsubscribe", "forged token",
         page("post", lambda p: f"/u/{BAD_TOKEN}/")),
]  # fmt: skip


# The place every case starts from -----------------------------------------------------------


@pytest.fixture
def place(world, settings) -> Place:
    settings.INGEST_STATE_CACHE = True  # tokens are renewed on every write: a bump would show
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    now = timezone.now()
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    person = end_user_upsert(
        project=world.alpha,
        identity=Identity(external_id="p1", email="p1@example.com", properties={"plan": "pro"}),
        now=now,
    )
    end_user_upsert(
        project=world.alpha,
        identity=Identity(external_id="p2", email="p2@example.com"),
        now=now,
    )
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=survey, end_user=person, score=3, comment="slow", now=now
    )
    decline = decline_create(
        survey=survey, end_user=person, channel="web", now=now, public_id=uuid.uuid4()
    )
    invitation = invitation_schedule(
        project=world.alpha,
        survey=survey,
        identity=Identity(email="p2@example.com"),
        source=InvitationSource.API,
        now=now,
    )
    return Place(
        world=world,
        survey=survey,
        person=person,
        response_id=response.public_id,
        decline_id=decline.public_id,
        invitation=invitation,
        secret=api_key_create(project=world.alpha, name="full").secret,
        read_only=api_key_create(project=world.alpha, name="ro", read_only=True).secret,
        other_survey=Survey.objects.get(project=world.beta, kind="nps"),
    )


def snapshot() -> dict[str, tuple[int, str]]:
    """Return every table's row count and a checksum of its rows."""
    tables: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            tables[table] = (len(rows), digest)
    return tables


@pytest.fixture
def renewed(monkeypatch) -> Iterator[list[str]]:
    """The cache tokens renewed once their transaction committed (a write's trace)."""
    from django.db import transaction

    bumped: list[str] = []
    real = tokencache.renew

    def spy(token_keys: Any) -> None:
        keys = list(token_keys)
        transaction.on_commit(lambda: bumped.extend(keys))
        real(keys)

    monkeypatch.setattr(tokencache, "renew", spy)
    yield bumped


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_refused_call_writes_nothing(case, place, renewed, django_capture_on_commit_callbacks):
    if case.setup is not None:
        case.setup(place)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        reply = case.send(place)
    assert reply.status_code in case.statuses, (reply.status_code, reply.content[:300])
    after = snapshot()
    changed = sorted(table for table in before if before[table] != after.get(table))
    assert changed == [], f"{case.id} wrote to {changed}"
    assert renewed == [], f"{case.id} renewed cache tokens {renewed}"


# Every operation is covered ------------------------------------------------------------------


def _operations() -> set[tuple[str, str]]:
    """(api, "METHOD route") of every operation the route tables serve."""
    found: set[tuple[str, str]] = set()
    ingest_doc = ingest_api.get_openapi_schema(path_prefix="")
    for path, operations in ingest_doc["paths"].items():
        found |= {("ingest", f"{method.upper()} {path}") for method in operations}
    rest_doc = rest_api.get_openapi_schema(path_prefix="/api/v1")
    for path, operations in rest_doc["paths"].items():
        found |= {("rest", f"{method.upper()} {path}") for method in operations}
    for pattern in delighted.urlpatterns():
        methods = getattr(pattern.callback, "allowed_methods", ("*",))
        name = pattern.name if pattern.name != "unknown" else "unknown"
        found |= {("delighted", f"{method} {name}") for method in methods}
    routes = {name for _ns, name, _route in _walk(get_resolver().url_patterns)}
    public = {name for name in routes if name in PAGES}
    assert public == set(PAGES), "a public survey page is missing from PAGES"
    for name, methods in PAGES.items():
        found |= {("pages", f"{method} {name}") for method in methods}
    return found


def test_every_operation_has_a_refused_case():
    covered = {(case.api, case.operation) for case in CASES}
    missing = sorted(_operations() - covered)
    assert missing == [], "add a refused case for each"
    assert not covered - _operations(), "a case names an operation that does not exist"
