"""Every link to a response in every message Promoter sends out (the @mention e-mail, each
transport's payload) opens, for the teammate who gets it, that response's own page: also for
a response older than the newest 25, which the Feedback stream does not show."""

from __future__ import annotations

import datetime
import html
import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import delivery_test_create, response_event
from promoter.integrations.tests.receiver import Answer
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create

SITE = "https://promoter.example.com"
LINK = re.compile(re.escape(SITE) + r"[^\s\"'<>\\]*")
COMMENT = "The old export bug is back"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def answers(world, n: int) -> list[Response]:
    """Store ``n`` answers one hour apart, oldest first (each with its own comment)."""
    start = timezone.now() - datetime.timedelta(hours=n + 1)
    made = []
    for i in range(n):
        person = EndUser.objects.create(
            project=world.alpha,
            external_id=f"u-{i}",
            email=f"person{i}@example.com",
            first_seen_at=start,
            last_seen_at=start,
        )
        response, _ = response_create(
            public_id=uuid.uuid4(),
            survey=world.alpha.surveys.get(kind="nps"),
            end_user=person,
            score=2,
            comment=COMMENT if i == 0 else f"Comment number {i}",
            now=start + datetime.timedelta(hours=i),
        )
        made.append(response)
    return made


def links(text: str) -> list[str]:
    return [html.unescape(url) for url in LINK.findall(text)]


def destinations(world, receiver) -> None:
    """One destination of each kind, all on the local receiver, each on response.created."""
    url = receiver.url
    receiver.routes = {
        "/ic/contacts/search": Answer(body={"type": "list", "data": [{"id": "c-1"}]}),
        "/ic/events": Answer(status=202, body=b""),
        "/ic/tags": Answer(body={"type": "tag", "id": "81"}),
        "/ic/contacts/c-1/tags": Answer(body={"type": "tag", "id": "81"}),
        "/zd/": Answer(status=201, body={"ticket": {"id": 1}}),
    }
    made = [
        ("slack", {"url": url + "/slack"}),
        ("webhook", {"url": url + "/webhook"}),
        ("webhook", {"url": url + "/zapier"}),
        ("intercom", {"token": "t", "api_url": url + "/ic"}),
        ("zendesk", {"url": url + "/zd", "email": "agent@example.com", "token": "t"}),
        ("segment", {"write_key": "k", "api_url": url + "/seg"}),
        ("email", {"recipients": "member@example.com"}),
    ]
    for kind, data in made:
        destination = destination_create(project=world.alpha, kind=kind, name=kind, data=data)
        if data.get("url", "").endswith("/zapier"):
            destination.config = {**destination.config, "format": "zapier"}
            destination.save(update_fields=["config"])
        rule_create(destination=destination, events=[Event.CREATED])


def outgoing_links(world, receiver, smtp, response: Response) -> dict[str, tuple[str, list[str]]]:
    """Send everything that links to ``response``; return, per message, who gets it and
    the links it carries."""
    found: dict[str, tuple[str, list[str]]] = {}
    destinations(world, receiver)
    response_event(response=response, event=Event.CREATED)
    outcome = deliveries_process(worker="test")
    assert outcome.delivered == 7, outcome
    for request in receiver.requests:
        name = request.path.split("/")[1]
        text = json.dumps(json.loads(request.body)) if request.body else ""
        previous = found.get(name, ("member", []))[1]
        found[name] = ("member", previous + links(text))
    # The e-mail destination's mail, to its recipient (a member).
    mail = smtp.wait_for(1)[0]["message"]
    assert mail["To"] == "member@example.com"
    for part in mail.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[f"email {part.get_content_type()}"] = ("member", links(part.get_content()))
    # The @mention e-mail: the owner mentions the admin in a note on the response's page.
    owner = world.client_for("owner")
    note = reverse("project-response-note", args=[world.alpha.slug, response.public_id])
    reply = owner.post(note, {"body": "@admin have a look"})
    assert reply.status_code == 302
    mentions = [m for m in smtp.wait_for(2) if m["rcpt"] == ["admin@example.com"]]
    assert len(mentions) == 1
    found["@mention"] = ("admin", links(mentions[0]["message"].get_content()))
    return found


@pytest.mark.django_db(transaction=True)  # the @mention e-mail leaves once the note commits
@pytest.mark.parametrize("which", ["older than the newest 25", "the newest"])
def test_every_link_to_a_response_opens_its_own_page(world, receiver, smtp, which):
    made = answers(world, 30)
    target = made[0] if which == "older than the newest 25" else made[-1]
    found = outgoing_links(world, receiver, smtp, target)
    expected = {"slack", "webhook", "zapier", "ic", "zd", "seg", "@mention"}
    expected |= {"email text/plain", "email text/html"}
    assert set(found) == expected
    own = f"{SITE}/p/alpha/responses/{target.public_id}/"
    for message, (addressee, urls) in found.items():
        assert urls, f"{message} carries no link to the response"
        client: Client = world.client_for(addressee)
        for url in urls:
            path = url.removeprefix(SITE).split("#", 1)[0]  # never sent by a browser
            page = client.get(path)
            assert page.status_code == 200, f"{message}: {url}"
            assert page.resolver_match.url_name == "project-response", f"{message}: {url}"
            assert page.context["r"].pk == target.pk
            assert target.comment in page.content.decode(), f"{message}: {url}"
            assert url == own, f"{message}: {url}"  # no query or fragment to go stale


def test_the_payload_link_is_the_responses_own_page(world):
    """The address every transport puts in its payload (webhook ``dashboard_url``, Slack's
    button, Intercom's ``response_url``, Zendesk's and the e-mail's "Open in Promoter")."""
    from promoter.integrations.payload import response_url

    response = answers(world, 1)[0]
    assert response_url(response) == f"{SITE}/p/alpha/responses/{response.public_id}/"


def test_a_test_messages_link_opens_the_feedback_stream(world, receiver):
    """A test message is about a sample response, which is not stored: its link opens the
    Feedback stream rather than a page that does not exist."""
    destination = destination_create(
        project=world.alpha, kind="slack", name="S", data={"url": receiver.url + "/s"}
    )
    delivery_test_create(destination=destination)
    assert deliveries_process(worker="test").delivered == 1
    (url,) = links(receiver.wait_for(1)[0].body.decode())
    page = world.client_for("member").get(url.removeprefix(SITE))
    assert page.status_code == 200
    assert page.resolver_match.url_name == "project-responses"
