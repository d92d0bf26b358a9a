"""Secrets are write-only (issue 10, "Dashboard hardening"; docs/security.md): destinations'
URLs, tokens and keys, webhook signing secrets, the project's SMTP password and API keys are
never rendered back by any page or API answer once stored.

The destinations are made for every kind in the registry, from each transport's own list of
secret fields, so a new integration's secrets are checked the day it is added.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from promoter.accounts.models import Project
from promoter.accounts.services import api_key_create
from promoter.api.api import api as rest_api
from promoter.api.compat import delighted
from promoter.dashboard.tests import test_access
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Destination
from promoter.integrations.registry import TRANSPORTS

SMTP_PASSWORD = "smtp-pass-5f1c9e"


def _value(kind: str, name: str, secret: bool) -> str:
    marker = f"{kind}-{name}-s3cr3t-77"
    if name in ("url", "api_url"):
        return f"https://{kind}.example.com/{marker}" if secret else f"https://{kind}.example.com"
    if name == "email":
        return "agent@example.com"
    if name == "recipients":
        return "admin@example.com"
    return marker if secret else ""


@pytest.fixture
def secrets(world) -> list[str]:
    """Destinations of every kind with every field filled; return the secret values."""
    found: list[str] = []
    for kind, transport in TRANSPORTS.items():
        data = {name: _value(kind, name, secret) for name, _l, _h, secret, _r in transport.fields}
        destination = destination_create(
            project=world.alpha, kind=kind, name=f"{kind} destination", data=data
        )
        rule_create(destination=destination, events=["response.created"])
        stored = Destination.objects.get(pk=destination.pk).secrets
        found += [str(v) for v in stored.values() if v]
        # Each transport's secret fields really went to the write-only store.
        for name, _l, _h, secret, _r in transport.fields:
            if secret and data[name]:
                assert data[name] in stored.values(), (kind, name)
    Project.objects.filter(pk=world.alpha.pk).update(
        smtp_url=f"smtp://mailer:{SMTP_PASSWORD}@mail.example.com:587"
    )
    found.append(SMTP_PASSWORD)
    found.append(api_key_create(project=world.alpha, name="crm").secret)
    assert any(s.startswith("whsec_") for s in found)  # the webhook's signing secret
    return found


def _assert_hidden(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where} shows {secret[:12]}…"
        # Nor its bulk: a secret with only a few characters masked is still a secret.
        if len(secret) > 16:
            assert secret[4:-4] not in text, f"{where} shows most of {secret[:12]}…"


@pytest.mark.parametrize("role", ["owner", "admin", "viewer"])
def test_no_dashboard_page_renders_a_secret(world, secrets, role):
    client = world.client_for(role)
    pages = 0
    for name, entries in test_access.MATRIX.items():
        for method, data, kwargs_factory, _expected in entries:
            if method != "get":
                continue
            url = reverse(name, kwargs={"slug": "alpha", **kwargs_factory(world)})
            reply = client.get(url, data)
            if reply.status_code != 200:
                continue
            body = (
                b"".join(reply.streaming_content) if reply.streaming else reply.content
            ).decode()
            _assert_hidden(body, secrets, url)
            pages += 1
    for destination in Destination.objects.filter(project=world.alpha):
        for name in ("project-integration", "project-integration-update"):
            url = reverse(name, args=["alpha", destination.public_id])
            reply = client.get(url)
            assert reply.status_code in (200, 405), url
            _assert_hidden(reply.content.decode(), secrets, url)
            pages += 1
    assert pages > 25


def test_editing_a_destination_without_its_secret_keeps_it(world, secrets):
    """The edit form leaves secret fields blank (write-only); saving it keeps the secret."""
    destination = Destination.objects.get(project=world.alpha, kind="slack")
    before = dict(destination.secrets)
    reply = world.client_for("owner").post(
        reverse("project-integration-update", args=["alpha", destination.public_id]),
        {"name": "Renamed", "url": "", "channel": "#x"},
    )
    assert reply.status_code == 302
    destination.refresh_from_db()
    assert destination.name == "Renamed" and destination.secrets == before


def _api_get_paths() -> list[str]:
    document = rest_api.get_openapi_schema(path_prefix="/api/v1")
    return [
        path for path, methods in document["paths"].items() if "get" in methods and "{" not in path
    ]


def test_no_api_answer_renders_a_secret(world, secrets):
    key = api_key_create(project=world.alpha, name="reader", read_only=True).secret
    client = Client()
    answers: list[Any] = []
    for path in _api_get_paths():
        reply = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
        assert reply.status_code == 200, (path, reply.status_code)
        body = b"".join(reply.streaming_content) if reply.streaming else reply.content
        _assert_hidden(body.decode(), secrets, path)
        answers.append(path)
    basic = base64.b64encode(f"{key}:".encode()).decode()
    names = {p.name for p in delighted.urlpatterns()}
    for path in ("people.json", "survey_responses.json", "metrics.json", "unsubscribes.json",
                 "bounces.json", "autopilot/email.json"):  # fmt: skip
        reply = client.get(f"/delighted/v1/{path}", HTTP_AUTHORIZATION=f"Basic {basic}")
        assert reply.status_code == 200, path
        _assert_hidden(reply.content.decode(), secrets, path)
        answers.append(path)
    assert len(answers) >= 10 and "people" in names
    # The OpenAPI documents carry no secret either.
    for path in ("/api/v1/openapi.json", "/i/v1/openapi.json"):
        _assert_hidden(client.get(path).content.decode(), secrets, path)


def test_api_keys_are_stored_hashed(world):
    from promoter.accounts.models import ApiKey

    created = api_key_create(project=world.alpha, name="k")
    row = ApiKey.objects.filter(pk=created.api_key.pk).values().get()
    assert created.secret not in str(row)
