"""Everything out through the API: ``GET /export/{what}?format=csv|jsonl`` streams a
project's responses, people or tags, as ``promoter export`` writes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router

from promoter.api.people import ERRORS, key_of
from promoter.responses.exports import export_chunks

router = Router(tags=["export"])
TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _stream(project: Any, what: str, fmt: str) -> Iterator[str]:
    for text, _rows in export_chunks(project=project, what=what, fmt=fmt):
        yield text


@router.get(
    "/export/{what}",
    response={200: None, **ERRORS},
    summary="Export responses, people or tags as CSV or JSON Lines",
    openapi_extra={
        "responses": {
            200: {
                "description": "The export, streamed",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            }
        }
    },
)
def export_get(
    request: HttpRequest,
    what: Literal["responses", "people", "tags"],
    format: Literal["csv", "jsonl"] = "csv",
) -> StreamingHttpResponse:
    project = key_of(request).project
    response = StreamingHttpResponse(_stream(project, what, format), content_type=TYPES[format])
    extension = "csv" if format == "csv" else "jsonl"
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-{what}.{extension}"'
    return response
