from __future__ import annotations

import datetime
import uuid
from typing import Literal

from ninja import Schema
from pydantic import Field

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
