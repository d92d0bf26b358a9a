from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictInt, field_validator

from promoter.core.inputs import utc
from promoter.people.properties import check_properties

HookEvent = Literal["response.created", "response.updated", "response.tagged"]


class ErrorOut(Schema):
    detail: str
    code: str
    fields: dict[str, str]


class HookFiltersIn(Schema):
    categories: list[Literal["promoter", "passive", "detractor"]] = []
    has_comment: bool | None = None
    survey_kind: Literal["", "nps", "csat", "ces"] = ""


class HookIn(Schema):
    target_url: str = Field(
        max_length=2000, description="Where to POST each event (Zapier's hook URL)."
    )
    event: HookEvent
    filters: HookFiltersIn | None = None


class HookOut(Schema):
    id: uuid.UUID
    target_url: str
    event: str
    created_at: datetime.datetime


# People -------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: uuid.UUID
    external_id: str | None
    email: str | None
    properties: dict[str, Any]
    locale: str
    signed_up_at: datetime.datetime | None
    first_seen_at: datetime.datetime
    last_seen_at: datetime.datetime
    unsubscribed_at: datetime.datetime | None
    bounced_at: datetime.datetime | None


class PeoplePage(Schema):
    items: list[PersonOut]
    next_cursor: str | None


class PersonIn(Schema):
    external_id: str | None = Field(None, max_length=255, description="Your id of the person.")
    email: str | None = Field(None, max_length=254)
    properties: dict[str, Any] = {}
    locale: str = Field("", max_length=35)
    signed_up_at: datetime.datetime | None = None

    _properties = field_validator("properties", mode="before")(check_properties)

    @field_validator("signed_up_at")
    @classmethod
    def _in_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return utc(value)


class PersonPatch(Schema):
    email: str | None = Field(None, max_length=254)
    properties: dict[str, Any] | None = Field(None, description="Merged into the stored ones.")
    locale: str | None = Field(None, max_length=35)

    @field_validator("properties", mode="before")
    @classmethod
    def _properties(cls, value: Any) -> dict[str, Any] | None:
        return None if value is None else check_properties(value)


# Responses ----------------------------------------------------------------------------------


class PersonRef(Schema):
    id: uuid.UUID
    external_id: str | None
    email: str | None


class AnswerOut(Schema):
    question: str = Field(description="The question's id.")
    type: str
    text: str = Field(description="The question as the person read it.")
    version: int = Field(description="The version of the survey's questions they saw.")
    value: dict[str, Any] = Field(
        description='{"choices": [ids], "other": "…"}, {"text": "…"} or {"rating": n}.'
    )
    labels: dict[str, str] = Field(description="The picked choices' wording, by choice id.")


ANSWERS_IN = (
    "Answers to the survey's additional questions, by question id: a choice id, a list of "
    "them, or {choices, other}; a text; a rating (docs/ingest-api.md, 'Questions')."
)


class ResponseOut(Schema):
    id: uuid.UUID
    survey: uuid.UUID
    survey_kind: str
    score: int
    category: str
    comment: str
    sentiment: float | None
    channel: str
    locale: str
    status: str
    tags: list[str]
    person: PersonRef | None
    properties: dict[str, Any]
    answers: list[AnswerOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ResponsesPage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class PersonRefIn(Schema):
    external_id: str | None = Field(None, max_length=255)
    email: str | None = Field(None, max_length=254)
    properties: dict[str, Any] = {}

    _properties = field_validator("properties", mode="before")(check_properties)


class ResponseIn(Schema):
    id: uuid.UUID | None = Field(None, description="Yours, to make retries safe (default: new).")
    survey: uuid.UUID
    score: StrictInt
    comment: str = Field("", max_length=5000)
    person: PersonRefIn | None = None
    locale: str = Field("", max_length=35)
    created_at: datetime.datetime | None = Field(None, description="Default: now.")
    answers: dict[str, Any] | None = Field(None, description=ANSWERS_IN)
    version: StrictInt | None = Field(
        None, description="The version of the questions answered (default: the live one)."
    )

    @field_validator("created_at")
    @classmethod
    def _in_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return utc(value)


class ResponsePatch(Schema):
    comment: str | None = Field(None, max_length=5000)
    answers: dict[str, Any] | None = Field(None, description=ANSWERS_IN)
    version: StrictInt | None = Field(
        None,
        description="The version of the questions answered (default: that of the "
        "response's earlier answers, else the live one).",
    )
    status: Literal["open", "closed"] | None = None
    add_tags: list[str] = []
    remove_tags: list[str] = []


# Declines, surveys, tags, metrics -----------------------------------------------------------


class DeclineOut(Schema):
    id: uuid.UUID
    survey: uuid.UUID
    person: PersonRef | None
    channel: str
    created_at: datetime.datetime


class DeclinesPage(Schema):
    items: list[DeclineOut]
    next_cursor: str | None


class SurveyOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    is_active: bool
    channels: list[str]
    first_survey_after_days: int
    resurvey_after_days: int
    after_decline_days: int
    sampling_percent: int
    daily_cap: int | None
    created_at: datetime.datetime


class SurveyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    is_active: bool | None = None
    first_survey_after_days: int | None = Field(None, ge=0, le=3650)
    resurvey_after_days: int | None = Field(None, ge=0, le=3650)
    after_decline_days: int | None = Field(None, ge=0, le=3650)
    sampling_percent: int | None = Field(None, ge=0, le=100)
    daily_cap: int | None = Field(None, ge=1)


class TagOut(Schema):
    id: uuid.UUID
    name: str
    color: str
    parent: str | None


class Figure(Schema):
    n: int
    score: float | None
    low: float | None
    high: float | None
    promoters: int
    passives: int
    detractors: int


class GroupFigure(Figure):
    value: str


class PeriodFigure(Figure):
    start: datetime.date


class MetricsOut(Schema):
    survey: uuid.UUID
    kind: str
    since: datetime.datetime | None
    until: datetime.datetime | None
    overall: Figure
    by: str | None = None
    breakdown: list[GroupFigure] = []
    bucket: str | None = None
    trend: list[PeriodFigure] = []
