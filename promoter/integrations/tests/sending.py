"""What each kind's end-to-end test (``integrations/<kind>/tests/``) shares: a detractor's
response, one delivery of it sent through a rule and the outbox to a real server on
127.0.0.1 (the ``receiver`` fixture, or ``smtp``), and its payload compared with the kind's
committed fixture (``<kind>.json`` beside its test), with the ids, times and ports that
change from run to run replaced by placeholders. The tests use the ``site_url`` fixture
(``integrations/conftest.py``), the dashboard's address in the payloads.

Set ``UPDATE_FIXTURES=1`` to rewrite the fixtures after a deliberate change of a payload
(and review the diff).
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
from pathlib import Path
from typing import Any

from django.utils import timezone

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.tests.receiver import Receiver
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create

KINDS = Path(__file__).resolve().parents[1]  # promoter/integrations: a package per kind
RESPONSE_ID = uuid.UUID("00000000-0000-4000-8000-000000000042")
CREATED = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)


def detractor(project: Any, *, comment: str | None = None) -> Response:
    now = timezone.now()
    person = EndUser.objects.create(
        project=project,
        external_id="u-42",
        email="jane@example.com",
        properties={"plan": "pro", "name": "Jane Doe", "mrr_amount": 120},
        first_seen_at=now,
        last_seen_at=now,
    )
    response, _ = response_create(
        public_id=RESPONSE_ID,
        survey=project.surveys.get(kind="nps"),
        end_user=person,
        score=3,
        comment=(
            comment
            if comment is not None
            else "The export <!channel> keeps timing out & the *support* never answers."
        ),
        locale="en",
        origin_url="https://app.example.com/reports",
        sentiment=-0.62,
        now=CREATED,
    )
    response_tag_add(response=response, tag=tag_get_or_create(project=project, name="Export"))
    return response


def normalized(value: Any, replacements: dict[str, str]) -> Any:
    """Return ``value`` with each replacement applied to its strings, recursively."""
    if isinstance(value, dict):
        return {k: normalized(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v, replacements) for v in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
    return value


def check_fixture(name: str, actual: Any) -> None:
    """Assert that ``actual`` is the payload of kind ``name`` committed beside its test, in
    ``<name>/tests/<name>.json`` (``UPDATE_FIXTURES=1`` writes it there first)."""
    path = KINDS / name / "tests" / f"{name}.json"
    if os.environ.get("UPDATE_FIXTURES") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert actual == expected, f"{name}: the payload differs from {name}/tests/{name}.json"


def dynamic(response: Response, delivery: Delivery, receiver: Receiver) -> dict[str, str]:
    return {
        str(delivery.public_id): "<delivery-id>",
        str(response.survey.public_id): "<survey-id>",
        receiver.url: "<receiver>",
    }


def send(response: Response, kind: str, data: dict[str, Any], **rule: Any) -> Delivery:
    destination = destination_create(
        project=response.survey.project, kind=kind, name=f"Test {kind}", data=data
    )
    rule_create(destination=destination, events=[Event.CREATED], **rule)
    deliveries = response_event(response=response, event=Event.CREATED)
    assert len(deliveries) == 1
    outcome = deliveries_process(worker="test")
    assert outcome.delivered == 1, Delivery.objects.get(pk=deliveries[0].pk).last_error
    return Delivery.objects.get(pk=deliveries[0].pk)
