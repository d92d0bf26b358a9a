"""Reads of displays, responses and declines."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response


@dataclass(frozen=True)
class ContactHistory:
    """When a person last answered, declined and was asked, per survey and overall."""

    last_response: dict[int, datetime.datetime] = field(default_factory=dict)  # by survey pk
    last_decline: dict[int, datetime.datetime] = field(default_factory=dict)
    last_contact: datetime.datetime | None = None  # any survey, any channel: display/answer/decline


def _latest(model: Any, **filters: Any) -> Subquery:
    rows = model.objects.filter(end_user=OuterRef("pk"), **filters).order_by("-created_at")
    return Subquery(rows.values("created_at")[:1])


def with_contact_history(
    people: QuerySet[EndUser], *, survey_ids: Sequence[int]
) -> QuerySet[EndUser]:
    """Annotate ``people`` with what :func:`contact_history` reads, in the same query.

    Each annotation is a correlated subquery served by the (end_user, survey, created_at)
    indexes, so a person's whole history costs no extra round trip.
    """
    annotations: dict[str, Subquery] = {
        "_last_display_any": _latest(Display),
        "_last_response_any": _latest(Response),
        "_last_decline_any": _latest(Decline),
    }
    for survey_id in survey_ids:
        annotations[f"_last_response_{survey_id}"] = _latest(Response, survey_id=survey_id)
        annotations[f"_last_decline_{survey_id}"] = _latest(Decline, survey_id=survey_id)
    return people.annotate(**annotations)


def contact_history(person: EndUser | None, *, survey_ids: Sequence[int]) -> ContactHistory:
    """Return the history of a person fetched through :func:`with_contact_history`."""
    if person is None:
        return ContactHistory()
    responses: dict[int, datetime.datetime] = {}
    declines: dict[int, datetime.datetime] = {}
    for survey_id in survey_ids:
        if (value := getattr(person, f"_last_response_{survey_id}", None)) is not None:
            responses[survey_id] = value
        if (value := getattr(person, f"_last_decline_{survey_id}", None)) is not None:
            declines[survey_id] = value
    contacts = [
        value
        for name in ("_last_display_any", "_last_response_any", "_last_decline_any")
        if (value := getattr(person, name, None)) is not None
    ]
    return ContactHistory(
        last_response=responses,
        last_decline=declines,
        last_contact=max(contacts) if contacts else None,
    )


def responses_count_since(*, survey_id: int, project_id: int, since: datetime.datetime) -> int:
    """Return how many responses a survey received since ``since`` (for the daily cap)."""
    return Response.objects.filter(
        project_id=project_id, survey_id=survey_id, created_at__gte=since
    ).count()
