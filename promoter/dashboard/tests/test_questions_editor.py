"""The survey designer: every change to the draft's questions through the editor's forms,
refusals that write nothing, roles, escaping, warnings, Publish, Duplicate and the preview
page (its payload and its Content-Security-Policy)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from promoter.actions.surveys import survey_questions_save
from promoter.surveys.models import Survey
from promoter.surveys.tests.asking import ask

HTMX = {"HTTP_HX_REQUEST": "true"}
CHOICE = {
    "id": "reason",
    "type": "single_choice",
    "text": "What matters most?",
    "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "Price"}],
}
WHY = {"id": "why", "type": "text", "text": "Why?"}


def nps(world: Any) -> Survey:
    return world.alpha.surveys.get(kind="nps")


def editor(survey: Survey, *parts: str) -> str:
    url = reverse("project-survey-questions", args=[survey.project.slug, survey.public_id])
    return url + "".join(f"{p}/" for p in parts)


def draft(survey: Survey) -> list[dict[str, Any]]:
    survey.refresh_from_db()
    return list(survey.questions)


def with_draft(survey: Survey, *questions: dict[str, Any]) -> Survey:
    survey_questions_save(survey=survey, questions=list(questions))
    survey.refresh_from_db()
    return survey


def choice_form(**extra: Any) -> dict[str, Any]:
    """The edit form of CHOICE as the editor renders it, with ``extra`` over it."""
    return {
        "text": "What matters most?",
        "choice_id": ["speed", "price"],
        "choice_text": ["Speed", "Price"],
        "conditions": "0",
        **extra,
    }


# --- adding, editing, moving, removing ------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["single_choice", "multiple_choice", "text", "rating", "yes_no", "pmf", "message"]
)
def test_an_admin_adds_a_question_of_each_type(world, kind):
    survey = nps(world)
    response = world.client_for("admin").post(editor(survey, "add"), {"type": kind})
    assert response.status_code == 302
    assert response["Location"].endswith("#q-q1")
    (question,) = draft(survey)
    assert (question["id"], question["type"]) == ("q1", kind)
    assert survey.version == 0 and survey.published_questions == []  # the draft only


def test_a_new_question_goes_before_the_closing_message(world):
    survey = with_draft(nps(world), WHY, {"id": "bye", "type": "message", "text": "Thanks"})
    client = world.client_for("owner")
    response = client.post(editor(survey, "add"), {"type": "yes_no"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "questions-saved"
    assert 'id="questions-editor"' in response.content.decode()
    assert [q["id"] for q in draft(survey)] == ["why", "q1", "bye"]
    # A second closing message is refused, naming the type.
    response = client.post(editor(survey, "add"), {"type": "message"})
    assert response.status_code == 400
    assert 'id="new-question-type-error">the survey has a closing message already<' in (
        response.content.decode()
    )
    assert [q["id"] for q in draft(survey)] == ["why", "q1", "bye"]


def test_an_admin_edits_a_choice_question(world):
    survey = with_draft(nps(world), CHOICE)
    client = world.client_for("admin")
    url = editor(survey, "reason", "edit")
    form = choice_form(text="Pick one", other="on", shuffle="on", required="on")
    assert client.post(url, form).status_code == 302
    (question,) = draft(survey)
    assert question["text"] == "Pick one"
    assert (question["other"], question["shuffle"], question["required"]) == (True, True, True)
    # Add a choice, then remove the first.
    assert client.post(url, choice_form(action="add_choice")).status_code == 302
    assert [c["id"] for c in draft(survey)[0]["choices"]] == ["speed", "price", "c1"]
    form = choice_form(
        choice_id=["speed", "price", "c1"],
        choice_text=["Speed", "Price", "Support"],
        action="remove_choice-0",
    )
    assert client.post(url, form).status_code == 302
    assert draft(survey)[0]["choices"] == [
        {"id": "price", "text": "Price"},
        {"id": "c1", "text": "Support"},
    ]


def test_an_admin_edits_rating_text_and_closing_message(world):
    survey = with_draft(
        nps(world),
        {"id": "stars", "type": "rating", "text": "Rate us"},
        WHY,
        {"id": "bye", "type": "message", "text": "Thanks"},
    )
    client = world.client_for("admin")
    form = {"text": "Rate us", "style": "numbers", "min": "0", "max": "10", "conditions": "0"}
    assert client.post(editor(survey, "stars", "edit"), form).status_code == 302
    form = {"text": "Why so?", "long": "on", "conditions": "0"}
    assert client.post(editor(survey, "why", "edit"), form).status_code == 302
    form = {
        "text": "Thanks!",
        "cta_text": "Review us",
        "cta_url": "https://example.com/review",
        "conditions": "0",
    }
    assert client.post(editor(survey, "bye", "edit"), form).status_code == 302
    stars, why, bye = draft(survey)
    assert (stars["style"], stars["min"], stars["max"]) == ("numbers", 0, 10)
    assert (why["text"], why["long"]) == ("Why so?", True)
    assert (bye["cta_text"], bye["cta_url"]) == ("Review us", "https://example.com/review")


def test_moving_up_and_down_and_a_refused_move(world):
    survey = with_draft(nps(world), CHOICE, WHY, {"id": "bye", "type": "message", "text": "Hi"})
    client = world.client_for("admin")
    assert client.post(editor(survey, "why", "move"), {"direction": "up"}).status_code == 302
    assert [q["id"] for q in draft(survey)] == ["why", "reason", "bye"]
    response = client.post(editor(survey, "why", "move"), {"direction": "down"}, **HTMX)
    assert response.status_code == 200
    assert [q["id"] for q in draft(survey)] == ["reason", "why", "bye"]
    # The closing message stays last: refused, nothing written, the reason shown.
    response = client.post(editor(survey, "bye", "move"), {"direction": "up"})
    assert response.status_code == 400
    assert "a closing message comes last" in response.content.decode()
    assert [q["id"] for q in draft(survey)] == ["reason", "why", "bye"]
    response = client.post(editor(survey, "reason", "move"), {"direction": "up"})
    assert response.status_code == 400
    response = client.post(editor(survey, "reason", "move"), {"direction": "sideways"})
    assert response.status_code == 400
    assert [q["id"] for q in draft(survey)] == ["reason", "why", "bye"]


def test_removing_and_a_refused_removal(world):
    hanging = {**WHY, "show_if": [{"kind": "answer", "question": "reason", "choices": ["price"]}]}
    survey = with_draft(nps(world), CHOICE, hanging)
    client = world.client_for("admin")
    # "why" hangs on "reason": removing "reason" is refused, naming the condition.
    response = client.post(editor(survey, "reason", "remove"))
    assert response.status_code == 400
    assert "Question 1 (“Why?”), condition 1, question" in response.content.decode()
    assert [q["id"] for q in draft(survey)] == ["reason", "why"]
    assert client.post(editor(survey, "why", "remove")).status_code == 302
    assert client.post(editor(survey, "reason", "remove"), **HTMX).status_code == 200
    assert draft(survey) == []
    assert client.post(editor(survey, "nope", "remove")).status_code == 400


# --- conditions -----------------------------------------------------------------------------


def test_conditions_of_each_kind(world):
    survey = with_draft(nps(world), CHOICE, WHY)
    client = world.client_for("admin")
    url = editor(survey, "why", "edit")
    for kind in ("category", "score", "answer"):
        form = {"text": "Why?", "conditions": "0", "action": "add_condition", "new_condition": kind}
        assert client.post(url, form).status_code == 302
        # Saved with what it starts with; then removed again.
        (condition,) = draft(survey)[1]["show_if"]
        assert condition["kind"] == kind
        form = {"text": "Why?", "conditions": "1", "cond-0-kind": kind, **_starter(condition)}
        assert client.post(url, {**form, "action": "remove_condition-0"}).status_code == 302
        assert draft(survey)[1]["show_if"] == []
    form = {
        "text": "Why?",
        "conditions": "4",
        "cond-0-kind": "category",
        "cond-0-categories": ["detractor", "passive"],
        "cond-1-kind": "score",
        "cond-1-min": "2",
        "cond-1-max": "",
        "cond-2-kind": "answer",
        "cond-2-question": "reason",
        "cond-2-choices": ["price", "bogus"],
        "cond-3-kind": "property",
        "cond-3-property": "plan",
        "cond-3-op": "in",
        "cond-3-value": "pro, team",
    }
    assert client.post(url, form).status_code == 302
    assert draft(survey)[1]["show_if"] == [
        {"kind": "category", "categories": ["passive", "detractor"]},
        {"kind": "score", "min": 2},
        {"kind": "answer", "question": "reason", "choices": ["price"]},
        {"kind": "property", "property": "plan", "op": "in", "value": ["pro", "team"]},
    ]
    page = client.get(editor(survey)).content.decode()
    assert 'value="pro, team"' in page  # shown back as it was typed


def _starter(condition: dict[str, Any]) -> dict[str, Any]:
    """The fields of the form that show ``condition`` (as the editor renders them)."""
    if condition["kind"] == "category":
        return {"cond-0-categories": condition["categories"]}
    if condition["kind"] == "score":
        return {"cond-0-min": str(condition["min"]), "cond-0-max": str(condition["max"])}
    return {"cond-0-question": condition["question"], "cond-0-choices": condition["choices"]}


def test_an_answer_condition_needs_an_earlier_choice_question(world):
    survey = with_draft(nps(world), WHY)
    form = {"text": "Why?", "conditions": "0", "action": "add_condition", "new_condition": "answer"}
    response = world.client_for("admin").post(editor(survey, "why", "edit"), form)
    assert response.status_code == 400
    assert "needs an earlier choice question" in response.content.decode()
    assert draft(survey)[0]["show_if"] == []


def test_a_new_property_condition_asks_for_its_name_before_it_is_saved(world):
    survey = with_draft(nps(world), WHY)
    client = world.client_for("admin")
    url = editor(survey, "why", "edit")
    form = {
        "text": "Why?",
        "conditions": "0",
        "action": "add_condition",
        "new_condition": "property",
    }
    response = client.post(url, form, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Property: names a property of the person" in page
    assert 'name="cond-0-property"' in page  # the blank row is there to fill in
    assert draft(survey)[0]["show_if"] == []
    # Typed: saved; a value that does not read as targeting reads is refused naming "value".
    form = {"text": "Why?", "conditions": "1", "cond-0-kind": "property"}
    bad = {**form, "cond-0-property": "mrr", "cond-0-op": "gte", "cond-0-value": "lots"}
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "Value: `gte` compares numbers or dates" in response.content.decode()
    assert 'aria-describedby="q-why-cond-0-value-error"' in response.content.decode()
    good = {**form, "cond-0-property": "mrr", "cond-0-op": "gte", "cond-0-value": "100"}
    assert client.post(url, good).status_code == 302
    assert draft(survey)[0]["show_if"] == [
        {"kind": "property", "property": "mrr", "op": "gte", "value": 100}
    ]


# --- refusals write nothing -----------------------------------------------------------------


def test_a_refused_change_writes_nothing_and_shows_the_error_by_its_field(world):
    survey = with_draft(nps(world), CHOICE)
    before = draft(survey)
    client = world.client_for("admin")
    url = editor(survey, "reason", "edit")
    response = client.post(url, choice_form(text="   "))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not saved." in page
    assert 'aria-describedby="q-reason-text-error"' in page
    assert re.search(r'id="q-reason-text-error">is required<', page)
    assert draft(survey) == before
    # htmx: the editor fragment, a 400 with the same error, and no "saved" event.
    response = client.post(url, choice_form(choice_text=["Speed", ""]), **HTMX)
    assert response.status_code == 400
    assert "HX-Trigger" not in response
    page = response.content.decode()
    assert page.lstrip().startswith("{% comment %}") is False
    assert 'id="q-reason-choice-1-error">is required<' in page
    assert draft(survey) == before
    # A rating bound that is not a number is refused by the check itself.
    survey = with_draft(nps(world), {"id": "stars", "type": "rating", "text": "Rate"})
    form = {"text": "Rate", "style": "numbers", "min": "one", "max": "5", "conditions": "0"}
    response = client.post(editor(survey, "stars", "edit"), form)
    assert response.status_code == 400
    assert "must be a whole number from 0 to 9" in response.content.decode()
    assert draft(survey)[0] == {
        "id": "stars",
        "type": "rating",
        "text": "Rate",
        "required": False,
        "style": "stars",
        "show_if": [],
    }


def test_removing_a_choice_a_later_condition_uses_is_refused(world):
    hanging = {**WHY, "show_if": [{"kind": "answer", "question": "reason", "choices": ["price"]}]}
    three = [*CHOICE["choices"], {"id": "help", "text": "Help"}]
    survey = with_draft(nps(world), {**CHOICE, "choices": three}, hanging)
    before = draft(survey)
    form = choice_form(
        choice_id=["speed", "price", "help"],
        choice_text=["Speed", "Price", "Help"],
        action="remove_choice-1",
    )
    response = world.client_for("admin").post(editor(survey, "reason", "edit"), form, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Question 2 (“Why?”), condition 1, choices: must list some of" in page
    assert "must list some of &#x27;reason&#x27;&#x27;s choices" in page
    assert draft(survey) == before


def test_typing_saves_and_refreshes_only_status_and_warnings(world):
    survey = with_draft(nps(world), CHOICE)
    client = world.client_for("admin")
    response = client.post(
        editor(survey, "reason", "edit"), choice_form(text="What matters?", typing="1"), **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert response["HX-Trigger"] == "questions-saved"
    page = response.content.decode()
    assert 'id="questions-status" class="questions-status" hx-swap-oob="true"' in page
    assert 'id="questions-warnings"' in page and "question-form" not in page
    assert draft(survey)[0]["text"] == "What matters?"
    # After a refusal was shown, a good save swaps the whole editor (clearing the error).
    form = choice_form(text="What matters?", typing="1", shown_error="1")
    response = client.post(editor(survey, "reason", "edit"), form, **HTMX)
    assert "HX-Reswap" not in response and "question-form" in response.content.decode()


# --- roles, CSRF, tenants -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_read_only(world, who):
    survey = with_draft(nps(world), CHOICE)
    before, surveys = draft(survey), world.alpha.surveys.count()
    client = world.client_for(who)
    page = client.get(editor(survey)).content.decode()
    assert "You can read these questions" in page
    assert '<fieldset class="plain" disabled>' in page
    assert "Publish</button>" not in page and "Duplicate this survey" not in page
    assert 'action="' + editor(survey, "add") not in page
    posts: list[tuple[str, dict[str, Any]]] = [
        (editor(survey, "add"), {"type": "text"}),
        (editor(survey, "reason", "edit"), choice_form(text="Hacked")),
        (editor(survey, "reason", "move"), {"direction": "down"}),
        (editor(survey, "reason", "remove"), {}),
        (editor(survey, "publish"), {}),
        (reverse("project-survey-duplicate", args=["alpha", survey.public_id]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert draft(survey) == before
    assert survey.version == 0
    assert world.alpha.surveys.count() == surveys


def test_outsiders_and_strangers_find_nothing(world):
    survey = with_draft(nps(world), CHOICE)
    outsider = world.client_for("outsider")
    assert outsider.get(editor(survey)).status_code == 404
    assert outsider.post(editor(survey, "reason", "remove")).status_code == 404
    preview = reverse("project-survey-preview", args=["alpha", survey.public_id])
    assert outsider.get(preview).status_code == 404
    anonymous = world.client_for("anonymous")
    assert anonymous.post(editor(survey, "reason", "remove")).status_code == 302  # to log in
    assert len(draft(survey)) == 1


def test_a_post_without_its_csrf_token_is_refused(world):
    survey = with_draft(nps(world), CHOICE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    assert client.post(editor(survey, "reason", "remove")).status_code == 403
    assert client.post(editor(survey, "publish")).status_code == 403
    assert len(draft(survey)) == 1 and survey.version == 0


# --- escaping and warnings ------------------------------------------------------------------


def test_question_and_choice_texts_are_escaped(world):
    evil = '<script>alert("q")</script><img src=x onerror=alert(1)>'
    survey = with_draft(
        nps(world),
        {**CHOICE, "text": evil, "choices": [{"id": "a", "text": evil}, {"id": "b", "text": "B"}]},
        {**WHY, "show_if": [{"kind": "answer", "question": "reason", "choices": ["a"]}]},
    )
    client = world.client_for("admin")
    page = client.get(editor(survey)).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;" in page
    preview = reverse("project-survey-preview", args=["alpha", survey.public_id])
    body = client.get(preview).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    payload = re.search(
        r'id="promoter-preview-survey" type="application/json">(.*?)</script>', body
    )
    assert payload is not None
    assert json.loads(payload.group(1))["questions"][0]["text"] == evil


def test_warnings_show_live(world):
    never = {
        **WHY,
        "show_if": [
            {"kind": "category", "categories": ["promoter"]},
            {"kind": "score", "max": 3},
        ],
    }
    survey = with_draft(nps(world), never)
    client = world.client_for("admin")
    page = client.get(editor(survey)).content.decode()
    assert "never shown: no score from 0 to 10 meets its score and category conditions" in page
    # Fixing the branch clears the warning in the same answer.
    form = {
        "text": "Why?",
        "conditions": "1",
        "cond-0-kind": "category",
        "cond-0-categories": ["promoter"],
    }
    response = client.post(editor(survey, "why", "edit"), form, **HTMX)
    assert response.status_code == 200
    assert "never shown" not in response.content.decode()


# --- publish and duplicate ------------------------------------------------------------------


def test_publish_shows_the_live_version_and_unpublished_changes(world):
    survey = with_draft(nps(world), CHOICE)
    client = world.client_for("admin")
    page = client.get(editor(survey)).content.decode()
    assert "Not published yet" in page and 'data-unpublished="true"' in page
    response = client.post(editor(survey, "publish"))
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.version == 1 and survey.published_questions == survey.questions
    page = client.get(editor(survey)).content.decode()
    assert "Published version 1" in page
    assert "version 1</strong>, 1 question." in page and 'data-unpublished="false"' in page
    # Nothing new: nothing published.
    response = client.post(editor(survey, "publish"), **HTMX)
    assert "Nothing to publish" in response.content.decode()
    assert survey.versions.count() == 1
    # A change to the draft: unpublished changes, until published as version 2.
    client.post(editor(survey, "reason", "edit"), choice_form(text="Changed"))
    assert 'data-unpublished="true"' in client.get(editor(survey)).content.decode()
    response = client.post(editor(survey, "publish"), **HTMX)
    assert "Published version 2" in response.content.decode()
    survey.refresh_from_db()
    assert survey.version == 2 and survey.published_questions[0]["text"] == "Changed"


def test_duplicate_creates_a_switched_off_draft_and_opens_it(world):
    survey = ask(nps(world), CHOICE)
    survey = with_draft(survey, CHOICE, WHY)  # the draft differs from the live version
    response = world.client_for("owner").post(
        reverse("project-survey-duplicate", args=["alpha", survey.public_id])
    )
    assert response.status_code == 302
    copy = world.alpha.surveys.exclude(pk=survey.pk).get(name=f"{survey.name} (copy)")
    assert response["Location"] == editor(copy)
    assert (copy.is_active, copy.version, copy.published_questions) == (False, 0, [])
    assert copy.questions == survey.questions


def test_the_survey_page_links_the_editor(world):
    survey = nps(world)
    page = world.client_for("viewer").get(
        reverse("project-survey", args=["alpha", survey.public_id])
    )
    assert f'href="{editor(survey)}">Questions</a>' in page.content.decode()


# --- the preview ----------------------------------------------------------------------------


def test_the_preview_shows_the_draft_under_its_own_policy(world):
    survey = ask(nps(world), CHOICE)
    survey = with_draft(
        survey, CHOICE, {**WHY, "show_if": [{"kind": "category", "categories": ["detractor"]}]}
    )
    url = reverse("project-survey-preview", args=["alpha", survey.public_id])
    response = world.client_for("viewer").get(url + "?path=detractor&locale=fr")
    assert response.status_code == 200
    body = response.content.decode()
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "frame-ancestors 'self'" in policy and "connect-src 'none'" in policy
    assert "'self'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    scripts = re.findall(r"<script(?![^>]*application/json)([^>]*)>", body)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in s for s in scripts)
    assert 'data-score="3"' in body  # a detractor's score on 0-10
    payload = re.search(r'type="application/json">(.*?)</script>', body)
    assert payload is not None
    data = json.loads(payload.group(1))
    assert [q["id"] for q in data["questions"]] == ["reason", "why"]  # the draft, not v1
    assert data["locale"] == "fr" and data["version"] == 1
    # An unknown path or locale falls back to the promoter path and the first locale.
    body = world.client_for("viewer").get(url + "?path=<x>&locale=zz").content.decode()
    assert 'data-score="9"' in body and '<html lang="en">' in body
    # Other pages keep the dashboard's policy: no framing.
    page = world.client_for("viewer").get(editor(survey))
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert 'sandbox="allow-scripts"' in page.content.decode()
    assert "allow-same-origin" not in page.content.decode()


def test_the_editor_page_reads_a_fixed_number_of_queries(world, django_assert_num_queries):
    survey = with_draft(nps(world), CHOICE, WHY)
    client = world.client_for("admin")
    url = editor(survey)
    client.get(url)  # the session's first read
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200
    survey = with_draft(survey, *[{**WHY, "id": f"w{n}"} for n in range(10)])
    url = editor(survey)
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200


QUERIES = 5  # session, user, membership with project, survey, the project switcher
