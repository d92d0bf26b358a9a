"""Saving, publishing and duplicating a survey's questions."""

from __future__ import annotations

import pytest

from promoter.actions.surveys import survey_duplicate, survey_publish, survey_questions_save
from promoter.core.errors import ApplicationError
from promoter.surveys.models import Survey, SurveyVersion

QUESTION = {"id": "why", "type": "text", "text": "Why?"}


def test_a_refused_draft_names_the_field_and_writes_nothing(world):
    survey = world.alpha.surveys.get()
    with pytest.raises(ApplicationError) as raised:
        survey_questions_save(survey=survey, questions=[{**QUESTION, "type": "slider"}])
    assert raised.value.fields == {"questions.0.type": raised.value.fields["questions.0.type"]}
    assert "must be one of" in raised.value.fields["questions.0.type"]
    survey.refresh_from_db()
    assert survey.questions == []


def test_publish_numbers_versions_and_keeps_each_whole(world):
    survey = world.alpha.surveys.get()
    survey_questions_save(survey=survey, questions=[QUESTION])
    first = survey_publish(survey=survey, by=world.owner)
    survey_questions_save(survey=survey, questions=[{**QUESTION, "text": "Why, really?"}])
    survey.refresh_from_db()
    assert (survey.version, survey.published_questions[0]["text"]) == (1, "Why?")
    second = survey_publish(survey=survey, by=world.admin)
    assert first is not None and second is not None
    assert (first.number, second.number, second.published_by) == (1, 2, world.admin)
    assert SurveyVersion.objects.get(survey=survey, number=1).questions[0]["text"] == "Why?"
    survey.refresh_from_db()
    assert survey.version == 2
    assert survey.published_questions == survey.questions


def test_a_duplicate_is_a_switched_off_draft_with_the_same_settings(world):
    survey = world.alpha.surveys.get()
    survey.pages = {"include": [{"op": "equals", "value": "/billing"}]}
    survey.resurvey_after_days = 30
    survey.save()
    survey_questions_save(survey=survey, questions=[QUESTION])
    survey_publish(survey=survey)
    copy = survey_duplicate(survey=survey)
    copy = Survey.objects.get(pk=copy.pk)
    assert copy.pk != survey.pk and copy.public_id != survey.public_id
    assert (copy.name, copy.is_active, copy.version) == ("Net Promoter Score (copy)", False, 0)
    assert copy.questions == survey.questions and copy.published_questions == []
    assert (copy.pages, copy.resurvey_after_days, copy.kind) == (survey.pages, 30, "nps")
    assert not SurveyVersion.objects.filter(survey=copy).exists()
