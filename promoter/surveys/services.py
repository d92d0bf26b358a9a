"""Writes for surveys."""

from __future__ import annotations

from typing import Any

from promoter.accounts.models import Project
from promoter.surveys.models import DEFAULT_TEXTS, Survey, SurveyKind


def survey_create(*, project: Project, kind: str, name: str = "") -> Survey:
    """Create a survey of ``kind`` with the default English texts."""
    label = SurveyKind(kind).label
    return Survey.objects.create(
        project=project,
        kind=kind,
        name=name or f"{label} survey",
        texts={"en": dict(DEFAULT_TEXTS[kind])},
    )


def survey_create_defaults(*, project: Project) -> list[Survey]:
    """Give a new project its NPS survey, so the install snippet works at once."""
    return [survey_create(project=project, kind=SurveyKind.NPS, name="Net Promoter Score")]


SURVEY_EDITABLE_FIELDS = (
    "name",
    "is_active",
    "trigger_event",
    "delay_seconds",
    "first_survey_after_days",
    "resurvey_after_days",
    "after_decline_days",
    "sampling_percent",
    "anonymous_sampling_percent",
    "daily_cap",
    "cta_url",
    "link_anonymous",
    "channels",
    "targeting",
    "pages",
    "look",
    "button",
    "texts",
)


def survey_update(*, survey: Survey, data: dict[str, Any]) -> Survey:
    """Save the settings in ``data`` (a subset of SURVEY_EDITABLE_FIELDS) on ``survey``."""
    unknown = set(data) - set(SURVEY_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(survey, name, value)
    if data:
        survey.save(update_fields=list(data))
    return survey
