"""One way for tests to give a survey additional questions and publish them."""

from __future__ import annotations

from typing import Any

from promoter.actions.surveys import survey_publish, survey_questions_save
from promoter.surveys.models import Survey


def ask(survey: Survey, *questions: dict[str, Any]) -> Survey:
    """Save ``questions`` as the survey's draft and publish them; return the fresh survey."""
    survey_questions_save(survey=survey, questions=list(questions))
    survey_publish(survey=survey)
    survey.refresh_from_db()
    return survey
