"""Surveys, tags and metrics in the REST API. Metrics come from the analytics selectors and
statistics, the very figures the dashboard shows."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import field_validator

from promoter import access
from promoter.analytics import metrics
from promoter.analytics.figures import overview_figure
from promoter.analytics.filters import answer_conditions, where_conditions
from promoter.analytics.selectors import ResponseFilter, histograms_by_property
from promoter.api import schemas as s
from promoter.api.people import ERRORS, key_of
from promoter.core.errors import ApplicationError
from promoter.core.inputs import utc
from promoter.responses.selectors import tags_for_project
from promoter.surveys.models import Survey
from promoter.surveys.selectors import (
    survey_first_of_kind,
    survey_questions_published,
    surveys_for_project,
)
from promoter.surveys.services import survey_update

# The window a metrics query may name: a date outside it is a mistake, not a period.
EARLIEST = datetime.datetime(1970, 1, 1)
LATEST = datetime.datetime(2200, 1, 1)

router = Router(tags=["surveys"])


def survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.public_id,
        "name": survey.name,
        "kind": survey.kind,
        "is_active": survey.is_active,
        "channels": list(survey.channels or []),
        "first_survey_after_days": survey.first_survey_after_days,
        "resurvey_after_days": survey.resurvey_after_days,
        "after_decline_days": survey.after_decline_days,
        "sampling_percent": survey.sampling_percent,
        "daily_cap": survey.daily_cap,
        "created_at": survey.created_at,
    }


def _survey(request: HttpRequest, survey_id: uuid.UUID) -> Survey:
    return access.survey_get_in_project(project=key_of(request).project, public_id=survey_id)


@router.get("/surveys", response={200: list[s.SurveyOut], **ERRORS}, summary="List surveys")
def surveys(request: HttpRequest) -> list[dict[str, Any]]:
    return [survey_out(x) for x in surveys_for_project(project=key_of(request).project)]


@router.get("/surveys/{survey_id}", response={200: s.SurveyOut, **ERRORS}, summary="Get a survey")
def survey_get(request: HttpRequest, survey_id: uuid.UUID) -> dict[str, Any]:
    return survey_out(_survey(request, survey_id))


@router.patch(
    "/surveys/{survey_id}", response={200: s.SurveyOut, **ERRORS}, summary="Change settings"
)
def survey_patch(
    request: HttpRequest, survey_id: uuid.UUID, payload: s.SurveyPatch
) -> dict[str, Any]:
    survey = _survey(request, survey_id)
    changes = payload.dict(exclude_unset=True)
    if "name" in changes and not str(changes["name"]).strip():
        raise ApplicationError(
            code="invalid", detail="A survey needs a name.", fields={"name": "required"}
        )
    return survey_out(survey_update(survey=survey, data=changes))


@router.get("/tags", response={200: list[s.TagOut], **ERRORS}, summary="List tags")
def tags(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": t.public_id,
            "name": t.name,
            "color": t.color,
            "parent": t.parent.name if t.parent_id and t.parent else None,
        }
        for t in tags_for_project(project=key_of(request).project)
    ]


class MetricsQuery(Schema):
    survey: uuid.UUID | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    where: list[str] = []
    answer: list[str] = []
    by: str | None = None
    bucket: Literal["day", "week", "month"] | None = None

    @field_validator("since", "until")
    @classmethod
    def _plausible(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        # Buckets and day boundaries are computed from these: year 9999 would overflow.
        value = utc(value)
        if value is not None and not EARLIEST <= value.replace(tzinfo=None) < LATEST:
            raise ValueError(f"must be from {EARLIEST.year} to {LATEST.year - 1}")
        return value


def _figure(summary: metrics.Summary) -> dict[str, Any]:
    return {
        "n": summary.n,
        "score": summary.score,
        "low": summary.low,
        "high": summary.high,
        "promoters": summary.promoters,
        "passives": summary.passives,
        "detractors": summary.detractors,
    }


@router.get(
    "/metrics",
    response={200: s.MetricsOut, **ERRORS},
    summary="Score with its 95% interval, by property or over time",
)
def metrics_get(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    project = key_of(request).project
    if query.survey is not None:
        survey = _survey(request, query.survey)
    else:
        first = survey_first_of_kind(project=project, kind="nps")
        if first is None:
            raise access.NotFound("survey")
        survey = first
    conditions = where_conditions(query.where)
    answers = (
        answer_conditions(query.answer, survey_questions_published(survey=survey))
        if query.answer
        else ()
    )
    if query.since and query.until and query.since >= query.until:
        raise ApplicationError(
            code="invalid", detail="since must be before until.", fields={"since": "after until"}
        )
    flt = ResponseFilter(
        survey=survey,
        since=query.since,
        until=query.until,
        conditions=conditions,
        answers=answers,
    )
    kind = survey.kind
    figure = overview_figure(project=project, flt=flt, bucket=query.bucket)
    document: dict[str, Any] = {
        "survey": survey.public_id,
        "kind": kind,
        "since": query.since,
        "until": query.until,
        "overall": _figure(figure.summary),
        "by": query.by,
        "bucket": query.bucket,
    }
    if query.by is not None:  # the empty name is a property name too
        document["breakdown"] = [
            {"value": value, **_figure(metrics.summarize(kind, bins))}
            for value, bins in histograms_by_property(project=project, flt=flt, name=query.by)
        ]
    if query.bucket:
        document["trend"] = [
            {"start": point.start, **_figure(point.summary)} for point in figure.trend
        ]
    return document
