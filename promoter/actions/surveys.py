"""The use cases of a survey's questions: save the draft, publish it, duplicate a survey.

A survey's additional questions are edited as a draft (``Survey.questions``); publishing
makes the draft the live version, kept whole and numbered in ``SurveyVersion``, so that an
answer always names the version and the text its person saw (surveys/questions.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from promoter.accounts.models import User
from promoter.core.errors import ApplicationError
from promoter.surveys.models import Survey, SurveyVersion
from promoter.surveys.questions import QuestionsError, questions_clean
from promoter.surveys.services import SURVEY_EDITABLE_FIELDS


def questions_problem(error: QuestionsError) -> ApplicationError:
    """Return the interfaces' error for a refused question document or answer."""
    return ApplicationError(
        code="invalid", detail=f"{error.field}: {error}.", fields={error.field: str(error)}
    )


def survey_questions_save(*, survey: Survey, questions: Any) -> Survey:
    """Check the question document ``questions`` and save it as ``survey``'s draft (the live
    version does not change). Refused (nothing written): a document that does not check."""
    try:
        cleaned = questions_clean(questions)
    except QuestionsError as exc:
        raise questions_problem(exc) from None
    survey.questions = cleaned
    survey.save(update_fields=["questions"])
    return survey


def survey_publish(
    *, survey: Survey, by: User | None = None, now: datetime.datetime | None = None
) -> SurveyVersion | None:
    """Make ``survey``'s draft its live version; return the new version, or None when the
    draft is the live version already (nothing to publish)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        try:
            draft = questions_clean(locked.questions)
        except QuestionsError as exc:  # a draft saved by an older release, say
            raise questions_problem(exc) from None
        if locked.version and draft == locked.published_questions:
            return None
        version = SurveyVersion.objects.create(
            survey=locked,
            number=locked.version + 1,
            questions=draft,
            published_at=now,
            published_by=by,
        )
        Survey.objects.filter(pk=survey.pk).update(
            questions=draft, published_questions=draft, version=version.number
        )
    survey.questions = survey.published_questions = draft
    survey.version = version.number
    return version


# Copied to a duplicate as they are: its settings; its name, activity and versions start anew.
_COPIED = (
    "project_id",
    "kind",
    *(f for f in SURVEY_EDITABLE_FIELDS if f not in ("name", "is_active")),
)


def survey_duplicate(*, survey: Survey, name: str = "") -> Survey:
    """Create a copy of ``survey`` as a draft: switched off, its questions as the draft
    (the original's draft), never published, no answers."""
    name = (name or f"{survey.name} (copy)").strip()[:100]
    copy = Survey(name=name, is_active=False, questions=list(survey.questions or []))
    for field in _COPIED:
        setattr(copy, field, getattr(survey, field))
    copy.save()
    return copy
