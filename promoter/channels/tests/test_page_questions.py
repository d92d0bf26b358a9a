"""Additional questions on the e-mail and link comment pages: asked on the person's path,
checked by the one road, kept with their version, refused with nothing written."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from promoter.channels import links, services
from promoter.channels.models import InvitationSource
from promoter.people.services import Identity
from promoter.responses.models import Answer, Response
from promoter.surveys.tests.asking import ask

FIX = {
    "id": "fix",
    "type": "multiple_choice",
    "text": "What should {product} fix?",
    "other": True,
    "required": True,
    "show_if": [{"kind": "category", "categories": ["detractor"]}],
    "choices": [{"id": "speed", "text": "Speed"}, {"id": "price", "text": "<b>Price</b>"}],
}
SPEED = {
    "id": "speed-detail",
    "type": "text",
    "text": "Where is it slow?",
    "show_if": [{"kind": "answer", "question": "fix", "choices": ["speed"]}],
}
DOCS = {"id": "docs", "type": "rating", "text": "Rate the docs"}
BYE = {"id": "bye", "type": "message", "text": "Thanks, we read every answer.",
       "cta_text": "Read the roadmap", "cta_url": "https://example.com/roadmap"}  # fmt: skip


def nps(world):
    return world.alpha.surveys.get(kind="nps")


def link_comment_page(client, survey, score):
    reply = client.post(f"/l/{survey.public_id}/", {"score": str(score)})
    assert reply.status_code == 302
    return reply["Location"]


def test_a_link_asks_the_detractors_path_and_stores_each_answer(world):
    survey = ask(nps(world), FIX, SPEED, DOCS, BYE)
    client = Client()
    url = link_comment_page(client, survey, 3)
    html = client.get(url).content.decode()
    assert "What should Alpha fix?" in html  # worded for the product
    assert "&lt;b&gt;Price&lt;/b&gt;" in html and "<b>Price" not in html  # escaped
    assert 'data-show-if="' in html and "Where is it slow?" in html  # shown by answer.js
    assert "Rate the docs" in html and "(optional)" in html
    saved = client.post(
        url,
        {"comment": "Slow", "q:fix": ["speed", "other"], "q:fix:other": "Search",
         "q:speed-detail": "Exports", "q:docs": "2"},
    )  # fmt: skip
    assert saved.status_code == 302
    response = Response.objects.get()
    answers = {a.question: a for a in Answer.objects.filter(response=response)}
    assert answers["fix"].value == {"choices": ["speed"], "other": "Search"}
    assert answers["fix"].text == "What should Alpha fix?"
    assert answers["fix"].version == survey.version
    assert answers["speed-detail"].value == {"text": "Exports"}
    assert answers["docs"].value == {"rating": 2}
    # Saved: the closing message and its call to action replace the thank-you.
    done = client.get(saved["Location"]).content.decode()
    assert "Thanks, we read every answer." in done
    assert 'href="https://example.com/roadmap"' in done and "Read the roadmap" in done
    # The page shows what was answered.
    assert 'value="Search"' in done and 'value="speed" checked' in done


def test_a_promoter_is_not_asked_the_detractor_question(world):
    survey = ask(nps(world), FIX, DOCS)
    client = Client()
    url = link_comment_page(client, survey, 10)
    html = client.get(url).content.decode()
    assert "fix?" not in html and "Rate the docs" in html
    # An answer to a question not on their path (a forged field) is never stored.
    assert client.post(url, {"q:fix": "speed", "q:docs": "5"}).status_code == 302
    assert list(Answer.objects.values_list("question", "value")) == [("docs", {"rating": 5})]


def test_what_a_hidden_question_leaves_behind_is_dropped(world):
    survey = ask(nps(world), FIX, SPEED)
    client = Client()
    url = link_comment_page(client, survey, 2)
    # "Price" picked, so "Where is it slow?" was hidden; its text field still posts.
    assert client.post(url, {"q:fix": "price", "q:speed-detail": "Old text"}).status_code == 302
    assert list(Answer.objects.values_list("question", flat=True)) == ["fix"]


def test_a_required_question_left_blank_or_a_bad_answer_writes_nothing(world):
    survey = ask(nps(world), FIX, DOCS)
    client = Client()
    url = link_comment_page(client, survey, 1)
    blank = client.post(url, {"comment": "Too slow", "q:docs": "3"})
    assert blank.status_code == 400
    html = blank.content.decode()
    assert "Please answer this question." in html and 'aria-invalid="true"' in html
    bad = client.post(url, {"comment": "Too slow", "q:fix": "speed", "q:docs": "9"})
    assert bad.status_code == 400 and "from 1 to 5" in bad.content.decode()
    unknown = client.post(url, {"q:fix": "nope"})
    assert unknown.status_code == 400 and "is not one of its choices" in unknown.content.decode()
    assert not Answer.objects.exists()
    assert Response.objects.get().comment == ""


def test_an_email_comment_page_answers_with_a_change_of_score(world, smtp):
    survey = ask(nps(world), FIX, DOCS)
    invitation = services.invitation_schedule(
        project=world.alpha,
        survey=survey,
        identity=Identity(email="jane@example.com"),
        source=InvitationSource.DASHBOARD,
    )
    client = Client()
    token = links.token_for(invitation.public_id)
    reply = client.post(reverse("email-answer", args=[token, 9]))
    assert reply.status_code == 302
    page = reply["Location"]
    assert "fix?" not in client.get(page).content.decode()  # a promoter so far
    # Changed their mind to a 4 and answered the detractor question in the same post.
    saved = client.post(page, {"score": "4", "q:fix": "price", "q:docs": "1"})
    assert saved.status_code == 302
    response = Response.objects.get()
    assert response.score == 4
    assert {a.question: a.value for a in Answer.objects.filter(response=response)} == {
        "fix": {"choices": ["price"]},
        "docs": {"rating": 1},
    }
    # A later edit of the live survey keeps the page on the version answered.
    ask(survey, {**FIX, "text": "What hurts?"}, DOCS)
    html = client.get(page).content.decode()
    assert "What should Alpha fix?" in html and "What hurts?" not in html
