"""How many messages one widget answer makes, through the real widget API, the real worker
function and a real HTTP receiver: exactly what docs/integrations.md ("What each answer
sends") says, for every set of events a rule can listen to and every timing of the score and
the comment. Slack's incoming webhooks cannot edit a message, so a second message with
nothing new is a duplicate in the channel."""

from __future__ import annotations

import datetime
import uuid
from itertools import combinations

import pytest
from django.test import Client
from django.utils import timezone

from promoter.integrations import outbox
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, DeliveryStatus, Event
from promoter.integrations.outbox import deliveries_claim, deliveries_process
from promoter.integrations.tests.receiver import Answer
from promoter.responses.services import autotag_rule_create, tag_get_or_create

C, U, T = Event.CREATED, Event.UPDATED, Event.TAGGED
EVENT_SETS = [
    frozenset(events) for n in (1, 2, 3) for events in combinations((C, U, T), n)
]  # the 7 non-empty values of a rule's ``events``
COMMENT = "The export is too slow"

# docs/integrations.md, "What each answer sends": the messages one detractor's answer makes
# for a rule on detractors, by the rule's events and when the comment arrives.
#   together: the comment comes with the score (one POST);
#   before: the comment's PATCH arrives before the worker sends anything;
#   after: the comment's PATCH arrives after the first message was sent.
# Each message is (event, has the comment, for webhooks and Zapier only); Slack and the other
# transports get the others, without the event's name.
S, SC = ("created", False, False), ("created", True, False)
UC = ("updated", True, False)
TC = ("tagged", True, False)
TC_ = ("tagged", True, True)  # the docs' asterisk
WITHOUT_AUTOTAG = {
    frozenset({C}): {"together": [SC], "before": [SC], "after": [S]},
    frozenset({U}): {"together": [], "before": [UC], "after": [UC]},
    frozenset({T}): {"together": [], "before": [], "after": []},
    frozenset({C, U}): {"together": [SC], "before": [SC], "after": [S, UC]},
    frozenset({C, T}): {"together": [SC], "before": [SC], "after": [S]},
    frozenset({U, T}): {"together": [], "before": [UC], "after": [UC]},
    frozenset({C, U, T}): {"together": [SC], "before": [SC], "after": [S, UC]},
}
# With an auto-tag rule that tags the comment (so "it is tagged" fires when it arrives).
WITH_AUTOTAG = {
    frozenset({C}): {"together": [SC], "before": [SC], "after": [S]},
    frozenset({U}): {"together": [], "before": [UC], "after": [UC]},
    frozenset({T}): {"together": [TC], "before": [TC], "after": [TC]},
    frozenset({C, U}): {"together": [SC], "before": [SC], "after": [S, UC]},
    frozenset({C, T}): {"together": [SC, TC_], "before": [SC, TC_], "after": [S, TC]},
    frozenset({U, T}): {"together": [TC], "before": [UC, TC_], "after": [UC, TC_]},
    frozenset({C, U, T}): {"together": [SC, TC_], "before": [SC, TC_], "after": [S, UC, TC_]},
}


def expected(kind: str, events: frozenset[str], timing: str, autotag: bool) -> list[object]:
    messages = (WITH_AUTOTAG if autotag else WITHOUT_AUTOTAG)[events][timing]
    if kind == "webhook":
        return [(event, has_comment) for event, has_comment, _only in messages]
    return [has_comment for _event, has_comment, webhooks_only in messages if not webhooks_only]


def widget_post(client: Client, world, rid: str, comment: str = ""):
    body = {
        "key": world.alpha.public_key,
        "survey": str(world.alpha.surveys.get(kind="nps").public_id),
        "user": {"id": "u-1", "email": "jane@example.com"},
        "id": rid,
        "score": 2,
        "comment": comment,
    }
    reply = client.post("/i/v1/responses", body, content_type="application/json")
    assert reply.status_code == 201, reply.content


def widget_patch(client: Client, world, rid: str, comment: str):
    body = {"key": world.alpha.public_key, "user": {"id": "u-1"}, "comment": comment}
    reply = client.patch(f"/i/v1/responses/{rid}", body, content_type="application/json")
    assert reply.status_code == 200, reply.content


def received(kind: str, receiver, smtp=None) -> list[object]:
    """Return what the destination got: (event, has the comment) per webhook; has the
    comment per Slack message, Zendesk ticket, Intercom event, Segment call or e-mail."""
    if kind == "email":
        return [COMMENT in m["message"].get_body(("plain",)).get_content() for m in smtp.messages]
    out: list[object] = []
    for request in receiver.requests:
        if kind == "webhook":
            body = request.json()
            response = body["data"]["response"]
            out.append((body["type"].removeprefix("response."), bool(response["comment"])))
        elif kind != "intercom" or request.path.endswith("/events"):
            out.append(COMMENT in request.body.decode())
    return out


def work() -> None:
    """Run the worker function the delivery tasks and the outbox sweep run, until idle."""
    deliveries_process(worker="test")


def answer(world, timing: str) -> None:
    """Answer through the widget API: score and comment ``together``, or apart, ``before``
    or ``after`` the first delivery is sent; the worker runs when it would."""
    client = Client()
    rid = str(uuid.uuid4())
    if timing == "together":
        widget_post(client, world, rid, COMMENT)
        work()
    elif timing == "before":
        widget_post(client, world, rid)
        widget_patch(client, world, rid, COMMENT)
        work()
    else:
        widget_post(client, world, rid)
        work()
        widget_patch(client, world, rid, COMMENT)
        work()


def rule(world, kind: str, events: frozenset[str], data: dict[str, str], autotag: bool) -> None:
    destination = destination_create(project=world.alpha, kind=kind, name="Support", data=data)
    rule_create(destination=destination, events=sorted(events), categories=["detractor"])
    if autotag:
        tag = tag_get_or_create(project=world.alpha, name="Performance")
        autotag_rule_create(project=world.alpha, tag=tag, phrases=["slow"])


@pytest.mark.parametrize("autotag", [False, True], ids=["plain", "autotag"])
@pytest.mark.parametrize("timing", ["together", "before", "after"])
@pytest.mark.parametrize("events", EVENT_SETS, ids=lambda e: "+".join(sorted(x[9:] for x in e)))
@pytest.mark.parametrize("kind", ["slack", "webhook"])
def test_each_answer_sends_exactly_what_the_docs_say(
    world, receiver, kind, events, timing, autotag
):
    rule(world, kind, events, {"url": receiver.url + "/hook"}, autotag)
    answer(world, timing)
    assert received(kind, receiver) == expected(kind, events, timing, autotag)
    # Nothing is left to send: a later sweep sends nothing more.
    assert not Delivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).exists()


@pytest.mark.parametrize("timing", ["together", "before", "after"])
@pytest.mark.parametrize("events", [frozenset({C, U}), frozenset({C, U, T})], ids=["CU", "CUT"])
@pytest.mark.parametrize("kind", ["email", "zendesk", "intercom", "segment"])
def test_the_other_transports_get_what_slack_gets(world, receiver, smtp, kind, events, timing):
    """The docs' second table, the one with every event, for the transports other than
    Slack and webhooks: they show no event name, so they get what Slack gets."""
    data = {
        "email": {"recipients": "member@example.com"},
        "zendesk": {"url": receiver.url, "email": "agent@example.com", "token": "t"},
        "intercom": {"token": "t", "api_url": receiver.url},
        "segment": {"write_key": "k", "api_url": receiver.url},
    }[kind]
    receiver.routes = {
        "/contacts/search": Answer(body={"type": "list", "data": [{"id": "c-1"}]}),
        "/tags": Answer(body={"type": "tag", "id": "81"}),
    }
    rule(world, kind, events, data, autotag=True)
    answer(world, timing)
    assert received(kind, receiver, smtp) == expected(kind, events, timing, autotag=True)


def test_slack_gets_one_message_when_the_comment_arrives_before_the_first_is_sent(world, receiver):
    """The issue's report: "Detractors → Slack" on the default events, score then comment."""
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[C, U], categories=["detractor"])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid)
    widget_patch(client, world, rid, COMMENT)
    work()
    assert len(receiver.requests) == 1
    assert COMMENT in receiver.requests[0].body.decode()
    statuses = dict(Delivery.objects.values_list("event", "status"))
    assert statuses == {C: DeliveryStatus.DELIVERED, U: DeliveryStatus.SKIPPED}


def test_a_retried_message_that_already_carries_the_comment_is_not_sent_again(
    world, receiver, settings
):
    """The first try fails (Slack answers 500); the comment arrives while it waits for its
    retry, which then carries it: the comment's own message has nothing new."""
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    receiver.script = [Answer(status=500)]
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid)
    assert deliveries_process(worker="test").retrying == 1
    widget_patch(client, world, rid, COMMENT)
    Delivery.objects.update(next_attempt_at=timezone.now())  # the retry's time has come
    work()
    bodies = [r.body.decode() for r in receiver.requests]
    assert len(bodies) == 2 and COMMENT not in bodies[0] and COMMENT in bodies[1]
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert [d.event for d in delivered] == [C]
    assert Delivery.objects.get(event=U).status == DeliveryStatus.SKIPPED


def test_deliveries_of_one_response_to_one_destination_go_one_at_a_time(world, receiver):
    """While the first is claimed (its worker may be sending it), the next is not due: it
    waits, so it is compared with what the first said once that is recorded."""
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid)
    widget_patch(client, world, rid, COMMENT)
    _token, first = deliveries_claim(worker="a")
    assert [d.event for d in first] == [C]
    _token, second = deliveries_claim(worker="b")
    assert second == []  # the update waits behind the claimed creation
    # The first worker dies; after its lease another takes the creation over, then the update.
    Delivery.objects.filter(event=C).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    work()
    assert len(receiver.requests) == 1 and COMMENT in receiver.requests[0].body.decode()


def test_a_crash_between_send_and_record_resends_the_same_delivery_only(
    world, receiver, monkeypatch
):
    """At least once: a worker that sent but died before recording leaves its claim; the
    next worker sends that delivery again (same id), and the comment's delivery, which has
    nothing new, still sends nothing."""
    destination = destination_create(
        project=world.alpha, kind="webhook", name="Hook", data={"url": receiver.url + "/h"}
    )
    rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid)
    widget_patch(client, world, rid, COMMENT)
    real = outbox._record_batch

    def die(*args, **kwargs):
        raise SystemExit("killed after sending, before recording")

    monkeypatch.setattr(outbox, "_record_batch", die)
    with pytest.raises(SystemExit):
        work()
    monkeypatch.setattr(outbox, "_record_batch", real)
    assert len(receiver.requests) == 1
    Delivery.objects.filter(status=DeliveryStatus.SENDING).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    work()
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    created = Delivery.objects.get(event=C)
    assert ids == [f"msg_{created.public_id}"] * 2  # the same message, which receivers drop
    assert created.status == DeliveryStatus.DELIVERED
    assert Delivery.objects.get(event=U).status == DeliveryStatus.SKIPPED


def test_two_rules_to_one_channel_post_one_message(world, receiver):
    """Two rules of one destination that match one event: one message, not two alike."""
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[C], categories=["detractor"])
    rule_create(destination=destination, events=[C], has_comment=True)
    widget_post(Client(), world, str(uuid.uuid4()), COMMENT)
    work()
    assert len(receiver.requests) == 1


def test_each_destination_gets_its_own_message(world, receiver):
    """The comparison is per destination: a second channel gets its message too."""
    for path in ("/a", "/b"):
        destination = destination_create(
            project=world.alpha, kind="slack", name=path, data={"url": receiver.url + path}
        )
        rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid)
    widget_patch(client, world, rid, COMMENT)
    work()
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"]


def test_a_comment_changed_back_is_news_again(world, receiver):
    """Only the last message delivered counts: A, then B, then A again sends three."""
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    widget_post(client, world, rid, "Too slow")
    work()
    widget_patch(client, world, rid, "Too slow and buggy")
    work()
    widget_patch(client, world, rid, "Too slow")
    work()
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("kind", ["slack", "webhook", "segment"])
def test_a_message_is_built_once_for_its_digest_and_its_sending(world, receiver, kind, monkeypatch):
    """Telling whether a message is news and sending it share one build of the response's
    data (its dashboard address is the costly part): one build per delivery."""
    from promoter.integrations import payload

    builds: list[int] = []
    build = payload._response_data
    monkeypatch.setattr(payload, "_response_data", lambda m: builds.append(1) or build(m))
    data = {"url": receiver.url + "/s", "write_key": "k", "api_url": receiver.url}
    data = {k: v for k, v in data.items() if (k == "url") != (kind == "segment")}
    destination = destination_create(project=world.alpha, kind=kind, name="Support", data=data)
    rule_create(destination=destination, events=[C], categories=["detractor"])
    widget_post(Client(), world, str(uuid.uuid4()), COMMENT)
    work()
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(builds) == 1


def test_answers_travel_in_every_message_and_a_later_answer_is_news(world, receiver, smtp):
    """The webhook's response carries the answers; Slack, e-mail and Zendesk say them in
    words; an answer given after the first message makes a response.updated that is sent."""
    import json as jsonlib

    from promoter.surveys.tests.asking import ask

    survey = world.alpha.surveys.get(kind="nps")
    ask(
        survey,
        {"id": "fix", "type": "single_choice", "text": "What should we fix?",
         "choices": [{"id": "exports", "text": "Slow exports"}, {"id": "ui", "text": "UI"}]},
        {"id": "docs", "type": "rating", "text": "Rate the docs"},
    )  # fmt: skip
    for kind, data in (
        ("webhook", {"url": receiver.url + "/w"}),
        ("slack", {"url": receiver.url + "/s"}),
        ("email", {"recipients": "owner@example.com"}),
    ):
        destination = destination_create(project=world.alpha, kind=kind, name=kind, data=data)
        rule_create(destination=destination, events=[C, U])
    client = Client()
    rid = str(uuid.uuid4())
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u-1"},
        "id": rid,
        "survey": str(survey.public_id),
        "score": 2,
        "answers": {"fix": "exports"},
    }
    reply = client.post("/i/v1/responses", body, content_type="application/json")
    assert reply.status_code == 201, reply.content
    work()
    hook = next(r for r in receiver.requests if r.path == "/w").json()
    assert hook["data"]["response"]["answers"] == [
        {"question": "fix", "type": "single_choice", "text": "What should we fix?", "version": 1,
         "value": {"choices": ["exports"]}, "labels": {"exports": "Slow exports"}},
    ]  # fmt: skip
    slack = next(r for r in receiver.requests if r.path == "/s").body.decode()
    assert (
        "*What should we fix?* Slow exports"
        in jsonlib.loads(slack)["attachments"][0]["blocks"][1]["elements"][2]["text"]
    )
    assert (
        "What should we fix? Slow exports"
        in smtp.messages[0]["message"].get_body(("plain",)).get_content()
    )
    widget_patch_answers = {"key": world.alpha.public_key, "user": {"id": "u-1"},
                            "answers": {"docs": 2}}  # fmt: skip
    reply = client.patch(
        f"/i/v1/responses/{rid}", widget_patch_answers, content_type="application/json"
    )
    assert reply.status_code == 200, reply.content
    work()
    updates = [r.json() for r in receiver.requests if r.path == "/w"][1:]
    assert [u["type"] for u in updates] == ["response.updated"]
    assert updates[0]["data"]["response"]["answers"][1]["value"] == {"rating": 2}
    assert Delivery.objects.filter(event=U, status=DeliveryStatus.SKIPPED).count() == 0
