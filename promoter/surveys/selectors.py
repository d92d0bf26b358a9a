"""Reads of a project's surveys."""

from __future__ import annotations

from promoter.accounts.models import Project
from promoter.surveys.models import Survey


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
