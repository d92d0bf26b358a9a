"""Writes of displays, responses and declines."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError

from promoter.core.db import insert_guard
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.responses.models import Channel, Decline, Display, Response
from promoter.surveys.models import Survey

COMMENT_MAX_CHARS = 5000


def clean_comment(comment: str) -> str:
    """Return ``comment`` trimmed and without NUL characters, or raise if it is too long."""
    comment = comment.replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ApplicationError(
            code="invalid",
            detail=f"The comment is {len(comment):,} characters long; the limit is "
            f"{COMMENT_MAX_CHARS:,}.",
            fields={"comment": f"at most {COMMENT_MAX_CHARS} characters"},
        )
    return comment


def check_score(*, survey: Survey, score: int) -> None:
    """Raise unless ``score`` is on ``survey``'s scale."""
    low, high = survey.scale
    if not low <= score <= high:
        raise ApplicationError(
            code="invalid",
            detail=f"Score {score} is outside this survey's scale of {low}-{high}.",
            fields={"score": f"must be between {low} and {high}"},
        )


def _record_once(model: type[Display] | type[Decline], row: Display | Decline) -> Any:
    """Insert ``row``; if its client-generated id is already stored, return the stored one."""
    try:
        with insert_guard():
            row.save(force_insert=True)
    except IntegrityError:
        existing = model.objects.filter(public_id=row.public_id).first()
        if existing is None:
            raise
        if (existing.survey_id, existing.end_user_id) != (row.survey_id, row.end_user_id):
            raise ApplicationError(
                code="conflict",
                detail="This id was already used for another survey or person.",
                fields={"id": "already used"},
                status=409,
            ) from None
        return existing
    return row


def display_create(
    *,
    survey: Survey,
    end_user: EndUser,
    channel: str,
    now: datetime.datetime,
    public_id: uuid.UUID | None = None,
) -> Display:
    """Record that ``survey`` was shown to ``end_user`` (once per client-generated id)."""
    row = Display(
        public_id=public_id or uuid.uuid4(),
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        channel=channel,
        created_at=now,
    )
    display: Display = _record_once(Display, row)
    return display


def decline_create(
    *,
    survey: Survey,
    end_user: EndUser,
    channel: str,
    now: datetime.datetime,
    public_id: uuid.UUID | None = None,
) -> Decline:
    """Record that ``end_user`` dismissed ``survey`` (once per client-generated id)."""
    row = Decline(
        public_id=public_id or uuid.uuid4(),
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        channel=channel,
        created_at=now,
    )
    decline: Decline = _record_once(Decline, row)
    return decline


def response_create(
    *,
    public_id: uuid.UUID,
    survey: Survey,
    end_user: EndUser | None,
    score: int,
    comment: str = "",
    locale: str = "",
    channel: str = Channel.WEB,
    origin_url: str = "",
    now: datetime.datetime,
) -> tuple[Response, bool]:
    """Store a response with the client-generated ``public_id``; return it and whether it is new.

    A retry with the same ``public_id`` (the client never saw our reply) returns the stored
    response and stores nothing. The same id used for another survey or person is refused.
    The person's properties are copied onto the response, so segments show who they were then.
    """
    check_score(survey=survey, score=score)
    comment = clean_comment(comment)
    response = Response(
        public_id=public_id,
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        score=score,
        comment=comment,
        locale=locale[:35],
        channel=channel,
        origin_url=origin_url[:2000],
        properties=dict(end_user.properties) if end_user is not None else {},
        created_at=now,
        updated_at=now,
    )
    try:
        with insert_guard():
            response.save(force_insert=True)
    except IntegrityError:
        existing = Response.objects.filter(public_id=public_id).first()
        if existing is None:
            raise
        same = (
            existing.project_id == survey.project_id
            and existing.survey_id == survey.pk
            and existing.end_user_id == (end_user.pk if end_user is not None else None)
        )
        if not same:
            raise ApplicationError(
                code="conflict",
                detail="This response id was already used for another survey or person.",
                fields={"id": "already used"},
                status=409,
            ) from None
        existing.survey = survey
        return existing, False
    return response, True


def response_comment_set(*, response: Response, comment: str, now: datetime.datetime) -> Response:
    """Set the comment a person sent after their score."""
    comment = clean_comment(comment)
    if comment != response.comment:
        response.comment = comment
        response.updated_at = now
        response.save(update_fields=["comment", "updated_at"])
    return response
