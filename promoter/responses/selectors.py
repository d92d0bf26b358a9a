"""Reads of displays, responses and declines."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response


@dataclass(frozen=True)
class ContactHistory:
    """When a person last answered, declined and was asked, per survey and overall."""

    last_response: dict[int, datetime.datetime] = field(default_factory=dict)  # by survey pk
    last_decline: dict[int, datetime.datetime] = field(default_factory=dict)
    last_contact: datetime.datetime | None = None  # any survey, any channel: display/answer/decline


_HISTORY_SQL: str | None = None


def _history_sql() -> str:
    """Return the one query that reads a person's last response, decline and display per
    survey (each part is served by an (end_user, survey, created_at) index)."""
    global _HISTORY_SQL
    if _HISTORY_SQL is None:
        parts = [
            # Table names come from our models, the id is a parameter: no injection.
            f"SELECT '{tag}', survey_id, MAX(created_at) FROM {model._meta.db_table} "  # noqa: S608
            "WHERE end_user_id = %s GROUP BY survey_id"
            for tag, model in (("r", Response), ("d", Decline), ("s", Display))
        ]
        _HISTORY_SQL = " UNION ALL ".join(parts)
    return _HISTORY_SQL


def _aware(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a datetime column as text
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def contact_history(person: EndUser | None) -> ContactHistory:
    """Return when ``person`` last answered and declined each survey, and was last contacted
    by any survey (shown, answered or declined), in one query."""
    if person is None:
        return ContactHistory()
    responses: dict[int, datetime.datetime] = {}
    declines: dict[int, datetime.datetime] = {}
    latest: datetime.datetime | None = None
    with connection.cursor() as cursor:
        cursor.execute(_history_sql(), [person.pk, person.pk, person.pk])
        rows = cursor.fetchall()
    for tag, survey_id, raw in rows:
        when = _aware(raw)
        if when is None:
            continue
        if tag == "r":
            responses[survey_id] = when
        elif tag == "d":
            declines[survey_id] = when
        if latest is None or when > latest:
            latest = when
    return ContactHistory(last_response=responses, last_decline=declines, last_contact=latest)


def responses_count_since(*, survey_id: int, project_id: int, since: datetime.datetime) -> int:
    """Return how many responses a survey received since ``since`` (for the daily cap)."""
    return Response.objects.filter(
        project_id=project_id, survey_id=survey_id, created_at__gte=since
    ).count()
