"""The ingest API is a promise: its served OpenAPI document matches the exported one."""

from __future__ import annotations

import json

from django.test import Client

from promoter.management.commands.openapi import DOCS, documents, render


def test_the_exported_openapi_documents_are_up_to_date():
    for name, document in documents().items():
        exported = (DOCS / name).read_text()
        assert render(document) == exported, (
            f"docs/{name} is out of date: run `promoter openapi --write` and add an "
            "entry to docs/api-changelog.md (fields may be added, never removed or retyped)"
        )


def test_the_ingest_api_serves_its_openapi_document():
    served = Client().get("/i/v1/openapi.json").json()
    exported = json.loads((DOCS / "openapi" / "ingest-v1.json").read_text())
    assert set(served["paths"]) == set(exported["paths"])
    assert "/i/v1/eligibility" in served["paths"]
