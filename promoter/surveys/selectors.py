"""Reads of a project's surveys."""

from __future__ import annotations

from typing import Any

from promoter.accounts.models import Project
from promoter.surveys.models import Survey, SurveyVersion


def surveys_for_project(*, project: Project) -> list[Survey]:
    """Return every survey of ``project``, oldest first."""
    return list(Survey.objects.filter(project=project).order_by("created_at", "pk"))


def survey_first_of_kind(*, project: Project, kind: str) -> Survey | None:
    """Return the oldest survey of ``project`` of ``kind``, if it has one."""
    return Survey.objects.filter(project=project, kind=kind).order_by("created_at", "pk").first()


def survey_first_active(*, project: Project, kind: str) -> Survey | None:
    """Return the oldest active survey of ``project`` of ``kind``, else its oldest active
    survey of any kind, if it has one."""
    active = Survey.objects.filter(project=project, is_active=True).order_by("created_at", "pk")
    return active.filter(kind=kind).first() or active.first()


def survey_questions_of_version(*, survey: Survey, number: int) -> list[dict[str, Any]] | None:
    """Return the questions of version ``number`` of ``survey`` (the live one without a
    query), or None when it has no such version."""
    if number == survey.version:
        return list(survey.published_questions or [])
    if number == 0:
        return []
    version = SurveyVersion.objects.filter(survey=survey, number=number).first()
    return list(version.questions) if version is not None else None


def survey_questions_published(*, survey: Survey) -> list[dict[str, Any]]:
    """Return the questions every published version of ``survey`` asked, the live version's
    first, then the older versions', newest first (a question may appear more than once:
    the first is its newest wording). One query, none when it was published once or never."""
    questions = list(survey.published_questions or [])
    if survey.version > 1:
        older = SurveyVersion.objects.filter(survey=survey, number__lt=survey.version)
        for version_questions in older.order_by("-number").values_list("questions", flat=True):
            questions.extend(version_questions or [])
    return questions
