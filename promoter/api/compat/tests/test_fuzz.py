"""schemathesis over the Delighted-compatible API's document (docs/delighted-openapi.json):
generated requests, JSON and form bodies, never get a 5xx, and every answer matches the
document (declared status, content type, headers, body schema).

Whether schema-invalid input is refused is not checked here: the wire format is lenient on
purpose, as Delighted's was (form bodies carry every value as a string, unknown keys are
ignored, ``expand=person`` and ``expand[]=person`` both work). The explicit bad-input tests
in test_delighted_bad_input.py pin what must be refused, naming the field.
"""

from __future__ import annotations

import base64
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection

from promoter.accounts.services import api_key_create
from promoter.people.models import EndUser
from promoter.responses.services import response_create
from promoter.surveys.models import Survey
from promoter.tests.fuzzing import (
    EXCLUDED_CHECKS,
    ROOT,
    hypothesis_settings,
    in_process_requests,  # noqa: F401  (a fixture)
    load,
    operations_of,
    tally_fixtures,
)
from promoter.wsgi import application

DOCUMENT: Path = ROOT / "docs" / "delighted-openapi.json"
OPERATIONS = operations_of("delighted", DOCUMENT)
# The key is sent with every case (authentication has its own tests: test_isolation.py).
EXCLUDED = [*EXCLUDED_CHECKS, negative_data_rejection, ignored_auth]

schema = load(DOCUMENT, long=True)
quick_schema = load(DOCUMENT, long=False)
quick_tally, long_tally = tally_fixtures("delighted")


@pytest.fixture
def targets(world, in_process_requests):  # noqa: F811
    key = api_key_create(project=world.alpha, name="fuzz").secret
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, email="known@example.com", first_seen_at=now, last_seen_at=now
    )
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=survey,
        end_user=person,
        score=9,
        comment="fine",
        now=timezone.now(),
    )
    return {
        "auth": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
        "response_id": str(response.public_id),
        "identifier": "email:known@example.com",
        "email": "known@example.com",
        "platform": "email",
    }


def _aim(case: Any, targets: dict[str, str]) -> None:
    """Give three cases in four a real response, person and platform in the path."""
    params = case.path_parameters or {}
    if zlib.crc32(repr(sorted(params.items())).encode()) % 4 == 0:
        return
    for name in params:
        if name in targets:
            params[name] = targets[name]


def _run(case: Any, targets: dict[str, str], counter: Any) -> None:
    _aim(case, targets)
    response = case.call(app=application, headers={"Authorization": targets["auth"]})
    counter.add(case, response.status_code)
    case.validate_response(response, excluded_checks=EXCLUDED)


@pytest.mark.django_db
@quick_schema.parametrize()
@hypothesis_settings(OPERATIONS, long=False)
def test_no_server_error_and_no_schema_violation(case, targets, quick_tally):
    _run(case, targets, quick_tally)


@pytest.mark.long
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(OPERATIONS, long=True)
def test_no_server_error_and_no_schema_violation_long(case, targets, long_tally):
    _run(case, targets, long_tally)
