"""schemathesis over the exported REST API document (docs/openapi.json): generated and
mutated requests never get a 5xx, and every answer matches the document (status, content
type, body schema). ``PROMOTER_FUZZ_EXAMPLES`` sets the cases per operation (``make
test-long`` raises it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from promoter.wsgi import application

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
EXAMPLES = int(os.environ.get("PROMOTER_FUZZ_EXAMPLES", "25"))

schema = schemathesis.openapi.from_path(str(DOCUMENT))
schema.app = application  # type: ignore[attr-defined]


@pytest.fixture
def api_key(world):
    from promoter.accounts.services import api_key_create

    return api_key_create(project=world.alpha, name="fuzz").secret


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_no_schema_violation(case, api_key, settings_override):
    # Every answer is checked against the document: never a 5xx, a declared status, content
    # type, headers and body. Whether a request the schema allows must succeed is not: a
    # cursor of another page or a person with neither id nor e-mail is a 400 by design.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        app=application,
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


@pytest.fixture
def settings_override(settings):
    from django.core import signals
    from django.db import close_old_connections

    settings.API_RATE_LIMIT_PER_MINUTE = 0
    settings.ALLOWED_HOSTS = ["*"]
    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
