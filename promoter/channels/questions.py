"""The additional questions on the e-mail and link comment pages: which to show, and the
form fields they post, translated to the answers the one road takes
(:func:`promoter.actions.responses.response_change`).

The pages work without JavaScript. A question shown only after an answer on the same page
(``show_if`` of kind ``answer``) is rendered with its condition, which ``answer.js`` applies
as the person picks; without JavaScript it shows, and an answer posted to a question whose
conditions do not hold is dropped (as a hidden field's leftover would be), never stored.

Form fields: ``q:<id>`` (the choice ids picked, the rating or the text) and ``q:<id>:other``
(the Other box's text).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from promoter.responses.models import Response
from promoter.responses.selectors import answers_of
from promoter.surveys.models import Survey
from promoter.surveys.questions import OTHER, as_asked, fixed_choices, rating_range, shown
from promoter.surveys.selectors import survey_questions_of_version
from promoter.surveys.texts import product_name


@dataclass
class FormQuestion:
    """One question as the page renders it: worded as asked, its choices in the order shown,
    the stored answer, and the JSON of its answer conditions for ``answer.js``."""

    question: dict[str, Any]
    choices: list[dict[str, str]] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    picked: list[str] = field(default_factory=list)
    other: str = ""
    value: str = ""
    show_if: str = ""
    error: str = ""

    @property
    def id(self) -> str:
        return str(self.question["id"])

    @property
    def multiple(self) -> bool:
        return bool(self.question["type"] == "multiple_choice")


@dataclass
class PageQuestions:
    """The questions of the version a response answers, and the stored answers."""

    version: int
    questions: list[dict[str, Any]]
    stored: dict[str, dict[str, Any]]

    def form(
        self,
        *,
        survey: Survey,
        response: Response | None,
        score: int | None,
        errors: Mapping[str, str],
    ) -> list[FormQuestion]:
        """Return the questions to render for ``score``: those whose conditions on the score
        and the person hold, an answer condition left to the page; closing messages apart."""
        if score is None:
            return []
        properties = dict(response.properties or {}) if response is not None else {}
        seed = response.public_id.int if response is not None else 0
        out: list[FormQuestion] = []
        for question in self.questions:
            if question["type"] == "message":
                continue
            static = [c for c in question.get("show_if") or [] if c["kind"] != "answer"]
            on_page = [c for c in question.get("show_if") or [] if c["kind"] == "answer"]
            if not shown(
                {**question, "show_if": static},
                kind=survey.kind,
                score=score,
                answers={},
                properties=properties,
            ):
                continue
            item = FormQuestion(
                question=question,
                show_if=json.dumps(on_page) if on_page else "",
                error=errors.get(question["id"], ""),
            )
            stored = self.stored.get(question["id"]) or {}
            if question["type"] == "rating":
                low, high = rating_range(question)
                item.ratings = list(range(low, high + 1))
                item.value = str(stored.get("rating", ""))
            elif question["type"] == "text":
                item.value = str(stored.get("text", ""))
            else:
                choices = [dict(c) for c in fixed_choices(question)]
                if question.get("shuffle"):
                    random.Random(f"{seed}:{question['id']}").shuffle(choices)
                item.choices = choices
                item.picked = list(stored.get("choices") or [])
                item.other = str(stored.get("other", ""))
            out.append(item)
        return out

    def closing(
        self, *, survey: Survey, response: Response | None, score: int | None
    ) -> dict[str, Any] | None:
        """Return the closing message shown after the answers were saved, if one is asked."""
        if score is None:
            return None
        properties = dict(response.properties or {}) if response is not None else {}
        for question in self.questions:
            if question["type"] == "message" and shown(
                question,
                kind=survey.kind,
                score=score,
                answers=self.stored,
                properties=properties,
            ):
                return question
        return None


def page_questions(*, survey: Survey, response: Response | None) -> PageQuestions:
    """Return the questions a response's page asks: the version its stored answers answer,
    else the live one, worded for the survey's product."""
    stored: dict[str, dict[str, Any]] = {}
    version = survey.version
    if response is not None:
        answers = answers_of([response])[response.pk]
        stored = {a.question: dict(a.value) for a in answers}
        if answers:
            version = answers[0].version
    questions = survey_questions_of_version(survey=survey, number=version) or []
    return PageQuestions(
        version=version,
        questions=as_asked(questions, product=product_name(survey.project)),
        stored=stored,
    )


def posted_answers(questions: Sequence[dict[str, Any]], post: QueryDict) -> dict[str, Any]:
    """Return the answers a page posted, by question id, in the wire form the ingest API
    takes; a question left blank is not answered. Values are passed on as posted, for the
    one road to check (a rating that is not a number is refused there, naming it)."""
    given: dict[str, Any] = {}
    for question in questions:
        name = f"q:{question['id']}"
        kind = question["type"]
        if kind == "message":
            continue
        if kind == "text":
            text = post.get(name, "")
            if text.strip():
                given[question["id"]] = text
        elif kind == "rating":
            raw = post.get(name, "").strip()
            if raw:
                given[question["id"]] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            picked = [c for c in post.getlist(name) if c != OTHER]
            other = post.get(f"{name}:other", "").strip() if question.get("other") else ""
            if other:  # typed in the Other box: ticked or not, it is their answer
                given[question["id"]] = {"choices": picked, "other": other}
            elif picked:
                given[question["id"]] = picked if kind == "multiple_choice" else picked[0]
    return given


def asked_answers(
    *,
    survey: Survey,
    page: PageQuestions,
    given: Mapping[str, Any],
    score: int,
    properties: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the answers of ``given`` to questions asked on the person's path (the others
    are left behind by a hidden field, never stored) and, by question id, the required
    questions on that path left unanswered."""
    known: dict[str, Any] = dict(page.stored)
    kept: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for question in page.questions:
        qid = question["id"]
        if question["type"] == "message":
            continue
        if not shown(question, kind=survey.kind, score=score, answers=known, properties=properties):
            continue
        if qid in given:
            kept[qid] = given[qid]
            known[qid] = _stored_guess(given[qid])
        elif question.get("required") and qid not in page.stored:
            missing[qid] = "Please answer this question."
    return kept, missing


def _stored_guess(value: Any) -> dict[str, Any]:
    """The stored form of a posted choice answer, enough to decide later conditions (the one
    road checks it properly)."""
    if isinstance(value, Mapping):
        return {"choices": list(value.get("choices") or []), "other": value.get("other", "")}
    if isinstance(value, list):
        return {"choices": value}
    if isinstance(value, str):
        return {"choices": [value]}
    return {}
