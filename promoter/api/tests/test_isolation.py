"""Tenant isolation over the REST API's whole route table: project B's key gets 404 for
every object of project A, and lists never show them (generated from the OpenAPI document,
so a new operation is covered the day it is added)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.api.api import api
from promoter.integrations.destinations import destination_create
from promoter.people.models import EndUser
from promoter.responses.services import response_create

BODIES = {
    "patch": {"comment": "x", "email": "new@example.com", "name": "X"},
    "put": {},
    "post": {},
}


@pytest.fixture
def alpha_objects(world):
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha,
        email="secret@alpha.example",
        external_id="alpha-1",
        first_seen_at=now,
        last_seen_at=now,
    )
    survey = world.alpha.surveys.get(kind="nps")
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=survey,
        end_user=person,
        score=2,
        comment="alpha secret",
        now=now,
    )
    hook = destination_create(
        project=world.alpha,
        kind="webhook",
        name="Zap",
        data={"url": "https://x.example/h"},
        via_api=True,
    )
    return {
        "what": "responses",
        "person": str(person.public_id),
        "response_id": str(response.public_id),
        "survey_id": str(survey.public_id),
        "hook_id": str(hook.public_id),
    }


def operations():
    document = api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in document["paths"].items():
        for method in methods:
            yield path, method


@pytest.mark.parametrize(("path", "method"), list(operations()))
def test_project_bs_key_never_reaches_project_as_objects(world, alpha_objects, path, method):
    beta = {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(project=world.beta, name='b').secret}"}
    params = re.findall(r"{(\w+)}", path)
    client = Client()
    if params == ["what"]:  # the export: B's key exports B's data, never A's
        text = b"".join(client.get(path.replace("{what}", "responses"), **beta).streaming_content)
        for value in ("secret@alpha.example", "alpha secret", alpha_objects["response_id"]):
            assert value.encode() not in text
    elif params:
        url = path
        for name in params:
            url = url.replace("{" + name + "}", alpha_objects[name])
        for variant in {
            url,
            url.replace(alpha_objects.get("person", "-"), "email:secret@alpha.example"),
        }:
            call = getattr(client, method)
            reply = (
                call(
                    variant,
                    json.dumps(BODIES.get(method, {})),
                    content_type="application/json",
                    **beta,
                )
                if method in BODIES
                else call(variant, **beta)
            )
            assert reply.status_code == 404, (method, variant, reply.status_code)
    elif method == "get":
        reply = client.get(path, **beta)
        assert reply.status_code in (200, 404)
        text = reply.content.decode()
        ids = [v for k, v in alpha_objects.items() if k != "what"]
        for value in (*ids, "secret@alpha.example", "alpha secret"):
            assert value not in text, (path, value)
    # Whatever B asked, A's objects are intact.
    assert EndUser.objects.filter(public_id=alpha_objects["person"]).exists()
