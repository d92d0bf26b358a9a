"""Responses and declines in the REST API: list with filters (cursor pages), get, record a
response server-side (idempotent by your id), and change its comment, status or tags."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from promoter import access
from promoter.actions.responses import response_change, response_record
from promoter.analytics.filters import answer_conditions, where_conditions
from promoter.analytics.selectors import responses_listed
from promoter.api import schemas as s
from promoter.api.pagination import link_header, paginate
from promoter.api.people import ERRORS, key_of
from promoter.core.errors import ApplicationError
from promoter.core.inputs import utc
from promoter.integrations.models import Event
from promoter.integrations.routing import response_event
from promoter.people.services import Identity
from promoter.responses import services as responses
from promoter.responses import triage
from promoter.responses.models import Answer, Channel, Response, Tag
from promoter.responses.selectors import answers_of, declines_listed, tag_by_name, tag_names_of
from promoter.responses.serializers import response_fields
from promoter.surveys.scales import CATEGORIES
from promoter.surveys.selectors import survey_questions_published

router = Router(tags=["responses"])


def _ref(person: Any) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.public_id, "external_id": person.external_id, "email": person.email}


def response_out(r: Response, tags: list[str], answers: list[Answer]) -> dict[str, Any]:
    fields = response_fields(r, tags, answers)
    return {**fields, "person": _ref(fields["person"])}


def _one_out(found: Response) -> dict[str, Any]:
    return response_out(found, tag_names_of([found])[found.pk], answers_of([found])[found.pk])


class ResponseFilters(Schema):
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    updated_since: datetime.datetime | None = None
    survey: uuid.UUID | None = None
    category: list[Literal["promoter", "passive", "detractor"]] = []
    score: int | None = None
    tag: str | None = None
    has_comment: bool | None = None
    sentiment: list[Literal["positive", "neutral", "negative"]] = []
    where: list[str] = []
    answer: list[str] = []
    cursor: str | None = None
    limit: int | None = Field(None, ge=1, le=500)

    @field_validator("since", "until", "updated_since")
    @classmethod
    def _in_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return utc(value)


@router.get("/responses", response={200: s.ResponsesPage, **ERRORS}, summary="List responses")
def responses_list(
    request: HttpRequest, response: HttpResponse, filters: Query[ResponseFilters]
) -> dict[str, Any]:
    project = key_of(request).project
    unknown = [c for c in filters.category if c not in CATEGORIES]
    if unknown:
        raise ApplicationError(
            code="invalid",
            detail=f"Unknown category {unknown[0]!r}.",
            fields={"category": "promoter, passive or detractor"},
        )
    conditions = where_conditions(filters.where)
    survey = (
        access.survey_get_in_project(project=project, public_id=filters.survey)
        if filters.survey
        else None
    )
    # With a survey, each condition is checked against its questions; without, the same
    # question id may name a question of each survey, so only the form is checked.
    answered = answer_conditions(
        filters.answer,
        survey_questions_published(survey=survey) if survey and filters.answer else None,
    )
    try:
        qs = responses_listed(
            project=project,
            since=filters.since,
            until=filters.until,
            updated_since=filters.updated_since,
            survey=survey,
            categories=filters.category,
            score=filters.score,
            tag=filters.tag,
            has_comment=filters.has_comment,
            sentiments=filters.sentiment,
            conditions=conditions,
            answers=answered,
        )
    except ValueError as exc:  # an unknown sentiment
        raise ApplicationError(
            code="invalid", detail=str(exc), fields={"sentiment": "positive, neutral or negative"}
        ) from None
    page = paginate(
        qs.select_related("survey", "end_user"), cursor=filters.cursor, limit=filters.limit
    )
    link = link_header(request, page)
    if link:
        response["Link"] = link
    tags = tag_names_of(page.items)
    answers = answers_of(page.items)
    return {
        "items": [response_out(r, tags[r.pk], answers[r.pk]) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/responses/{response_id}", response={200: s.ResponseOut, **ERRORS}, summary="Get a response"
)
def response_get(request: HttpRequest, response_id: uuid.UUID) -> dict[str, Any]:
    found = access.response_get_in_project(project=key_of(request).project, public_id=response_id)
    return _one_out(found)


@router.post(
    "/responses",
    response={200: s.ResponseOut, 201: s.ResponseOut, 409: s.ErrorOut, **ERRORS},
    summary="Record a response (a retry with the same id returns the stored one)",
)
def response_create(request: HttpRequest, payload: s.ResponseIn) -> Status[dict[str, Any]]:
    project = key_of(request).project
    survey = access.survey_get_in_project(project=project, public_id=payload.survey)
    person = None
    if payload.person is not None:
        if not payload.person.external_id and not payload.person.email:
            raise ApplicationError(
                code="invalid", detail="Name the person.", fields={"person": "external_id or email"}
            )
        person = Identity(
            external_id=payload.person.external_id or None,
            email=payload.person.email or None,
            properties=payload.person.properties,
        )
    stored, created = response_record(
        survey=survey,
        score=payload.score,
        person=person,
        channel=Channel.API,
        comment=payload.comment,
        locale=payload.locale,
        created_at=payload.created_at,
        public_id=payload.id,
        answers=payload.answers,
        version=payload.version,
    )
    stored = access.response_get_in_project(project=project, public_id=stored.public_id)
    return Status(201 if created else 200, _one_out(stored))


@router.patch(
    "/responses/{response_id}",
    response={200: s.ResponseOut, **ERRORS},
    summary="Change a response's comment, answers, status or tags",
)
def response_patch(
    request: HttpRequest, response_id: uuid.UUID, payload: s.ResponsePatch
) -> dict[str, Any]:
    project = key_of(request).project
    found = access.response_get_in_project(project=project, public_id=response_id)
    with transaction.atomic():
        if payload.comment is not None or payload.answers:
            response_change(
                response=found,
                comment=payload.comment,
                answers=payload.answers,
                version=payload.version,
            )
        if payload.status is not None:
            triage.response_set_status(response=found, status=payload.status, actor=None)
        for name in payload.add_tags:
            tag, added = responses.response_tag_add_named(response=found, name=name)
            if added:
                response_event(response=found, event=Event.TAGGED, tag=tag)
        for name in payload.remove_tags:
            tag_found: Tag | None = tag_by_name(project=project, name=name)
            if tag_found is not None:
                responses.response_tag_remove(response=found, tag=tag_found)
    found = access.response_get_in_project(project=project, public_id=response_id)
    return _one_out(found)


class DeclineFilters(Schema):
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    cursor: str | None = None
    limit: int | None = Field(None, ge=1, le=500)

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return utc(value)


@router.get("/declines", response={200: s.DeclinesPage, **ERRORS}, summary="List declines")
def declines(
    request: HttpRequest, response: HttpResponse, filters: Query[DeclineFilters]
) -> dict[str, Any]:
    qs = declines_listed(project=key_of(request).project, since=filters.since, until=filters.until)
    page = paginate(
        qs.select_related("survey", "end_user"), cursor=filters.cursor, limit=filters.limit
    )
    link = link_header(request, page)
    if link:
        response["Link"] = link
    return {
        "items": [
            {
                "id": d.public_id,
                "survey": d.survey.public_id,
                "person": _ref(d.end_user),
                "channel": d.channel,
                "created_at": d.created_at,
            }
            for d in page.items
        ],
        "next_cursor": page.next_cursor,
    }
