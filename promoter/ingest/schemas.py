"""The ingest API's input and output shapes (see docs/ingest-api.md)."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from promoter.core.inputs import utc
from promoter.people.properties import check_properties

_ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class Schema(BaseModel):
    """Plain pydantic: the API's inputs are parsed JSON and its outputs dicts, so Ninja's
    ``Schema`` wrapper (each value read through a ``DjangoGetter``, for model instances) is
    not needed; it cost about as much as the rest of the validation on the ingest path."""


def _no_nul(value: str, what: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    return value


# What the parser accepts, said in the document: a date-time string or Unix seconds.
_DATE_TIME_OR_SECONDS: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}, {"type": "null"}]
}


class UserIn(Schema):
    model_config = ConfigDict(extra="ignore")

    id: StrictStr | StrictInt | None = Field(None, description="Your own id for the person.")
    email: StrictStr | None = None
    signed_up_at: Annotated[datetime.datetime | None, WithJsonSchema(_DATE_TIME_OR_SECONDS)] = (
        Field(None, description="ISO 8601 date-time or Unix seconds.")
    )
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str | int | None) -> str | None:
        if value is None:
            return None
        text = _no_nul(str(value).strip(), "id")
        if len(text) > 255:
            raise ValueError("at most 255 characters")
        return text or None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        text = value.strip().lower()
        try:
            validate_email(text)
        except DjangoValidationError:
            raise ValueError("is not a valid e-mail address") from None
        return text

    @field_validator("signed_up_at")
    @classmethod
    def _aware(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return utc(value)  # naive is UTC; +21:53 is legal ISO 8601 but not in PostgreSQL

    @field_validator("properties", mode="before")
    @classmethod
    def _properties(cls, value: Any) -> dict[str, Any]:
        return check_properties(value)  # the limits of every API (promoter/people/properties.py)


class IdentityIn(Schema):
    """What every call carries: the project key and who the person is."""

    model_config = ConfigDict(extra="ignore")

    key: StrictStr = Field(..., max_length=64, description="The project's public key, pk_…")
    user: UserIn | None = None
    anonymous_id: StrictStr | None = Field(None, description="The widget's visitor id.")
    user_hash: StrictStr | None = Field(None, max_length=128)
    channel: Literal["web", "ios", "android"] = "web"

    @field_validator("anonymous_id")
    @classmethod
    def _anonymous_id(cls, value: str | None) -> str | None:
        if value is None or not value:
            return None
        if not _ANONYMOUS_ID.match(value):
            raise ValueError("must be 8-64 letters, digits, '-', '_', '.' or ':'")
        return value


class EligibilityIn(IdentityIn):
    locale: StrictStr = Field("", max_length=35)
    url: StrictStr = Field("", max_length=2000)
    event: StrictStr = Field("", max_length=100)
    survey: uuid.UUID | None = None
    force: StrictBool = False


class ScaleOut(Schema):
    min: int
    max: int


class CategoriesOut(Schema):
    detractor_max: int
    promoter_min: int


class SurveyOut(Schema):
    id: uuid.UUID
    kind: Literal["nps", "csat", "ces"]
    scale: ScaleOut
    categories: CategoriesOut
    locale: str
    texts: dict[str, Any]
    cta_url: str
    trigger_event: str | None
    delay_seconds: int
    look: dict[str, str]
    version: int = Field(description="The version of its questions: send it with the answers.")
    questions: list[dict[str, Any]] = Field(
        description="The additional questions, after the score and the comment "
        "(docs/ingest-api.md, 'Questions')."
    )


class ButtonOut(Schema):
    survey: SurveyOut
    placement: Literal["right", "left", "bottom"]
    label: str


class EligibilityOut(Schema):
    eligible: bool
    reason: str | None
    next_eligible_at: datetime.datetime | None = None
    survey: SurveyOut | None = None
    button: ButtonOut | None = Field(
        None,
        description="The project's feedback button on this channel, whatever `eligible` says: "
        "the tab to show and the survey it opens (answer it with `source` `button`).",
    )
    watch_pages: bool = Field(
        False,
        description="A survey shown on page load names pages: ask again when the page's path "
        "changes without a page load (a single-page app's navigation).",
    )


class SurveyRefIn(IdentityIn):
    id: uuid.UUID | None = Field(None, description="Generated by the client; a retry reuses it.")
    survey: uuid.UUID


class CreatedOut(Schema):
    id: uuid.UUID


ANSWERS = (
    "Answers to the survey's additional questions, by question id: a choice id, a list of "
    "them (multiple choice) or {choices, other}; a text; a rating (docs/ingest-api.md)."
)


class ResponseIn(IdentityIn):
    id: uuid.UUID = Field(..., description="Generated by the client; a retry reuses it.")
    survey: uuid.UUID
    score: StrictInt
    comment: StrictStr = ""
    locale: StrictStr = Field("", max_length=35)
    url: StrictStr = Field("", max_length=2000)
    version: StrictInt | None = Field(
        None, description="The version of the questions shown (the survey's `version`)."
    )
    answers: dict[str, Any] | None = Field(None, description=ANSWERS)
    source: Literal["survey", "button"] = Field(
        "survey",
        description="`button`: given through the survey's feedback button (stored with the "
        "channel `button`; the button's daily limit per person applies, answered with `429`).",
    )


class CommentIn(IdentityIn):
    comment: StrictStr | None = None
    version: StrictInt | None = Field(
        None, description="The version of the questions shown (the survey's `version`)."
    )
    answers: dict[str, Any] | None = Field(None, description=ANSWERS)


class ResponseOut(Schema):
    id: uuid.UUID
    survey: uuid.UUID
    score: StrictInt
    category: Literal["promoter", "passive", "detractor"]
    comment: str


class ErrorOut(Schema):
    detail: str
    code: str
    fields: dict[str, str]


class IneligibleErrorOut(ErrorOut):
    eligible: bool
    reason: str
