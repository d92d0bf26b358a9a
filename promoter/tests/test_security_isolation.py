"""The tenant isolation matrix over the whole URL table (issue 10; docs/security.md).

``test_every_route_is_classified`` walks every URL pattern Promoter serves (the dashboard,
the Ninja routers of the REST and ingest APIs, the Delighted-compatible routes, public pages)
and fails on a route that no isolation test covers. The coverage per class:

* project pages (``/p/<slug>/…``): ``dashboard/tests/test_access.py`` (owner, admin, member,
  viewer, outsider, anonymous; viewers cannot write) and, below, members and viewers of
  *another* project, who get 404 and change nothing;
* REST API (``/api/v1/``): ``api/tests/test_isolation.py`` (another project's key gets 404 on
  every operation, generated from the OpenAPI document) and, below, read-only keys refused
  on every write;
* Delighted-compatible API: ``api/compat/tests/test_delighted_wire.py::
  test_another_projects_key_gets_404_for_every_object_on_every_route`` (generated over its
  route names);
* ingest (``/i/v1/``): below, with another project's widget key;
* account pages and public pages: below, each with its reason.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from promoter.accounts.models import Membership, Role, User
from promoter.accounts.services import api_key_create
from promoter.api.api import api as rest_api
from promoter.api.compat import delighted
from promoter.dashboard.tests import test_access
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response
from promoter.responses.services import response_create

# Routes outside the project, API and ingest classes: why each cannot leak a project's data.
OTHER_ROUTES = {
    "home": "redirects to one of the user's own projects (test_projects_list_only_mine)",
    "projects": "lists only the user's memberships (test_projects_list_only_mine)",
    "healthz": "static JSON, no data",
    "widget-js": "the static widget script",
    "widget-js-versioned": "the static widget script",
    "questions-js": "the widget's static second script",
    "questions-js-versioned": "the widget's static second script",
    "vendor-asset": "static third-party files",
    "demo": "demo mode only (PROMOTER_DEMO), the first project of a demo installation",
    "first-run": "exists only while there is no user at all",
    "login": "authentication", "logout": "authentication",
    "password_change": "the user's own password", "password_change_done": "static",
    "password_reset": "mails the address given, says nothing about accounts",
    "password_reset_done": "static", "password_reset_confirm": "signed token",
    "password_reset_complete": "static",
    "invitation-accept": "signed invitation token; joins only the inviting project",
    # Public survey pages: the signed token or survey id in the URL is the authority.
    "email-answer": "signed per-invitation token (channels tests: tampered links refused)",
    "email-answer-page": "signed per-invitation token",
    "email-unsubscribe": "signed per-invitation token",
    "link-survey": "a survey's public link, by its random id; shows only that survey",
    "link-survey-comment": "signed per-response token",
}  # fmt: skip
INGEST_ROUTES = {"eligibility", "displays", "responses", "response_comment", "declines"}
NINJA_DOCS = {"api-root", "openapi-json", "openapi-view"}


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, str]]:
    """(namespace, name, route) of every URL pattern, recursively."""
    found: list[tuple[str, str, str]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = p.namespace or namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), inner)
        else:
            found.append((namespace, p.name or "", prefix + str(p.pattern)))
    return found


def _classify(namespace: str, name: str, route: str) -> str | None:
    if route.startswith("p/<slug:slug>/"):
        return "project" if name in test_access.MATRIX else None
    if route.startswith("api/v1/"):
        return "rest" if name else None
    if namespace == "delighted":
        return "delighted" if name in {p.name for p in delighted.urlpatterns()} else None
    if namespace == "ingest":
        return "ingest" if name in INGEST_ROUTES | NINJA_DOCS else None
    return "other" if name in OTHER_ROUTES else None


def test_every_route_is_classified():
    routes = _walk(get_resolver().url_patterns)
    unclassified = [r for r in routes if _classify(*r) is None]
    assert unclassified == [], "add each to an isolation test and classify it here"
    classes = {_classify(*r) for r in routes}
    assert classes == {"project", "rest", "delighted", "ingest", "other"}
    # Every REST route is an operation of the OpenAPI document that test_isolation walks.
    documented = {
        path.removeprefix("/api/v1/")
        for path in rest_api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    }
    served = {
        route.removeprefix("api/v1/").replace("<", "{").replace(">", "}")
        for namespace, name, route in routes
        if route.startswith("api/v1/") and name not in NINJA_DOCS
    }
    normalised = {_strip_converters(r) for r in served}
    assert normalised <= documented, normalised - documented


def _strip_converters(route: str) -> str:
    import re

    return re.sub(r"{\w+:(\w+)}", r"{\1}", route)


# Members and viewers of another project -----------------------------------------------------


def _in_beta(world: Any, role: str) -> Client:
    user = User.objects.create_user(f"beta-{role}@example.com", "x" * 12)
    Membership.objects.create(user=user, project=world.beta, role=role)
    client = Client()
    client.force_login(user)
    return client


CASES = [
    (name, index, role)
    for name, entries in test_access.MATRIX.items()
    for index in range(len(entries))
    for role in (Role.MEMBER, Role.VIEWER, Role.ADMIN)
]


@pytest.mark.parametrize(("name", "index", "role"), CASES)
def test_members_of_another_project_get_404_and_change_nothing(world, name, index, role):
    method, data, kwargs_factory, _expected = test_access.MATRIX[name][index]
    kwargs = kwargs_factory(world)
    url = reverse(name, kwargs={"slug": world.alpha.slug, **kwargs})
    before = test_access._snapshot(world.alpha)
    if isinstance(data, test_access._Send):
        data = {**data, "survey": str(world.alpha.surveys.get(kind="nps").public_id)}
    reply = getattr(_in_beta(world, role), method)(url, data)
    assert reply.status_code == 404, (name, role, reply.status_code)
    assert b"Alpha" not in reply.content
    assert test_access._snapshot(world.alpha) == before


def test_projects_list_only_mine(world):
    client = world.client_for("outsider")
    for page in (client.get(reverse("projects")), client.get(reverse("home"), follow=True)):
        assert page.status_code == 200
        assert b"Alpha" not in page.content and b"/p/alpha/" not in page.content


# REST API: read-only keys are the API's viewers ------------------------------------------------


def _write_operations() -> list[tuple[str, str]]:
    document = rest_api.get_openapi_schema(path_prefix="/api/v1")
    return [
        (path, method)
        for path, methods in document["paths"].items()
        for method in methods
        if method in ("post", "put", "patch", "delete")
    ]


@pytest.mark.parametrize(("path", "method"), _write_operations())
def test_read_only_keys_cannot_write(world, path, method):
    reader = api_key_create(project=world.alpha, name="r", read_only=True).secret
    url = path
    for param in ("person", "response_id", "survey_id", "hook_id", "tag_id", "what"):
        url = url.replace("{" + param + "}", str(uuid.uuid4()))
    call = getattr(Client(), method)
    reply = call(url, json.dumps({}), content_type="application/json",
                 HTTP_AUTHORIZATION=f"Bearer {reader}")  # fmt: skip
    assert reply.status_code == 403, (method, path, reply.status_code, reply.content[:200])


# Ingest: another project's widget key -----------------------------------------------------------


def _ingest(method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(Client(), method)(
        f"/i/v1/{path}", json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def alpha_answer(world) -> dict[str, Any]:
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, external_id="u-1", email="secret@alpha.example",
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    survey = world.alpha.surveys.get(kind="nps")
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=survey, end_user=person, score=2,
        comment="alpha secret", now=now,
    )  # fmt: skip
    return {"survey": str(survey.public_id), "response": str(response.public_id)}


def test_another_projects_widget_key_reaches_nothing_of_alpha(world, alpha_answer, settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    beta = {"key": world.beta.public_key, "user": {"id": "u-1"}}
    counts = (Response.objects.count(), Display.objects.count(), Decline.objects.count())
    seen = []
    # Eligibility answers with beta's surveys only.
    reply = _ingest("post", "eligibility", {**beta, "force": True})
    assert reply.status_code == 200
    seen.append(reply)
    eligible = reply.json()
    assert alpha_answer["survey"] not in json.dumps(eligible)
    asked = _ingest("post", "eligibility", {**beta, "survey": alpha_answer["survey"]})
    assert asked.status_code in (200, 404) and alpha_answer["survey"] not in asked.content.decode()
    seen.append(asked)
    # Writing to alpha's survey or response with beta's key.
    for path, body in (
        ("displays", {**beta, "survey": alpha_answer["survey"]}),
        ("declines", {**beta, "survey": alpha_answer["survey"]}),
        ("responses", {**beta, "id": str(uuid.uuid4()), "survey": alpha_answer["survey"],
                       "score": 10}),
    ):  # fmt: skip
        answer = _ingest("post", path, body)
        assert answer.status_code == 404, (path, answer.status_code, answer.content)
        seen.append(answer)
    patched = _ingest("patch", f"responses/{alpha_answer['response']}", {**beta, "comment": "x"})
    assert patched.status_code == 404
    seen.append(patched)
    # Reusing alpha's response id for a beta survey: refused, and alpha's words stay hidden.
    beta_survey = str(world.beta.surveys.get(kind="nps").public_id)
    reused = _ingest(
        "post", "responses", {**beta, "id": alpha_answer["response"], "survey": beta_survey,
                              "score": 10},
    )  # fmt: skip
    assert reused.status_code == 409
    seen.append(reused)
    for answer in seen:
        text = answer.content.decode()
        assert "alpha secret" not in text and "secret@alpha.example" not in text
    stored = Response.objects.get(public_id=alpha_answer["response"])
    assert (stored.score, stored.comment) == (2, "alpha secret")
    assert (Response.objects.count(), Display.objects.count(), Decline.objects.count()) == counts


def test_the_widget_key_cannot_use_the_rest_or_delighted_apis(world):
    key = world.alpha.public_key
    assert Client().get("/api/v1/responses", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    import base64

    basic = base64.b64encode(f"{key}:".encode()).decode()
    reply = Client().get("/delighted/v1/people.json", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert reply.status_code == 401
