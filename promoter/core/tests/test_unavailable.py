"""While the database does not answer, every API says so in its own JSON shape: 503 with
Retry-After (a retry later succeeds), never an HTML 500 page. The restart itself, under load,
is test_faults_long.py; here every query fails the way a restarting server fails them."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection

from promoter.accounts.services import api_key_create
from promoter.surveys.models import Survey

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def test_the_ingest_api_answers_503_json_with_cors(world, client):
    world.alpha.allowed_origins = ["https://app.example.com"]
    world.alpha.save()
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    body = {"key": world.alpha.public_key, "user": {"id": "u-1"}, "survey": str(survey.public_id)}
    with database_down():
        reply = client.post(
            "/i/v1/eligibility",
            body,
            content_type="application/json",
            HTTP_ORIGIN="https://app.example.com",
        )
    assert reply.status_code == 503
    assert reply["Content-Type"] == "application/json"
    assert reply["Retry-After"] == "5"
    assert reply["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert reply.json()["code"] == "unavailable"
    # Once it answers again, the same call succeeds.
    again = client.post("/i/v1/eligibility", body, content_type="application/json")
    assert again.status_code == 200


def test_the_rest_api_answers_503_json(world, client):
    key = api_key_create(project=world.alpha, name="outage").secret
    with database_down():
        reply = client.get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert reply.status_code == 503
    assert reply["Retry-After"] == "5"
    assert reply.json() == {
        "detail": reply.json()["detail"],
        "code": "unavailable",
        "fields": {},
    }


def test_the_delighted_api_answers_503_in_its_shape(world, client):
    key = api_key_create(project=world.alpha, name="outage").secret
    token = base64.b64encode(f"{key}:".encode()).decode()
    with database_down():
        reply = client.get("/delighted/v1/metrics.json", HTTP_AUTHORIZATION=f"Basic {token}")
    assert reply.status_code == 503
    assert reply["Retry-After"] == "5"
    assert reply.json() == {"status": 503, "message": "Service Unavailable"}
