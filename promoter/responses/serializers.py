"""What a response says, written once for every interface that writes responses out.

The REST API and the exports (:mod:`promoter.responses.exports`) build on
:func:`response_fields` and only name and format its values for their wire format: the API's
schema keeps UUIDs and datetimes, the export's columns hold text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from promoter.responses.models import Response
from promoter.surveys.scales import category_for

# The fields that every serialization writes as they are, under these names and in this order.
SAID = (
    "survey_kind", "score", "category", "comment", "sentiment", "channel", "locale", "status",
    "tags",
)  # fmt: skip


def response_fields(response: Response, tags: Iterable[str]) -> dict[str, Any]:
    """Return the fields of ``response`` under the REST API's names and in its order, its
    ``tags`` (their names) sorted.

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
        "created_at": response.created_at,
        "updated_at": response.updated_at,
    }
