"""schemathesis over the ingest API's exported document (docs/openapi/ingest-v1.json):
generated and mutated bodies never get a 5xx, and every answer matches the document (status,
content type, body schema); a body the document forbids gets a 4xx.

Most cases carry the project's real key and survey id (a random key would stop every case
at "unknown key"), so the generated values reach the checks behind them and the database.
"""

from __future__ import annotations

import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest

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

DOCUMENT: Path = ROOT / "docs" / "openapi" / "ingest-v1.json"
OPERATIONS = operations_of("ingest", DOCUMENT)

schema = load(DOCUMENT, long=True)
quick_schema = load(DOCUMENT, long=False)
quick_tally, long_tally = tally_fixtures("ingest")


@pytest.fixture
def targets(world, in_process_requests):  # noqa: F811
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    return {"key": world.alpha.public_key, "survey": str(survey.public_id)}


def _aim(case: Any, targets: dict[str, str]) -> None:
    """Give three cases in four the real key and survey, and a person when they name none,
    where that keeps them as valid or as invalid as they were generated (a string key of at
    most 64 characters, a UUID, a person for an absent or null one)."""
    body = case.body
    if not isinstance(body, dict):
        return
    if zlib.crc32(repr(sorted(map(repr, body.items()))).encode()) % 4 == 0:
        return
    key = body.get("key")
    if isinstance(key, str) and len(key) <= 64:
        body["key"] = targets["key"]
    if body.get("user") is None and body.get("anonymous_id") is None:
        body["user"] = {"id": "fuzz-person"}
    survey = body.get("survey")
    if isinstance(survey, str):
        try:
            uuid.UUID(survey)
        except ValueError:
            return
        body["survey"] = targets["survey"]


def _run(case: Any, targets: dict[str, str], counter: Any) -> None:
    _aim(case, targets)
    response = case.call(app=application)
    counter.add(case, response.status_code)
    case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)


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
