"""Hostile input on the public survey pages, which no OpenAPI document describes: the link
survey and its comment page, the e-mail score links, the comment page and the unsubscribe
page. The bad-input table of the dashboard's filters (NUL, lone surrogates, huge, deeply
nested and over-long values) goes to every parameter the pages read, in the query string and
in the form, and into the path's token: never a server error, and a refused request records
nothing.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from promoter.channels import links, services, views
from promoter.channels.models import InvitationSource
from promoter.people.models import EndUser
from promoter.people.services import Identity
from promoter.responses.models import Response
from promoter.surveys.models import Survey
from promoter.tests.fuzzing import BAD

# Every parameter the pages read (channels/views.py), and one they do not; the others keep a
# good value while one holds the bad one, so each reaches the code that reads it.
GOOD = {"email": "jane@example.com", "locale": "fr", "sig": "", "score": "9", "comment": "ok"}
PARAMETERS = (*GOOD, "saved", "unknown")


def _encoded(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"))


def _query(name: str, value: str) -> str:
    sent = {**GOOD, name: value}
    return "&".join(f"{key}={_encoded(item)}" for key, item in sent.items())


def _pages(world) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, path, methods) of every public survey page, with a live token or id."""
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    invitation = services.invitation_schedule(
        project=world.alpha,
        survey=survey,
        identity=Identity(email="jane@example.com"),
        source=InvitationSource.API,
        now=timezone.now(),
    )
    token = links.token_for(invitation.public_id)
    answer = services.link_answer(survey=survey, score=9, now=timezone.now())
    comment = signing.Signer(salt=views.RESPONSE_SALT).sign(answer.public_id.hex)
    return [
        ("link-survey", f"/l/{survey.public_id}/", ("GET", "POST")),
        ("link-survey-comment", f"/l/{survey.public_id}/{comment}/", ("GET", "POST")),
        ("email-answer", f"/e/{token}/9/", ("GET", "HEAD", "POST")),
        ("email-answer-page", f"/e/{token}/", ("GET", "POST")),
        ("email-unsubscribe", f"/u/{token}/", ("GET",)),
    ]


def _stored() -> tuple[int, int]:
    return Response.objects.count(), EndUser.objects.count()


@pytest.mark.parametrize(("label", "value"), BAD, ids=[label for label, _ in BAD])
def test_bad_parameters_on_every_public_page_are_never_a_server_error(
    world, label, value, monkeypatch
):
    monkeypatch.setattr(views, "LINK_RATE_PER_MINUTE", 10**6)  # thousands of answers here
    client = Client(raise_request_exception=False)
    for name, path, methods in _pages(world):
        for method in methods:
            for parameter in PARAMETERS:
                before = _stored()
                query = _query(parameter, value)
                if method == "POST":
                    reply = client.post(
                        f"{path}?{query}", query, content_type="application/x-www-form-urlencoded"
                    )
                else:
                    reply = getattr(client, method.lower())(f"{path}?{query}")
                where = (name, method, parameter, label, reply.status_code)
                assert reply.status_code < 500, where
                if reply.status_code >= 400:
                    assert _stored() == before, where


@pytest.mark.parametrize(("label", "value"), BAD, ids=[label for label, _ in BAD])
def test_bad_tokens_and_ids_in_the_path_are_refused_not_a_server_error(world, label, value):
    client = Client(raise_request_exception=False)
    bad = _encoded(value)
    survey = Survey.objects.get(project=world.alpha, kind="nps")
    before = _stored()
    for path in (
        f"/l/{bad}/",
        f"/l/{survey.public_id}/{bad}/",
        f"/e/{bad}/9/",
        f"/e/{bad}/",
        f"/u/{bad}/",
    ):
        for method in ("get", "post"):
            reply = getattr(client, method)(path)
            assert reply.status_code < 500, (path, method, label, reply.status_code)
            assert reply.status_code >= 400, (path, method, label)
    assert _stored() == before
