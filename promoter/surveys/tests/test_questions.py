"""The question document: what it takes, what it refuses (naming the field), the branches
the editor warns of, and how answers are read and shown."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.surveys.questions import (
    MAX_QUESTIONS,
    PMF_TEXT,
    QuestionsError,
    answer_clean,
    answer_label,
    as_asked,
    questions_clean,
    questions_warnings,
    shown,
)

CHOICES = [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]


def q(**kwargs: Any) -> dict[str, Any]:
    return {"id": "q1", "type": "single_choice", "text": "Why?", "choices": CHOICES, **kwargs}


def test_a_document_is_stored_with_its_defaults_and_without_unknown_keys():
    cleaned = questions_clean(
        [
            q(extra="dropped", show_if=[{"kind": "category", "categories": ["detractor"]}]),
            {"id": "fit", "type": "pmf"},
            {"id": "docs", "type": "rating", "text": "Docs?", "style": "numbers", "min": 0,
             "max": 10},
            {"id": "more", "type": "text", "text": " Anything else? ", "long": True},
        ]
    )  # fmt: skip
    assert cleaned[0] == {
        "id": "q1",
        "type": "single_choice",
        "text": "Why?",
        "required": False,
        "choices": CHOICES,
        "other": False,
        "shuffle": False,
        "show_if": [{"kind": "category", "categories": ["detractor"]}],
    }
    assert cleaned[1]["text"] == PMF_TEXT
    assert (cleaned[2]["min"], cleaned[2]["max"]) == (0, 10)
    assert cleaned[3]["text"] == "Anything else?"
    assert questions_clean(cleaned) == cleaned  # stored form reads back as it is


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        ("x", "questions", "must be a list"),
        ([q(id=f"q{n}") for n in range(MAX_QUESTIONS + 1)], "questions", "at most 10"),
        ([q(id="Bad Id")], "questions.0.id", "lowercase"),
        ([q(), q()], "questions.1.id", "repeats"),
        ([q(type="slider")], "questions.0.type", "must be one of"),
        ([q(text="")], "questions.0.text", "is required"),
        ([q(text="x" * 501)], "questions.0.text", "at most 500"),
        ([q(choices=[{"id": "a", "text": "A"}])], "questions.0.choices", "2 to 20"),
        ([q(choices=[*CHOICES, {"id": "a", "text": "C"}])], "questions.0.choices.2.id", "repeats"),
        ([q(choices=[*CHOICES, {"id": "other", "text": "C"}])], "questions.0.choices.2.id",
         "not 'other'"),
        ([q(choices=[{"id": "a", "text": ""}, CHOICES[1]])], "questions.0.choices.0.text",
         "required"),
        ([q(required="yes")], "questions.0.required", "true or false"),
        ([{"id": "r", "type": "rating", "text": "R", "style": "dots"}], "questions.0.style",
         "stars or numbers"),
        ([{"id": "r", "type": "rating", "text": "R", "style": "numbers", "min": 5, "max": 5}],
         "questions.0.max", "from 6 to 10"),
        ([{"id": "m", "type": "message", "text": "Bye"}, q()], "questions.0.type", "comes last"),
        ([{"id": "m", "type": "message", "text": "Bye", "cta_text": "Go"}],
         "questions.0.cta_url", "needs its address"),
        ([{"id": "m", "type": "message", "text": "Bye", "cta_text": "Go",
           "cta_url": "javascript:alert(1)"}], "questions.0.cta_url", "http"),
        ([q(show_if=[{"kind": "mood"}])], "questions.0.show_if.0.kind", "must be one of"),
        ([q(show_if=[{"kind": "category", "categories": ["fan"]}])],
         "questions.0.show_if.0.categories", "some of promoter"),
        ([q(show_if=[{"kind": "score"}])], "questions.0.show_if.0", "needs a min"),
        ([q(show_if=[{"kind": "answer", "question": "q1", "choices": ["a"]}])],
         "questions.0.show_if.0.question", "earlier question"),
        ([{"id": "t", "type": "text", "text": "T"},
          q(show_if=[{"kind": "answer", "question": "t", "choices": ["a"]}])],
         "questions.1.show_if.0.question", "choice question"),
        ([q(), q(id="q2", show_if=[{"kind": "answer", "question": "q1", "choices": ["z"]}])],
         "questions.1.show_if.0.choices", "'q1''s choices"),
        ([q(show_if=[{"kind": "property", "property": "plan", "op": "like"}])],
         "questions.0.show_if.0", "unknown operator"),
    ],
)  # fmt: skip
def test_a_bad_document_is_refused_naming_the_field(document, field, message):
    with pytest.raises(QuestionsError) as raised:
        questions_clean(document)
    assert raised.value.field == field
    assert message in str(raised.value)


def test_the_editor_warns_of_branches_that_can_never_be_true():
    document = questions_clean(
        [
            q(id="never", show_if=[
                {"kind": "category", "categories": ["promoter"]},
                {"kind": "score", "max": 6},
            ]),
            q(id="after", show_if=[{"kind": "answer", "question": "never", "choices": ["a"]}]),
            q(id="fine", show_if=[{"kind": "score", "min": 7, "max": 8}]),
            q(id="csat-high", show_if=[{"kind": "score", "min": 9}]),
        ]
    )  # fmt: skip
    warnings = {(w.question, w.message) for w in questions_warnings("nps", document)}
    assert warnings == {
        ("never", "never shown: no score from 0 to 10 meets its score and category conditions"),
        ("after", "never shown: it hangs on “never”, which never is"),
    }
    # On a 1-5 CSAT scale promoters give 4 or 5 (so "never" may be shown), and no score
    # reaches 7.
    csat = {w.question for w in questions_warnings("csat", document)}
    assert csat == {"fine", "csat-high"}


def test_branches_follow_score_category_answers_and_properties():
    document = questions_clean(
        [
            q(id="why", other=True, show_if=[{"kind": "category", "categories": ["detractor"]}]),
            q(id="other", show_if=[{"kind": "answer", "question": "why", "choices": ["other"]}]),
            q(id="pro", show_if=[{"kind": "property", "property": "plan", "op": "eq",
                                  "value": "pro"}]),
        ]
    )  # fmt: skip
    why, other, pro = document

    def asks(question, score=3, answers=None, properties=None):
        return shown(
            question, kind="nps", score=score, answers=answers or {}, properties=properties or {}
        )

    assert asks(why, 6) and not asks(why, 7)
    assert not asks(other) and not asks(other, answers={"why": {"choices": ["a"]}})
    assert asks(other, answers={"why": {"choices": [], "other": "Docs"}})
    assert asks(pro, properties={"plan": "Pro"}) and not asks(pro, properties={"plan": "free"})


def test_answers_are_read_in_their_stored_form_and_labelled():
    multi = questions_clean([q(type="multiple_choice", other=True)])[0]
    assert answer_clean(multi, ["b", "a", "b"], "f") == {"choices": ["a", "b"]}
    assert answer_clean(multi, {"choices": ["a"], "other": " Docs "}, "f") == {
        "choices": ["a"],
        "other": "Docs",
    }
    assert answer_label(multi, {"choices": ["a"], "other": "Docs"}) == "A, Other: Docs"
    rating = questions_clean([{"id": "r", "type": "rating", "text": "R"}])[0]
    assert answer_label(rating, answer_clean(rating, 4, "f")) == "4 / 5"
    fit = questions_clean([{"id": "fit", "type": "pmf"}])[0]
    assert answer_label(fit, answer_clean(fit, "very_disappointed", "f")) == "Very disappointed"


def test_questions_are_worded_for_the_product():
    asked = as_asked(
        questions_clean([{"id": "fit", "type": "pmf"}, q(text="Why {product}?")]), product="Acme"
    )
    assert asked[0]["text"] == "How would you feel if you could no longer use Acme?"
    assert asked[0]["choices"][0] == {"id": "very_disappointed", "text": "Very disappointed"}
    assert asked[1]["text"] == "Why Acme?"
