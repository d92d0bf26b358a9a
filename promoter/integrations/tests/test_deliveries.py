"""The outbox: routing rules, retries with backoff, permanent failures, claims and leases,
the SSRF guard, and routing in the ingest transaction."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from promoter.core.http import HttpError, request
from promoter.integrations import outbox
from promoter.integrations.destinations import (
    destination_create,
    destination_set_active,
    destination_update,
    rule_create,
)
from promoter.integrations.models import Delivery, DeliveryStatus, Destination, Event
from promoter.integrations.outbox import (
    MAX_BACKOFF_SECONDS,
    backoff_seconds,
    deliveries_claim,
    deliveries_process,
)
from promoter.integrations.routing import deliveries_replay, response_event
from promoter.integrations.tests.receiver import Answer
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create
from promoter.surveys.eligibility import Condition


def answer(project, score, comment="", *, properties=None, kind="nps"):
    now = timezone.now()
    person = EndUser.objects.create(
        project=project,
        external_id=f"u-{uuid.uuid4().hex[:8]}",
        properties=properties or {},
        first_seen_at=now,
        last_seen_at=now,
    )
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=project.surveys.get(kind=kind),
        end_user=person,
        score=score,
        comment=comment,
        now=now,
    )
    return response


def webhook(project, url, **rule):
    destination = destination_create(
        project=project, kind="webhook", name="Hook", data={"url": url}
    )
    rule_create(destination=destination, events=rule.pop("events", [Event.CREATED]), **rule)
    return destination


# Retries ------------------------------------------------------------------------------------


def test_a_receiver_failing_twice_then_succeeding_gets_exactly_one_success(world, receiver):
    receiver.script = [Answer(status=500), Answer(status=503), Answer(status=200)]
    webhook(world.alpha, receiver.url)
    response = answer(world.alpha, 2, "slow")
    response_event(response=response, event=Event.CREATED)
    outcome = deliveries_process(worker="test")
    assert (outcome.delivered, outcome.retrying, outcome.failed) == (1, 2, 0)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    attempts = list(delivery.attempt_log.order_by("at", "pk"))
    assert [(a.status_code, a.ok) for a in attempts] == [(500, False), (503, False), (200, True)]
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {f"msg_{delivery.public_id}"}  # the same id on every try, for de-duplication
    assert len(receiver.requests) == 3


def test_backoff_grows_exponentially_with_jitter(settings):
    import random

    settings.DELIVERY_RETRY_BASE_SECONDS = 10
    rng = random.Random(1)
    waits = [backoff_seconds(n, rng=rng) for n in range(1, 8)]
    for n, wait in enumerate(waits, start=1):
        assert 0.5 * 10 * 2 ** (n - 1) <= wait <= 1.5 * 10 * 2 ** (n - 1)
    assert backoff_seconds(40) <= 1.5 * MAX_BACKOFF_SECONDS


def test_429_honours_retry_after(world, receiver, settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 1
    receiver.script = [Answer(status=429, headers={"Retry-After": "120"})]
    webhook(world.alpha, receiver.url)
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    before = timezone.now()
    outcome = deliveries_process(worker="test")
    assert (outcome.retrying, outcome.delivered) == (1, 0)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 429
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 119 <= wait <= 122
    assert deliveries_process(worker="test").total == 0  # not due yet


def test_a_timeout_is_retried(world, receiver, settings):
    settings.OUTBOUND_TIMEOUT_SECONDS = 1
    receiver.script = [Answer(delay=2.5), Answer()]
    webhook(world.alpha, receiver.url)
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    outcome = deliveries_process(worker="test")
    assert (outcome.retrying, outcome.delivered) == (1, 1)
    first = Delivery.objects.get().attempt_log.order_by("at", "pk").first()
    assert "timed out" in first.error and first.status_code is None


def test_retries_stop_after_the_limit(world, receiver, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    receiver.script = [Answer(status=502)] * 5
    destination = webhook(world.alpha, receiver.url)
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    outcome = deliveries_process(worker="test")
    assert (outcome.retrying, outcome.failed) == (2, 1)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("gave up after 3 tries")
    # A replay after the fix starts a fresh budget.
    receiver.script = []
    assert deliveries_replay(destination=destination) == 1
    assert deliveries_process(worker="test").delivered == 1


def test_a_permanent_4xx_stops_retries_and_flags_the_destination(world, receiver):
    receiver.script = [Answer(status=404, body=b"no_service")]
    destination = destination_create(
        project=world.alpha, kind="slack", name="Support", data={"url": receiver.url + "/s"}
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=answer(world.alpha, 1, "bad"), event=Event.CREATED)
    outcome = deliveries_process(worker="test")
    assert (outcome.failed, outcome.retrying) == (1, 0)
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "make a new incoming webhook" in delivery.last_error
    destination.refresh_from_db()
    assert destination.failing_since is not None and "HTTP 404" in destination.last_error
    # Fixed and replayed: delivered, and the flag clears.
    destination_update(destination=destination, name="Support", data={"url": receiver.url + "/new"})
    assert deliveries_replay(destination=destination) == 1
    assert deliveries_process(worker="test").delivered == 1
    destination.refresh_from_db()
    assert destination.failing_since is None and destination.last_error == ""
    assert receiver.requests[-1].path == "/new"


def test_redirects_are_not_followed(world, receiver):
    receiver.script = [Answer(status=302, headers={"Location": "http://169.254.169.254/"})]
    webhook(world.alpha, receiver.url)
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    assert "does not follow redirects" in Delivery.objects.get().last_error
    assert len(receiver.requests) == 1


# The SSRF guard (core/http) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://0.0.0.0:9/",
    ],
)
def test_private_and_loopback_addresses_are_refused(settings, url):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    with pytest.raises(HttpError, match="private or reserved") as refused:
        request("POST", url, body=b"{}")
    assert refused.value.transient is False


def test_the_guard_holds_for_deliveries_and_nothing_is_sent(world, receiver, settings):
    webhook(world.alpha, receiver.url)
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    assert deliveries_process(worker="test").failed == 1
    assert receiver.requests == []
    assert "private or reserved" in Delivery.objects.get().last_error


def test_non_http_urls_are_refused():
    with pytest.raises(HttpError, match="not an http"):
        request("GET", "file:///etc/passwd")


# Claims and leases --------------------------------------------------------------------------


def test_concurrent_claims_never_share_a_delivery(world, receiver):
    webhook(world.alpha, receiver.url)
    for _ in range(6):
        response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    _, first = deliveries_claim(worker="a", limit=4)
    _, second = deliveries_claim(worker="b", limit=4)
    assert len(first) == 4 and len(second) == 2
    assert not {d.pk for d in first} & {d.pk for d in second}
    _, third = deliveries_claim(worker="c", limit=4)
    assert third == []
    assert all(d.attempts == 1 for d in Delivery.objects.all())


def test_the_claims_of_a_dead_worker_are_taken_over_after_the_lease(world, receiver):
    webhook(world.alpha, receiver.url)
    response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    _, claimed = deliveries_claim(worker="dead")
    assert len(claimed) == 1
    assert deliveries_process(worker="alive").total == 0  # leased: not due
    Delivery.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert deliveries_process(worker="alive").delivered == 1
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2 and delivery.status == DeliveryStatus.DELIVERED


def test_a_batch_is_recorded_at_once_and_a_claim_taken_over_meanwhile_is_not_ours(
    world, receiver, monkeypatch
):
    webhook(world.alpha, receiver.url)
    for _ in range(3):
        response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    first, second, third = Delivery.objects.order_by("pk")
    real = outbox._attempt

    def attempt(delivery, *lookups):
        result = real(delivery, *lookups)
        if delivery.pk == third.pk:
            # While this worker sends, its lease on the second ran out and another took it.
            Delivery.objects.filter(pk=second.pk).update(claimed_by="other:1")
            # Nothing of the batch is recorded before its end.
            assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0
        return result

    monkeypatch.setattr(outbox, "_attempt", attempt)
    outcome = deliveries_process(worker="test")
    assert (outcome.delivered, outcome.lost) == (2, 1)
    assert len(receiver.requests) == 3
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: DeliveryStatus.DELIVERED,
        second.pk: DeliveryStatus.SENDING,  # the other worker records it
        third.pk: DeliveryStatus.DELIVERED,
    }
    assert Delivery.objects.get(pk=first.pk).attempt_log.get().ok
    assert not Delivery.objects.get(pk=second.pk).attempt_log.exists()


# Routing --------------------------------------------------------------------------------------


def test_rules_match_every_condition_they_set(world):
    destination = destination_create(
        project=world.alpha, kind="webhook", name="H", data={"url": "https://example.com/h"}
    )
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    too_expensive = tag_get_or_create(project=world.alpha, name="Too expensive")
    from promoter.responses.services import tag_set_parent

    tag_set_parent(tag=too_expensive, parent=pricing)
    world.alpha.surveys.create(kind="csat", name="CSAT")
    rules = {
        "detractors with a comment": rule_create(
            destination=destination,
            events=[Event.CREATED],
            categories=["detractor"],
            has_comment=True,
        ),
        "scores 7 to 8": rule_create(
            destination=destination, events=[Event.CREATED], score_min=7, score_max=8
        ),
        "enterprise": rule_create(
            destination=destination,
            events=[Event.CREATED],
            conditions=[Condition("plan", "eq", "enterprise")],
        ),
        "pricing family": rule_create(
            destination=destination, events=[Event.CREATED], tags=[pricing]
        ),
        "csat only": rule_create(
            destination=destination, events=[Event.CREATED], survey_kind="csat"
        ),
    }
    names = {rule.pk: name for name, rule in rules.items()}

    def routed(response):
        deliveries = response_event(response=response, event=Event.CREATED)
        return sorted(names[d.rule_id] for d in deliveries)

    assert routed(answer(world.alpha, 2, "too slow")) == ["detractors with a comment"]
    assert routed(answer(world.alpha, 2)) == []
    assert routed(answer(world.alpha, 8, properties={"plan": "Enterprise"})) == [
        "enterprise",
        "scores 7 to 8",
    ]
    tagged = answer(world.alpha, 10)
    response_tag_add(response=tagged, tag=too_expensive)
    assert routed(tagged) == ["pricing family"]  # a child tag matches its parent's rule
    assert routed(answer(world.alpha, 1, kind="csat")) == ["csat only"]
    rules["csat only"].is_active = False
    rules["csat only"].save()
    assert routed(answer(world.alpha, 1, kind="csat")) == []


def test_a_tagged_rule_fires_for_the_tag_just_added_only(world):
    destination = destination_create(
        project=world.alpha, kind="webhook", name="H", data={"url": "https://example.com/h"}
    )
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    bug = tag_get_or_create(project=world.alpha, name="Bug")
    rule_create(destination=destination, events=[Event.TAGGED], tags=[pricing])
    response = answer(world.alpha, 4)
    response_tag_add(response=response, tag=pricing)
    response_tag_add(response=response, tag=bug)
    assert response_event(response=response, event=Event.TAGGED, tag=bug) == []
    hits = response_event(response=response, event=Event.TAGGED, tag=pricing)
    assert len(hits) == 1 and hits[0].tag_id == pricing.pk
    assert response_event(response=response, event=Event.CREATED) == []


def test_paused_destinations_and_other_projects_get_nothing(world):
    mine = webhook(world.alpha, "https://example.com/a")
    webhook(world.beta, "https://example.com/b")
    destination_set_active(destination=mine, is_active=False)
    assert response_event(response=answer(world.alpha, 9), event=Event.CREATED) == []
    destination_set_active(destination=mine, is_active=True)
    hits = response_event(response=answer(world.alpha, 9), event=Event.CREATED)
    assert [d.destination_id for d in hits] == [mine.pk]


def test_operator_disabled_kinds_route_nothing(world, settings):
    webhook(world.alpha, "https://example.com/a")
    settings.INTEGRATIONS_ENABLED = {**settings.INTEGRATIONS_ENABLED, "webhook": False}
    assert response_event(response=answer(world.alpha, 9), event=Event.CREATED) == []


def test_bad_rules_are_refused_naming_the_field(world):
    from promoter.core.errors import ApplicationError

    destination = webhook(world.alpha, "https://example.com/a")
    for kwargs, field in (
        ({"events": []}, "events"),
        ({"events": ["response.deleted"]}, "events"),
        ({"events": [Event.CREATED], "categories": ["fan"]}, "categories"),
        ({"events": [Event.CREATED], "score_min": 11}, "score_min"),
        ({"events": [Event.CREATED], "score_min": 8, "score_max": 3}, "score_min"),
        ({"events": [Event.CREATED], "survey_kind": "xyz"}, "survey_kind"),
    ):
        with pytest.raises(ApplicationError) as refused:
            rule_create(destination=destination, **kwargs)
        assert field in refused.value.fields


def test_deliveries_roll_back_with_the_response(world):
    webhook(world.alpha, "https://example.com/a")
    with pytest.raises(RuntimeError), transaction.atomic():
        response_event(response=answer(world.alpha, 9), event=Event.CREATED)
        raise RuntimeError("the response's transaction fails")
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_widget_path_stores_deliveries_with_the_response_and_enqueues_them(world):
    webhook(world.alpha, "https://example.com/a", categories=["detractor"], has_comment=True)
    webhook(world.alpha, "https://example.com/b", events=[Event.UPDATED])
    client = Client()
    rid = str(uuid.uuid4())
    body = {
        "key": world.alpha.public_key,
        "survey": str(world.alpha.surveys.get(kind="nps").public_id),
        "user": {"id": "u1"},
        "id": rid,
        "score": 2,
    }
    reply = client.post("/i/v1/responses", body, content_type="application/json")
    assert reply.status_code == 201
    assert not Delivery.objects.exists()  # no comment yet: the first rule does not match
    patch = {"key": world.alpha.public_key, "user": {"id": "u1"}, "comment": "Too slow"}
    reply = client.patch(f"/i/v1/responses/{rid}", patch, content_type="application/json")
    assert reply.status_code == 200
    # The comment is an update: only the rule listening to updates fires.
    delivery = Delivery.objects.get()
    assert delivery.event == Event.UPDATED and delivery.response.public_id == uuid.UUID(rid)
    assert delivery.destination.secrets["url"] == "https://example.com/b"
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [[delivery.pk]]
    # A retried submission routes nothing again.
    client.patch(f"/i/v1/responses/{rid}", patch, content_type="application/json")
    assert Delivery.objects.count() == 1


def test_deleting_a_response_removes_its_deliveries(world):
    webhook(world.alpha, "https://example.com/a")
    response = answer(world.alpha, 9)
    response_event(response=response, event=Event.CREATED)
    Response.objects.filter(pk=response.pk).delete()
    assert not Delivery.objects.exists()
    assert Destination.objects.count() == 1


def test_a_refused_connection_is_not_called_a_timeout(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    with pytest.raises(HttpError) as failed:
        request("POST", "http://127.0.0.1:9/", body=b"{}")
    assert "timed out" not in str(failed.value) and failed.value.transient


def test_a_forked_job_process_does_not_share_its_parents_connections(receiver):
    """RQ runs each job in a forked process: it must open its own connections, since two
    processes writing one pooled connection mix up their requests and replies."""
    import os

    from promoter.core import http

    url = receiver.url + "/hook"
    assert request("POST", url, body=b"{}").status == 200  # the pool keeps this connection
    parents = http._manager()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child, as an RQ work horse
        try:
            fresh = http._manager() is not parents
            ok = fresh and request("POST", url, body=b"{}").status == 200
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    # The parent's pooled connection still works after the child is gone.
    assert request("POST", url, body=b"{}").status == 200
    assert len(receiver.requests) == 3
