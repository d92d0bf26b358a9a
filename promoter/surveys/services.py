"""Writes for surveys."""

from __future__ import annotations

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
