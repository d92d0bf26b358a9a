"""What a response says, written once for every interface that writes responses out.

The REST API and the exports (:mod:`promoter.responses.exports`) build on
:func:`response_fields` and only name and format its values for their wire format: the API's
schema keeps UUIDs and datetimes, the export's columns hold text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from promoter.responses.models import Answer, Response
from promoter.surveys.scales import category_for

# The fields that every serialization writes as they are, under these names and in this order.
SAID = (
    "survey_kind", "score", "category", "comment", "sentiment", "channel", "locale", "status",
    "tags",
)  # fmt: skip


def answer_fields(answer: Answer) -> dict[str, Any]:
    """Return one answer to an additional question: its question's id, type and text as the
    person read it, the version they saw, the value in its stored form
    (surveys/questions.py) and the picked choices' wording."""
    return {
        "question": answer.question,
        "type": answer.type,
        "text": answer.text,
        "version": answer.version,
        "value": answer.value,
        "labels": answer.labels or {},
    }


# Joins the choices of one answer in a CSV cell (docs/rest-api.md, "Exports").
CHOICE_SEPARATOR = "; "


def answer_cell(value: dict[str, Any]) -> str | int:
    """Return an answer's stored value as one CSV cell: the text, the rating, or the choice
    ids joined by CHOICE_SEPARATOR, the Other box last as ``other: <text>``."""
    if "text" in value:
        return str(value["text"])
    if "rating" in value:
        return int(value["rating"])
    parts = [str(c) for c in value.get("choices") or []]
    if value.get("other"):
        parts.append(f"other: {value['other']}")
    return CHOICE_SEPARATOR.join(parts)


def response_fields(
    response: Response, tags: Iterable[str], answers: Iterable[Answer] = ()
) -> dict[str, Any]:
    """Return the fields of ``response`` under the REST API's names and in its order, its
    ``tags`` (their names) sorted and its ``answers`` to additional questions.

    The values are plain (UUIDs, datetimes). The category is that of the score on the
    survey's scale; ``person`` is the EndUser who answered (None when anonymous), for each
    interface to name as it does; ``properties`` are those stored with the answer ({} when
    none). Load ``survey`` and ``end_user`` with the response (``select_related``) or each
    costs a query.
    """
    kind = response.survey.kind
    return {
        "id": response.public_id,
        "survey": response.survey.public_id,
        "survey_kind": kind,
        "score": response.score,
        "category": category_for(kind, response.score),
        "comment": response.comment,
        "sentiment": response.sentiment,
        "channel": response.channel,
        "locale": response.locale,
        "status": response.status,
        "tags": sorted(tags),
        "person": response.end_user,
        "properties": response.properties or {},
        "answers": [answer_fields(a) for a in answers],
        "created_at": response.created_at,
        "updated_at": response.updated_at,
    }
