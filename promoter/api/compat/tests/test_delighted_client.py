"""The official ``delighted`` Python client 4.2.0, pointed at Promoter, runs a migration
script end to end against a live server: the drop-in promise of docs/delighted-compat.md."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.analytics.metrics import summarize
from promoter.analytics.selectors import ResponseFilter, histogram
from promoter.channels.models import AutopilotMember, Invitation, InvitationStatus
from promoter.people.models import EndUser, Erasure
from promoter.responses.models import Channel, Response

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # "Delighted is being sunset…"
    import delighted

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(world, live_server, settings) -> Any:
    settings.SITE_URL = live_server.url
    cache.clear()
    secret = api_key_create(project=world.alpha, name="migration").secret
    return delighted.Client(api_key=secret, api_base_url=f"{live_server.url}/delighted/v1/")


def test_a_delighted_migration_script_runs_unchanged(world, client):
    now = int(timezone.now().timestamp())
    people = {}
    for i, plan in enumerate(["pro", "pro", "free", "free", "enterprise"]):
        person = delighted.Person.create(
            email=f"user{i}@example.com",
            name=f"User {i}",
            properties={"plan": plan},
            send=False,
            client=client,
        )
        assert person.survey_scheduled_at is None and person.name == f"User {i}"
        people[person.email] = person
    scheduled = delighted.Person.create(
        email="later@example.com", delay=3600, properties={"Purchase": "Web"}, client=client
    )
    assert now + 3590 <= scheduled.survey_scheduled_at <= now + 3700
    stored = EndUser.objects.get(project=world.alpha, email="user4@example.com")
    assert stored.properties == {"plan": "enterprise"} and stored.name == "User 4"

    # History: responses with their dates, comments and properties of the time.
    scores = [10, 9, 9, 7, 3, 0, 10, 8]
    created = []
    for i, score in enumerate(scores):
        person = people[f"user{i % 5}@example.com"]
        created.append(
            delighted.SurveyResponse.create(
                person=person.id,
                score=score,
                comment=f"comment {i}" if i % 2 else None,
                person_properties={"source": "delighted"},
                created_at=now - 86400 * (len(scores) - i),
                client=client,
            )
        )
    assert created[0].survey_type == "nps" and created[0].person == people["user0@example.com"].id
    assert created[1].comment == "comment 1" and created[0].comment is None
    # As in Delighted, the person's name is theirs, not one of the response's properties.
    assert created[0].person_properties == {"plan": "pro", "source": "delighted"}
    assert Response.objects.filter(project=world.alpha, channel=Channel.API).count() == 8

    # Lists: people with cursor pages followed by the client, responses with page numbers.
    listed = list(delighted.Person.list(per_page=2, client=client).auto_paging_iter())
    assert [p.email for p in listed] == [*people, "later@example.com"]
    assert listed[-1].next_survey_scheduled_at == scheduled.survey_scheduled_at
    assert listed[0].last_responded_at is not None
    pages = [
        delighted.SurveyResponse.all(
            per_page=3, page=page, order="desc", expand=["person"], client=client
        )
        for page in (1, 2, 3, 4)
    ]
    assert [len(page) for page in pages] == [3, 3, 2, 0]
    newest = pages[0][0]
    assert newest.score == scores[-1] and isinstance(newest.person, delighted.Person)
    assert newest.person.email == "user2@example.com"
    window = delighted.SurveyResponse.all(since=now - 86400 * 3, until=now, client=client)
    assert [r.score for r in window] == scores[-3:]

    # Retrieve, change and save back (the client PUTs the whole object).
    one = delighted.SurveyResponse.retrieve(created[4].id, expand=["person"], client=client)
    assert one.person.email == "user4@example.com"
    one.comment = "Support took a week to answer"
    one.score = 2
    saved = one.save(client=client)
    assert saved.comment == "Support took a week to answer" and saved.score == 2
    assert Response.objects.get(public_id=created[4].id).score == 2

    # Metrics equal Promoter's own figures over the same window.
    since, until = now - 86400 * 30, now
    got = delighted.Metrics.retrieve(since=since, until=until, client=client)
    survey = world.alpha.surveys.get(kind="nps")
    own = summarize(
        "nps",
        histogram(
            project=world.alpha,
            flt=ResponseFilter(
                survey=survey,
                since=datetime.datetime.fromtimestamp(since, datetime.UTC),
                until=datetime.datetime.fromtimestamp(until + 1, datetime.UTC),
            ),
        ),
    )
    assert got.response_count == own.n == 8
    assert got.nps == round(own.score) == 25  # 4 promoters, 2 passives, 2 detractors
    assert (got.promoter_count, got.passive_count, got.detractor_count) == (4, 2, 2)
    assert (got.promoter_percent, got.passive_percent, got.detractor_percent) == (50, 25, 25)
    assert delighted.Metrics.retrieve(client=client).response_count == 8  # last 30 days

    # Unsubscribe, cancel pending surveys, autopilot, then erase people.
    assert delighted.Unsubscribe.create(person_email="user3@example.com", client=client) == {
        "ok": True
    }
    unsubscribed = delighted.Unsubscribe.all(client=client)
    assert [u.email for u in unsubscribed] == ["user3@example.com"]
    assert delighted.Bounce.all(client=client) == []
    assert delighted.SurveyRequest.delete_pending(
        person_email="later@example.com", client=client
    ) == {"ok": True}
    assert Invitation.objects.get(end_user__email="later@example.com").status == (
        InvitationStatus.CANCELED
    )
    member = delighted.AutopilotMembership.forEmail().create(
        person_email="user1@example.com", properties={"plan": "pro"}, client=client
    )
    assert member.person["email"] == "user1@example.com"
    members = list(delighted.AutopilotMembership.forEmail().list(client=client).auto_paging_iter())
    assert [m.person["email"] for m in members] == ["user1@example.com"]
    config = delighted.AutopilotConfiguration.retrieve("email", client=client)
    assert config.platform_id == "email" and config.frequency == 90 * 86400
    delighted.AutopilotMembership.forEmail().delete(person_email="user1@example.com", client=client)
    assert not AutopilotMember.objects.exists()

    assert delighted.Person.delete(email="user0@example.com", client=client) == {"ok": True}
    assert delighted.Person.delete(id=people["user1@example.com"].id, client=client) == {"ok": True}
    assert not EndUser.objects.filter(email__in=["user0@example.com", "user1@example.com"])
    assert Response.objects.filter(project=world.alpha).count() == 8 - 4
    assert Erasure.objects.filter(project=world.alpha).count() == 2
    with pytest.raises(delighted.errors.GeneralAPIError) as missing:
        delighted.Person.delete(email="user0@example.com", client=client)
    assert missing.value.response.status_code == 404


def test_the_clients_errors_come_back_as_delighted_sent_them(world, client, live_server, settings):
    wrong = delighted.Client(api_key="sk_wrong", api_base_url=f"{live_server.url}/delighted/v1/")
    with pytest.raises(delighted.errors.AuthenticationError):
        delighted.Metrics.retrieve(client=wrong)
    person = delighted.Person.create(email="a@example.com", send=False, client=client)
    with pytest.raises(delighted.errors.ResourceValidationError) as invalid:
        delighted.SurveyResponse.create(person=person.id, score=11, client=client)
    assert '"score"' in invalid.value.response.body
    with pytest.raises(delighted.errors.ResourceValidationError):
        delighted.Person.create(email="not an address", client=client)
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    cache.clear()
    delighted.Metrics.retrieve(client=client)
    delighted.Metrics.retrieve(client=client)
    with pytest.raises(delighted.errors.TooManyRequestsError) as limited:
        delighted.Metrics.retrieve(client=client)
    assert 1 <= limited.value.retry_after <= 61


def test_the_client_lists_additional_answers_of_every_type(world, client):
    """Answers given through the widget come back as Delighted's ``additional_answers``:
    free_response, scale, select_one and select_many, each with its question."""
    import json
    import uuid

    from django.test import Client as HttpClient

    from promoter.surveys.tests.asking import ask

    survey = world.alpha.surveys.get(kind="nps")
    ask(
        survey,
        {"id": "why", "type": "text", "text": "Why?"},
        {"id": "docs", "type": "rating", "text": "Rate our docs"},
        {"id": "fit", "type": "pmf"},
        {"id": "use", "type": "multiple_choice", "text": "What do you use?", "other": True,
         "choices": [{"id": "api", "text": "The API"}, {"id": "csv", "text": "Exports"}]},
    )  # fmt: skip
    body = {
        "key": world.alpha.public_key,
        "user": {"email": "ada@example.com"},
        "id": str(uuid.uuid4()),
        "survey": str(survey.public_id),
        "score": 9,
        "answers": {
            "why": "Fast exports",
            "docs": 4,
            "fit": "very_disappointed",
            "use": {"choices": ["csv", "api"], "other": "Webhooks"},
        },
    }
    reply = HttpClient().post("/i/v1/responses", json.dumps(body), content_type="application/json")
    assert reply.status_code == 201, reply.content
    [listed] = delighted.SurveyResponse.all(client=client)
    answers = {a["question"]["id"]: a for a in listed.additional_answers}
    empty = {"free_response": None, "scale": None, "select_one": None, "select_many": None}
    assert answers["why"]["question"] == {"id": "why", "type": "free_response", "text": "Why?"}
    assert answers["why"]["value"] == {**empty, "free_response": "Fast exports"}
    assert answers["docs"]["question"]["type"] == "scale"
    assert answers["docs"]["value"] == {**empty, "scale": 4}
    assert answers["fit"]["question"] == {
        "id": "fit",
        "type": "select_one",
        "text": "How would you feel if you could no longer use Alpha?",
    }
    assert answers["fit"]["value"] == {
        **empty,
        "select_one": {"id": "very_disappointed", "text": "Very disappointed"},
    }
    assert answers["use"]["question"]["type"] == "select_many"
    assert answers["use"]["value"] == {
        **empty,
        "select_many": [
            {"id": "api", "text": "The API"},
            {"id": "csv", "text": "Exports"},
            {"id": "other", "text": "Webhooks"},
        ],
    }
    assert all(isinstance(a["id"], str) for a in listed.additional_answers)
