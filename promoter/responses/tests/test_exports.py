"""``promoter export``: responses (one column per property), people and tags, as CSV and
JSON Lines, formula-safe, to a file written whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from promoter.demo.seed import seed_project
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create


def export(**options):
    out = io.StringIO()
    call_command("export", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_responses_as_csv_have_one_column_per_property_and_safe_cells(world):
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, email="jane@example.com", external_id="u-1",
        first_seen_at=now, last_seen_at=now, properties={"plan": "pro"},
    )  # fmt: skip
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=world.alpha.surveys.get(kind="nps"), end_user=person,
        score=2, comment='=HYPERLINK("http://evil")', now=now,
    )  # fmt: skip
    response_tag_add(response=response, tag=tag_get_or_create(project=world.alpha, name="Bug"))
    seed_project(project=world.alpha, responses=150, seed=3, until=now)
    rows = list(csv.DictReader(io.StringIO(export(project="alpha", format="csv"))))
    assert len(rows) == Response.objects.filter(project=world.alpha).count() == 151
    mine = next(r for r in rows if r["id"] == str(response.public_id))
    assert mine["comment"].startswith("'=")  # not a formula in a spreadsheet
    assert (mine["category"], mine["tags"]) == ("detractor", "Bug")
    assert mine["person_email"] == "jane@example.com"
    assert mine["property:plan"] == "pro"
    assert {"property:country", "property:plan"} <= set(rows[0])
    assert all(r["survey_kind"] for r in rows)


def test_jsonl_people_and_tags(world):
    now = timezone.now()
    EndUser.objects.create(
        project=world.alpha, email="a@example.com", first_seen_at=now, last_seen_at=now,
        properties={"plan": "free"},
    )  # fmt: skip
    tag_get_or_create(project=world.alpha, name="Pricing")
    lines = export(project="alpha", format="jsonl", what="people").splitlines()
    people = [json.loads(line) for line in lines]
    assert len(people) == 1 and people[0]["id"]
    assert (people[0]["email"], people[0]["property:plan"]) == ("a@example.com", "free")
    tags = export(project="alpha", what="tags")
    assert "Pricing" in tags
    # Another project's data never appears.
    assert "a@example.com" not in export(project="beta", what="people")


def test_a_file_is_written_whole_and_errors_are_one_line(world, tmp_path):
    target = tmp_path / "out.jsonl"
    seed_project(project=world.alpha, responses=30, seed=1, until=timezone.now())
    call_command("export", project="alpha", format="jsonl", output=str(target),
                 stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert len(target.read_text().splitlines()) == 30
    assert not list(tmp_path.glob(".*.part"))
    with pytest.raises(CommandError, match="no project"):
        call_command("export", project="nope")
    with pytest.raises(CommandError, match="no directory"):
        call_command("export", project="alpha", output=str(tmp_path / "missing" / "x.csv"))


def test_answers_are_one_csv_column_per_question_and_nested_in_json_lines(world):
    from promoter.actions.responses import response_record
    from promoter.surveys.tests.asking import ask

    survey = world.alpha.surveys.get(kind="nps")
    ask(
        survey,
        {"id": "use", "type": "multiple_choice", "text": "Use?", "other": True,
         "choices": [{"id": "api", "text": "API"}, {"id": "csv", "text": "CSV"}]},
        {"id": "docs", "type": "rating", "text": "Docs?"},
        {"id": "why", "type": "text", "text": "Why?"},
    )  # fmt: skip
    answered, _ = response_record(
        survey=survey, score=9, person=None, channel="api",
        answers={"use": {"choices": ["csv", "api"], "other": "=cmd"}, "docs": 5},
    )  # fmt: skip
    plain, _ = response_record(survey=survey, score=3, person=None, channel="api")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(export(project="alpha", format="csv")))}
    header = list(next(iter(rows.values())))
    assert header[-3:] == ["answer:use", "answer:docs", "answer:why"]  # the questions' order
    mine = rows[str(answered.public_id)]
    assert mine["answer:use"] == "api; csv; other: =cmd"  # ids joined with "; "
    assert mine["answer:docs"] == "5" and mine["answer:why"] == ""
    assert rows[str(plain.public_id)]["answer:use"] == ""
    lines = [json.loads(line) for line in export(project="alpha", format="jsonl").splitlines()]
    nested = {line["id"]: line["answers"] for line in lines}
    assert nested[str(answered.public_id)] == {
        "use": {"choices": ["api", "csv"], "other": "=cmd"},
        "docs": {"rating": 5},
    }
    assert nested[str(plain.public_id)] == {}
