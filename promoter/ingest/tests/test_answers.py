"""Additional questions through the ingest API: the survey carries its live version, answers
come with the score or later, every kind of bad answer is refused with nothing stored, and an
edited live survey keeps what was answered with the text its person saw."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from promoter.actions.surveys import survey_publish, survey_questions_save
from promoter.people.models import EndUser
from promoter.responses.models import Answer, Response
from promoter.surveys.models import Survey, SurveyVersion

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "reason",
        "type": "single_choice",
        "text": "What should {product} fix first?",
        "choices": [
            {"id": "performance", "text": "Performance"},
            {"id": "price", "text": "Price"},
            {"id": "support", "text": "Support"},
        ],
        "other": True,
        "show_if": [{"kind": "category", "categories": ["detractor"]}],
    },
    {
        "id": "slow",
        "type": "text",
        "text": "Which page is slow?",
        "show_if": [{"kind": "answer", "question": "reason", "choices": ["performance"]}],
    },
    {
        "id": "features",
        "type": "multiple_choice",
        "text": "Which do you use?",
        "choices": [{"id": "api", "text": "API"}, {"id": "export", "text": "Export"}],
    },
    {"id": "stars", "type": "rating", "text": "Rate our docs", "required": True},
    {"id": "pmf", "type": "pmf", "text": ""},
    {"id": "enterprise", "type": "yes_no", "text": "Is this for work?",
     "show_if": [{"kind": "property", "property": "plan", "op": "eq", "value": "pro"}]},
    {"id": "bye", "type": "message", "text": "Thanks!", "cta_text": "Read the changelog",
     "cta_url": "https://example.com/changelog"},
]  # fmt: skip


pytestmark = pytest.mark.usefixtures("clean_cache")


@pytest.fixture
def survey(world) -> Survey:
    nps = world.alpha.surveys.get(kind="nps")
    survey_questions_save(survey=nps, questions=QUESTIONS)
    survey_publish(survey=nps, by=world.owner)
    return nps


def call(method: str, path: str, body: Any) -> Any:
    client = Client()
    send = client.post if method == "POST" else client.patch
    return send(f"/i/v1/{path}", json.dumps(body), content_type="application/json")


def respond(world, survey: Survey, score: int, rid: str | None = None, **extra: Any) -> Any:
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u1", "properties": {"plan": "pro"}},
        "id": rid or str(uuid.uuid4()),
        "survey": str(survey.public_id),
        "score": score,
        **extra,
    }
    return call("POST", "responses", body)


def later(world, rid: str, **extra: Any) -> Any:
    body = {"key": world.alpha.public_key, "user": {"id": "u1"}, **extra}
    return call("PATCH", f"responses/{rid}", body)


def stored(rid: str) -> dict[str, Any]:
    return {
        a.question: a.value
        for a in Answer.objects.filter(response__public_id=rid).order_by("question")
    }


def test_the_survey_carries_its_live_questions_worded_for_people(world, survey):
    reply = call("POST", "eligibility", {"key": world.alpha.public_key, "user": {"id": "u9"}})
    data = reply.json()["survey"]
    assert data["version"] == 1
    questions = data["questions"]
    assert [q["id"] for q in questions] == [q["id"] for q in QUESTIONS]
    assert questions[0]["text"] == "What should Alpha fix first?"
    assert questions[4]["text"] == "How would you feel if you could no longer use Alpha?"
    assert [c["id"] for c in questions[4]["choices"]] == [
        "very_disappointed", "somewhat_disappointed", "not_disappointed"
    ]  # fmt: skip
    assert [c["text"] for c in questions[5]["choices"]] == ["Yes", "No"]
    # A draft is not live until it is published.
    survey_questions_save(survey=survey, questions=QUESTIONS[:1])
    reply = call("POST", "eligibility", {"key": world.alpha.public_key, "user": {"id": "u8"}})
    assert len(reply.json()["survey"]["questions"]) == len(QUESTIONS)


def test_answers_come_with_the_score_and_later_and_update_the_response(world, survey):
    rid = str(uuid.uuid4())
    answers = {"reason": "performance", "features": ["export", "api"], "stars": 4}
    reply = respond(world, survey, 2, rid, answers=answers, version=1)
    assert reply.status_code == 201, reply.content
    assert stored(rid) == {
        "features": {"choices": ["api", "export"]},  # the question's order, once each
        "reason": {"choices": ["performance"]},
        "stars": {"rating": 4},
    }
    first = Response.objects.get(public_id=rid)
    reply = later(world, rid, answers={"slow": " The exports page ", "pmf": "very_disappointed"})
    assert reply.status_code == 200, reply.content
    reply = later(world, rid, answers={"reason": {"other": "Onboarding"}, "enterprise": "yes"})
    assert reply.status_code == 200, reply.content
    assert stored(rid) == {
        "enterprise": {"choices": ["yes"]},
        "features": {"choices": ["api", "export"]},
        "pmf": {"choices": ["very_disappointed"]},
        "reason": {"choices": [], "other": "Onboarding"},  # answered anew: replaced
        "slow": {"text": "The exports page"},
        "stars": {"rating": 4},
    }
    answer = Answer.objects.get(response__public_id=rid, question="reason")
    seen = (answer.version, answer.type, answer.text)
    assert seen == (1, "single_choice", "What should Alpha fix first?")
    assert Response.objects.get(public_id=rid).updated_at > first.updated_at


def test_answers_with_the_score_cost_one_insert(world, survey):
    respond(world, survey, 9)  # the person exists and is cached: the path at its leanest
    with CaptureQueriesContext(connection) as plain:
        assert respond(world, survey, 9).status_code == 201
    with CaptureQueriesContext(connection) as answered:
        reply = respond(world, survey, 9, answers={"features": ["api"], "stars": 5}, version=1)
        assert reply.status_code == 201
    inserts = [q["sql"] for q in answered.captured_queries if q["sql"].startswith("INSERT")]
    assert sum('"responses_answer"' in sql for sql in inserts) == 1
    extra = [
        q["sql"]
        for q in answered.captured_queries
        if q["sql"].split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ]
    base = [
        q["sql"]
        for q in plain.captured_queries
        if q["sql"].split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ]
    assert len(extra) == len(base) + 1


BAD = [
    ({"nope": "x"}, "answers.nope", "not a question"),
    ({"reason": "refunds"}, "answers.reason", "'refunds' is not one of its choices"),
    ({"reason": ["performance", "price"]}, "answers.reason", "takes one choice"),
    ({"reason": 3}, "answers.reason", "must be a choice id"),
    ({"reason": {"other": "x" * 1001}}, "answers.reason.other", "at most 1000"),
    ({"features": {"choices": ["api"], "other": "Webhooks"}}, "answers.features.other",
     "no Other box"),
    ({"features": []}, "answers.features", "picks nothing"),
    ({"stars": 6}, "answers.stars", "from 1 to 5"),
    ({"stars": True}, "answers.stars", "from 1 to 5"),
    ({"stars": "4"}, "answers.stars", "from 1 to 5"),
    ({"slow": "x", "reason": "price"}, "answers.slow", "was not asked"),
    ({"features": "api", "pmf": "maybe"}, "answers.pmf", "not one of its choices"),
    ({"bye": "ok"}, "answers.bye", "takes no answer"),
    ({"reason": "performance", "slow": "x" * 1001}, "answers.slow", "the limit is 1,000"),
    ({"reason": "performance", "slow": "   "}, "answers.slow", "is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("answers", "field", "message"), BAD)
def test_a_bad_answer_is_refused_naming_it_and_nothing_is_stored(
    world, survey, answers, field, message
):
    before = (Response.objects.count(), EndUser.objects.count(), Answer.objects.count())
    reply = respond(world, survey, 1, answers=answers)
    assert reply.status_code == 400, reply.content
    body = reply.json()
    assert field in body["fields"] and message in body["fields"][field], body
    assert (Response.objects.count(), EndUser.objects.count(), Answer.objects.count()) == before


@pytest.mark.parametrize(("answers", "field", "message"), BAD)
def test_a_bad_later_answer_is_refused_and_changes_nothing(world, survey, answers, field, message):
    rid = str(uuid.uuid4())
    assert respond(world, survey, 1, rid, answers={"stars": 3}).status_code == 201
    response = Response.objects.get(public_id=rid)
    reply = later(world, rid, answers=answers, comment="Too slow")
    assert reply.status_code == 400, reply.content
    assert field in reply.json()["fields"]
    assert stored(rid) == {"stars": {"rating": 3}}
    response.refresh_from_db()
    assert (response.comment, response.updated_at) == (
        "",
        Response.objects.get(public_id=rid).updated_at,
    )


def test_questions_follow_the_branches_of_score_category_and_property(world, survey):
    # A promoter is not asked the detractors' question; a free-plan person not the pro one.
    reply = respond(world, survey, 10, answers={"reason": "price"})
    assert reply.json()["fields"] == {"answers.reason": "was not asked: its conditions do not hold"}
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u2", "properties": {"plan": "free"}},
        "id": str(uuid.uuid4()),
        "survey": str(survey.public_id),
        "score": 1,
        "answers": {"enterprise": "no"},
    }
    assert call("POST", "responses", body).json()["fields"] == {
        "answers.enterprise": "was not asked: its conditions do not hold"
    }


def test_an_edited_live_survey_keeps_old_answers_with_the_text_seen(world, survey):
    old = str(uuid.uuid4())
    assert respond(world, survey, 2, old, answers={"reason": "price"}, version=1).status_code == 201
    choices = [{"id": "price", "text": "Pricing"}, {"id": "ux", "text": "UX"}]
    edited = [dict(QUESTIONS[0], text="What is the one thing to fix?", choices=choices)]
    survey_questions_save(survey=survey, questions=edited)
    survey_publish(survey=survey, by=world.owner)
    survey.refresh_from_db()
    assert survey.version == 2
    assert list(SurveyVersion.objects.filter(survey=survey).values_list("number", flat=True)) == [
        1, 2
    ]  # fmt: skip
    # The old answer is as it was; a page still showing version 1 may answer version 1.
    answer = Answer.objects.get(response__public_id=old)
    assert (answer.version, answer.text, answer.value) == (
        1, "What should Alpha fix first?", {"choices": ["price"]}
    )  # fmt: skip
    assert later(world, old, answers={"slow": "Settings"}).status_code == 400  # reason is price
    assert later(world, old, answers={"reason": "performance", "slow": "Settings"}).status_code == (
        200
    )
    new = str(uuid.uuid4())
    assert respond(world, survey, 2, new, answers={"reason": "ux"}).status_code == 201
    assert Answer.objects.get(response__public_id=new).text == "What is the one thing to fix?"
    reply = respond(world, survey, 2, answers={"reason": "ux"}, version=1)
    assert reply.json()["fields"] == {"answers.reason": "'ux' is not one of its choices"}
    reply = respond(world, survey, 2, answers={"reason": "ux"}, version=7)
    assert reply.status_code == 400
    assert reply.json()["fields"] == {"version": "unknown"}


def test_publishing_an_unchanged_draft_makes_no_version(world, survey):
    assert survey_publish(survey=survey) is None
    assert SurveyVersion.objects.filter(survey=survey).count() == 1


def test_a_patch_needs_a_comment_or_answers(world, survey):
    rid = str(uuid.uuid4())
    respond(world, survey, 9, rid)
    reply = later(world, rid)
    assert reply.status_code == 400
    assert reply.json()["fields"] == {"comment": "required without answers"}
