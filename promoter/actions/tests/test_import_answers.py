"""``promoter import`` reads the answers to additional questions: one column per question, as
Delighted's export writes them (the header is the question's text, multiple choices joined
with ", "), or a column named with ``--map answer:<question id>=<column>``; a bad answer is
a problem of its row and nothing is imported; a column that names no question stays a
property."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from promoter.actions.imports import Checker, read_table
from promoter.responses.models import Answer, Response
from promoter.surveys.tests.asking import ask

FIXTURE = Path(__file__).parent / "fixtures" / "delighted_additional_questions.csv"

QUESTIONS = [
    {"id": "improve", "type": "multiple_choice", "text": "What should we improve?",
     "other": True, "choices": [{"id": "performance", "text": "Performance"},
                                {"id": "price", "text": "Price"},
                                {"id": "docs", "text": "Docs, tutorials"}]},
    {"id": "setup", "type": "rating", "text": "How easy is setup?"},
    {"id": "pmf", "type": "pmf", "text": ""},
    {"id": "why", "type": "text", "text": "Tell us more"},
]  # fmt: skip


def run(path: Path, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def survey(world):
    return ask(world.alpha.surveys.get(kind="nps"), *QUESTIONS)


def _answers(external: str) -> dict[str, Answer]:
    response = Response.objects.get(public_id__isnull=False, end_user__email=external)
    return {a.question: a for a in response.answers.all()}


def test_a_delighted_export_imports_the_answers_by_question_text(survey, tmp_path):
    out, _ = run(FIXTURE, project="alpha")
    assert "Imported 4 responses" in out
    jane = _answers("jane@example.com")
    assert jane["improve"].value == {"choices": ["performance", "price"]}
    assert jane["improve"].labels == {"performance": "Performance", "price": "Price"}
    assert jane["improve"].text == "What should we improve?"
    assert jane["improve"].version == survey.version == 1
    assert jane["setup"].value == {"rating": 2} and jane["setup"].type == "rating"
    assert jane["pmf"].value == {"choices": ["not_disappointed"]}
    assert jane["pmf"].text == "How would you feel if you could no longer use Alpha?"
    assert "why" not in jane  # its column is not the question's text: a property
    response = Response.objects.get(end_user__email="jane@example.com")
    assert response.properties == {"Plan": "pro", "Anything else?": "Make it faster",
                                   "name": "Jane Doe"}  # fmt: skip
    assert jane["improve"].created_at == response.created_at
    # A choice whose text holds ", " is one choice; a text no choice has is the Other box.
    assert _answers("bob@example.com")["improve"].value == {"choices": ["docs"]}
    assert _answers("ann@example.com")["improve"].value == {"choices": [], "other": "Dark mode"}
    eve = _answers("eve@example.com")
    assert set(eve) == {"pmf"}  # empty cells answer nothing
    assert Answer.objects.count() == 3 + 3 + 2 + 1

    out, _ = run(FIXTURE, project="alpha")  # the same file again: nothing twice
    assert "Imported 0 responses" in out
    assert Answer.objects.count() == 9


def test_a_column_is_mapped_to_a_question_by_its_id(survey, tmp_path):
    run(FIXTURE, project="alpha", map=["answer:why=Anything else?"])
    jane = _answers("jane@example.com")
    assert jane["why"].value == {"text": "Make it faster"} and jane["why"].text == "Tell us more"
    response = Response.objects.get(end_user__email="jane@example.com")
    assert "Anything else?" not in response.properties


@pytest.mark.parametrize(
    ("mapping", "says"),
    [
        ("answer:nope=Plan", "the survey asks no 'nope'"),
        ("answer:why=No such column", "No column 'No such column'"),
    ],
)
def test_a_wrong_answer_mapping_is_refused(survey, mapping, says):
    with pytest.raises(CommandError, match=says):
        run(FIXTURE, project="alpha", map=[mapping])
    assert not Response.objects.exists()


def test_a_bad_answer_is_a_row_problem_and_nothing_is_imported(survey, tmp_path):
    text = FIXTURE.read_text()
    text = text.replace('"Performance, Price",2,', '"Performance, Price",7,')
    text = text.replace("Somewhat disappointed", "Meh")
    path = tmp_path / "bad.csv"
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 of 4 rows have problems: nothing was imported"):
        call_command("import", str(path), project="alpha", stdout=io.StringIO(), stderr=err)
    problems = err.getvalue()
    assert "Row 2: answer to 'setup': must be a whole number from 1 to 5." in problems
    assert "Row 5: answer to 'pmf': 'Meh' is not one of its choices." in problems
    assert not Response.objects.exists() and not Answer.objects.exists()
    out, _ = run(path, project="alpha", valid_only=True)
    assert "Imported 2 responses" in out and "skipped 2 rows" in out
    assert Answer.objects.filter(response__end_user__email="bob@example.com").count() == 3


def test_without_published_questions_the_columns_stay_properties(world):
    run(FIXTURE, project="alpha")
    assert not Answer.objects.exists()
    response = Response.objects.get(end_user__email="jane@example.com")
    assert response.properties["What should we improve?"] == "Performance, Price"


def test_the_checker_says_which_column_answers_which_question(survey):
    checker = Checker(survey=survey, table=read_table(FIXTURE.read_bytes(), "x.csv"), mapping={})
    assert checker.answer_columns == {
        "improve": "What should we improve?",
        "setup": "How easy is setup?",
        "pmf": "How would you feel if you could no longer use Alpha?",
    }


def test_promoters_own_export_round_trips_the_answers(survey, world, tmp_path):
    run(FIXTURE, project="alpha")
    path = tmp_path / "export.csv"
    out = io.StringIO()
    call_command("export", project="alpha", format="csv", stdout=out, stderr=io.StringIO())
    path.write_text(out.getvalue())
    before = {
        (a.response.score, a.question): a.value for a in Answer.objects.select_related("response")
    }
    Response.objects.all().delete()
    out, _ = run(path, project="alpha")
    assert "Imported 4 responses" in out
    after = {
        (a.response.score, a.question): a.value for a in Answer.objects.select_related("response")
    }
    assert after == before
