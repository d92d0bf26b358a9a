"""The answer selector against a count made in Python from the stored answers: the same
numbers on SQLite and PostgreSQL, whatever was answered, under the view's filters."""

from __future__ import annotations

import datetime
import random
from collections import Counter

from django.utils import timezone

from promoter.actions.responses import response_record
from promoter.analytics.selectors import ResponseFilter, answer_tallies
from promoter.responses.models import Answer
from promoter.surveys.scales import category_for
from promoter.surveys.tests.asking import ask

QUESTIONS = (
    {"id": "one", "type": "single_choice", "text": "One?", "other": True,
     "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]},
    {"id": "many", "type": "multiple_choice", "text": "Many?", "other": True,
     "choices": [{"id": f"m{i}", "text": f"M{i}"} for i in range(5)]},
    {"id": "yn", "type": "yes_no", "text": "Yes?"},
    {"id": "num", "type": "rating", "text": "How much?", "style": "numbers", "min": 0, "max": 10},
    {"id": "words", "type": "text", "text": "Words?"},
)  # fmt: skip


def _answers(rng: random.Random) -> dict[str, object]:
    out: dict[str, object] = {}
    if rng.random() < 0.8:
        out["one"] = (
            {"choices": [], "other": f"other {rng.random()}"}
            if rng.random() < 0.2
            else rng.choice("abc")
        )
    if rng.random() < 0.7:
        picked = sorted(rng.sample([f"m{i}" for i in range(5)], rng.randint(0, 3)))
        out["many"] = picked or {"choices": [], "other": "x"}
    if rng.random() < 0.5:
        out["yn"] = rng.choice(["yes", "no"])
    if rng.random() < 0.6:
        out["num"] = rng.randint(0, 10)
    if rng.random() < 0.4:
        out["words"] = f"said {rng.random()}"
    return out


def _by_hand(survey, categories=()):
    answered: Counter = Counter()
    picks: Counter = Counter()
    ratings: Counter = Counter()
    for answer in Answer.objects.filter(survey=survey).select_related("response").iterator():
        score = answer.response.score
        if categories and category_for(survey.kind, score) not in categories:
            continue
        answered[(answer.question, score)] += 1
        for choice in answer.value.get("choices", []):
            picks[(answer.question, choice, score)] += 1
        if answer.value.get("other"):
            picks[(answer.question, "other", score)] += 1
        if "rating" in answer.value:
            ratings[(answer.question, answer.value["rating"])] += 1
    return answered, picks, ratings


def _from_selector(tallies):
    answered: Counter = Counter()
    picks: Counter = Counter()
    ratings: Counter = Counter()
    for (question, _kind), tally in tallies.items():
        for score, n in tally.answered.items():
            answered[(question, score)] += n
        for choice, by_score in tally.picks.items():
            for score, n in by_score.items():
                picks[(question, choice, score)] += n
        for rating, n in tally.ratings.items():
            ratings[(question, rating)] += n
    return answered, picks, ratings


def test_the_selector_counts_what_a_hand_count_finds(world, django_assert_max_num_queries):
    survey = ask(world.alpha.surveys.get(kind="nps"), *QUESTIONS)
    rng = random.Random(4)
    now = timezone.now()
    for i in range(80):
        response_record(
            survey=survey, score=rng.randint(0, 10), person=None, channel="api",
            answers=_answers(rng), created_at=now - datetime.timedelta(hours=i),
        )  # fmt: skip
    flt = ResponseFilter(survey=survey)
    # One aggregation, and one query for the latest answers of the text question.
    with django_assert_max_num_queries(2):
        tallies = answer_tallies(project=world.alpha, flt=flt)
    assert _from_selector(tallies) == _by_hand(survey)
    assert set(tallies) == {(q["id"], q["type"]) for q in QUESTIONS}
    latest = tallies[("words", "text")].latest
    assert len(latest) == 5
    assert [a.created_at for a in latest] == sorted((a.created_at for a in latest), reverse=True)
    newest = Answer.objects.filter(question="words").order_by("-created_at").first()
    assert newest is not None and latest[0].text == newest.value["text"]
    detractors = answer_tallies(
        project=world.alpha, flt=ResponseFilter(survey=survey, categories=("detractor",))
    )
    assert _from_selector(detractors) == _by_hand(survey, categories=("detractor",))


def test_another_surveys_and_projects_answers_are_not_counted(world):
    survey = ask(world.alpha.surveys.get(kind="nps"), *QUESTIONS)
    theirs = ask(world.beta.surveys.get(kind="nps"), *QUESTIONS)
    response_record(survey=theirs, score=1, person=None, channel="api", answers={"one": "a"})
    response_record(survey=survey, score=9, person=None, channel="api", answers={"one": "b"})
    tallies = answer_tallies(project=world.alpha, flt=ResponseFilter(survey=survey))
    assert tallies[("one", "single_choice")].picks == {"b": {9: 1}}
    # Another project's survey through this project: nothing.
    assert answer_tallies(project=world.alpha, flt=ResponseFilter(survey=theirs)) == {}
