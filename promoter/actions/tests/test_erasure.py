"""Erasure: a person goes with everything about them, by service, CLI, API and dashboard;
the log keeps counts and a random id, never personal data."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.actions.erasure import person_erase
from promoter.channels.models import Invitation, InvitationSource
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, Event
from promoter.integrations.routing import response_event
from promoter.people.models import EndUser, Erasure
from promoter.responses import triage
from promoter.responses.models import Activity, Display, Note, Reply, Response, ResponseTag
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create


def person_with_history(world, email="jane@example.com", external_id="u-42"):
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha, email=email, external_id=external_id,
        properties={"name": "Jane Doe", "plan": "pro"}, first_seen_at=now, last_seen_at=now,
    )  # fmt: skip
    survey = world.alpha.surveys.get(kind="nps")
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=survey, end_user=person, score=2,
        comment="Jane here: my phone is 555-0100", now=now,
    )  # fmt: skip
    response_tag_add(response=response, tag=tag_get_or_create(project=world.alpha, name="Bug"))
    triage.note_add(response=response, author=world.member, body="Called Jane")
    triage.reply_send(response=response, author=world.member, subject="Hi", body="Sorry Jane")
    Display.objects.create(project=world.alpha, survey=survey, end_user=person, created_at=now)
    Invitation.objects.create(
        project=world.alpha, survey=survey, end_user=person, source=InvitationSource.API,
        scheduled_at=now, created_at=now,
    )  # fmt: skip
    destination = destination_create(
        project=world.alpha, kind="webhook", name="H", data={"url": "https://x.example/h"}
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=response, event=Event.CREATED)
    return person


def test_erasing_removes_everything_about_the_person_and_logs_no_personal_data(world):
    person = person_with_history(world)
    other = person_with_history(world, email="bob@example.com", external_id="u-7")
    public_id = person.public_id
    counts = person_erase(person=person, by="cli")
    assert counts["people.EndUser"] == 1 and counts["responses.Response"] == 1
    assert not EndUser.objects.filter(public_id=public_id).exists()
    # Everything left belongs to the other person.
    for model, path in (
        (Response, "end_user"), (Note, "response__end_user"), (Reply, "response__end_user"),
        (Activity, "response__end_user"), (ResponseTag, "response__end_user"),
        (Display, "end_user"), (Invitation, "end_user"), (Delivery, "response__end_user"),
    ):  # fmt: skip
        remaining = model.objects.count()
        assert remaining > 0 and remaining == model.objects.filter(**{path: other}).count(), model
    assert Response.objects.get().end_user == other  # the other person is untouched
    erasure = Erasure.objects.get()
    text = json.dumps([str(erasure.person), erasure.by, erasure.counts])
    for personal in ("jane", "Jane", "u-42", "555-0100"):
        assert personal not in text
    assert erasure.person == public_id


def test_the_cli_erases_with_yes_and_refuses_otherwise(world, monkeypatch):
    person_with_history(world)
    with pytest.raises(CommandError, match="without --yes"):
        call_command("erase", project="alpha", email="jane@example.com")
    with pytest.raises(CommandError, match="No such person"):
        call_command("erase", project="alpha", email="nobody@example.com", yes=True)
    with pytest.raises(CommandError, match="no project"):
        call_command("erase", project="nope", email="jane@example.com", yes=True)
    out = io.StringIO()
    call_command("erase", project="alpha", external_id="u-42", yes=True, stdout=out)
    assert "Erased 1 person" in out.getvalue() and "(1 response(s))" in out.getvalue()
    assert not EndUser.objects.exists()


def test_the_api_erases_by_id_email_or_public_id_within_its_project(world):
    key = api_key_create(project=world.alpha, name="k").secret
    beta_key = api_key_create(project=world.beta, name="b").secret
    reader = api_key_create(project=world.alpha, name="r", read_only=True).secret
    client = Client()
    jane = person_with_history(world)
    person_with_history(world, email="bob@example.com", external_id="u-7")
    assert (
        client.delete(
            "/api/v1/people/email:jane@example.com", HTTP_AUTHORIZATION=f"Bearer {beta_key}"
        ).status_code
        == 404
    )
    assert (
        client.delete(
            "/api/v1/people/email:jane@example.com", HTTP_AUTHORIZATION=f"Bearer {reader}"
        ).status_code
        == 403
    )
    reply = client.delete(
        "/api/v1/people/email:JANE@example.com", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert reply.status_code == 200 and reply.json()["responses"] == 1
    assert not EndUser.objects.filter(pk=jane.pk).exists()
    assert client.delete("/api/v1/people/id:u-7", HTTP_AUTHORIZATION=f"Bearer {key}").json()["ok"]
    assert (
        client.delete(
            f"/api/v1/people/{uuid.uuid4()}", HTTP_AUTHORIZATION=f"Bearer {key}"
        ).status_code
        == 404
    )
    assert Erasure.objects.count() == 2
    assert all(e.by.startswith("api key ") for e in Erasure.objects.all())


def test_an_admin_erases_from_the_response_page(world):
    person = person_with_history(world)
    response = Response.objects.get(end_user=person)
    page = world.client_for("admin").get(
        reverse("project-response", args=["alpha", response.public_id])
    )
    assert "Erase this person" in page.content.decode()
    member_page = world.client_for("member").get(
        reverse("project-response", args=["alpha", response.public_id])
    )
    assert "Erase this person" not in member_page.content.decode()
    reply = world.client_for("admin").post(
        reverse("project-person-erase", args=["alpha", response.public_id]), follow=True
    )
    assert "Erased the person and their 1 response(s)." in reply.content.decode()
    assert not EndUser.objects.exists()
    assert Erasure.objects.get().by == f"user {world.admin.public_id}"


def test_apikey_command_creates_lists_and_revokes(world):
    out = io.StringIO()
    call_command("apikey", "create", "--project", "alpha", "--name", "sync", "--read-only",
                 stdout=out)  # fmt: skip
    secret = out.getvalue().strip()
    assert secret.startswith("sk_")
    assert Client().get("/api/v1/hooks", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    listing = io.StringIO()
    call_command("apikey", "list", "--project", "alpha", stdout=listing)
    line = listing.getvalue().strip()
    assert "read-only" in line and "sync" in line and secret not in line
    key_id = line.split()[0]
    call_command("apikey", "revoke", "--project", "alpha", key_id, stdout=io.StringIO())
    assert Client().get("/api/v1/hooks", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    with pytest.raises(CommandError, match="no key"):
        call_command("apikey", "revoke", "--project", "alpha", "nope")
