"""Responses and declines in the REST API: list with filters (cursor pages), get, record a
response server-side (idempotent by your id), and change its comment, status or tags."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field, field_validator

from promoter.actions.responses import response_change, response_record
from promoter.analytics.filters import conditions_parse
from promoter.analytics.selectors import category_q, condition_q, sentiment_q
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
from promoter.responses.models import Channel, Decline, Response, ResponseTag, Tag
from promoter.responses.selectors import tag_by_name
from promoter.responses.serializers import response_fields
from promoter.surveys.models import Survey
from promoter.surveys.scales import CATEGORIES

router = Router(tags=["responses"])


def _ref(person: Any) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.public_id, "external_id": person.external_id, "email": person.email}


def response_out(r: Response, tags: list[str]) -> dict[str, Any]:
    fields = response_fields(r, tags)
    return {**fields, "person": _ref(fields["person"])}


def _tags_of(rows: list[Response]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {r.pk: [] for r in rows}
    for link in ResponseTag.objects.filter(response__in=rows).select_related("tag"):
        found[link.response_id].append(link.tag.name)
    return found


def _survey(project: Any, survey_id: uuid.UUID) -> Survey:
    survey = Survey.objects.filter(project=project, public_id=survey_id).first()
    if survey is None:
        raise ApplicationError(
            code="not_found", detail="No such survey.", fields={"survey": "unknown"}, status=404
        )
    return survey


def _response(project: Any, response_id: uuid.UUID) -> Response:
    found = (
        Response.objects.select_related("survey", "end_user", "project")
        .filter(project=project, public_id=response_id)
        .first()
    )
    if found is None:
        raise Http404("No such response.")
    return found


class ResponseFilters(s.Schema):
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
    qs = Response.objects.filter(project=project, excluded=False)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    if filters.updated_since:
        qs = qs.filter(updated_at__gte=filters.updated_since)
    if filters.survey:
        qs = qs.filter(survey=_survey(project, filters.survey))
    if filters.category:
        unknown = [c for c in filters.category if c not in CATEGORIES]
        if unknown:
            raise ApplicationError(
                code="invalid",
                detail=f"Unknown category {unknown[0]!r}.",
                fields={"category": "promoter, passive or detractor"},
            )
        by_kind = Response.objects.none()
        for kind in ("nps", "csat", "ces"):
            by_kind = by_kind | qs.filter(survey__kind=kind).filter(
                category_q(kind, filters.category)
            )
        qs = by_kind
    if filters.score is not None:
        qs = qs.filter(score=filters.score)
    if filters.tag:
        tag = tag_by_name(project=project, name=filters.tag)
        qs = qs.filter(response_tags__tag=tag) if tag else qs.none()
    if filters.has_comment is True:
        qs = qs.exclude(comment="")
    elif filters.has_comment is False:
        qs = qs.filter(comment="")
    if filters.sentiment:
        try:
            qs = qs.filter(sentiment_q(filters.sentiment))
        except ValueError as exc:
            raise ApplicationError(
                code="invalid",
                detail=str(exc),
                fields={"sentiment": "positive, neutral or negative"},
            ) from None
    try:
        conditions = conditions_parse(filters.where)
    except ValueError as exc:
        raise ApplicationError(
            code="invalid", detail=f"{exc}.", fields={"where": "malformed"}
        ) from None
    for condition in conditions:
        qs = qs.filter(condition_q(condition))
    page = paginate(
        qs.select_related("survey", "end_user"), cursor=filters.cursor, limit=filters.limit
    )
    link = link_header(request, page)
    if link:
        response["Link"] = link
    tags = _tags_of(page.items)
    return {
        "items": [response_out(r, tags[r.pk]) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/responses/{response_id}", response={200: s.ResponseOut, **ERRORS}, summary="Get a response"
)
def response_get(request: HttpRequest, response_id: uuid.UUID) -> dict[str, Any]:
    found = _response(key_of(request).project, response_id)
    return response_out(found, _tags_of([found])[found.pk])


@router.post(
    "/responses",
    response={200: s.ResponseOut, 201: s.ResponseOut, 409: s.ErrorOut, **ERRORS},
    summary="Record a response (a retry with the same id returns the stored one)",
)
def response_create(request: HttpRequest, payload: s.ResponseIn) -> Status[dict[str, Any]]:
    project = key_of(request).project
    survey = _survey(project, payload.survey)
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
    )
    stored = _response(project, stored.public_id)
    return Status(201 if created else 200, response_out(stored, _tags_of([stored])[stored.pk]))


@router.patch(
    "/responses/{response_id}",
    response={200: s.ResponseOut, **ERRORS},
    summary="Change a response's comment, status or tags",
)
def response_patch(
    request: HttpRequest, response_id: uuid.UUID, payload: s.ResponsePatch
) -> dict[str, Any]:
    project = key_of(request).project
    found = _response(project, response_id)
    with transaction.atomic():
        if payload.comment is not None:
            response_change(response=found, comment=payload.comment)
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
    found = _response(project, response_id)
    return response_out(found, _tags_of([found])[found.pk])


class DeclineFilters(s.Schema):
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
    qs = Decline.objects.filter(project=key_of(request).project)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
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
