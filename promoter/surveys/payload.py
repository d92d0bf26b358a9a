"""What the widget needs to show a survey: its texts in a person's language, its scale and
categories, its look and its questions (the live version's, or the draft's for the
designer's preview). One definition for the ingest API's eligibility answer and the
preview page (docs/ingest-api.md, "POST /i/v1/eligibility")."""

from __future__ import annotations

from typing import Any

from promoter.accounts.models import Project
from promoter.surveys.look import look_resolve
from promoter.surveys.models import Survey
from promoter.surveys.questions import as_asked
from promoter.surveys.scales import THRESHOLDS
from promoter.surveys.texts import product_name, resolve_texts


def survey_payload(*, project: Project, survey: Survey, locale: str) -> dict[str, Any]:
    """Return what the widget needs to show ``survey`` to a person preferring ``locale``."""
    low, high = survey.scale
    product = product_name(project)
    chosen, texts = resolve_texts(
        kind=survey.kind,
        scale=(low, high),
        custom=survey.texts or {},
        locale=locale,
        product=product,
    )
    look = look_resolve(project.look, survey.look)
    detractor_max, promoter_min = THRESHOLDS[survey.kind]
    return {
        "id": survey.public_id,
        "kind": survey.kind,
        "scale": {"min": low, "max": high},
        "categories": {"detractor_max": detractor_max, "promoter_min": promoter_min},
        "locale": chosen,
        "texts": texts,
        "cta_url": survey.cta_url or "",
        "trigger_event": survey.trigger_event or None,
        "delay_seconds": survey.delay_seconds,
        "look": look,
        "version": survey.version,
        "questions": as_asked(survey.published_questions or [], product=product),
    }


def survey_preview_payload(*, project: Project, survey: Survey, locale: str) -> dict[str, Any]:
    """Return :func:`survey_payload` with ``survey``'s DRAFT questions in place of the live
    version's: what the designer's preview shows (never sent to a person)."""
    payload = survey_payload(project=project, survey=survey, locale=locale)
    payload["questions"] = as_asked(survey.questions or [], product=product_name(project))
    return payload
