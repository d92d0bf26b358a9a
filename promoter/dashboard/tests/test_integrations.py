"""The Integrations page: destinations and rules through the forms, secrets never shown,
test messages, the delivery log and replay."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Delivery, DeliveryAttempt, DeliveryStatus, Destination
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.tests.receiver import Answer, Receiver

SECRET_PATH = "/services/T0SECRET/B0SECRET/XyZsecretTokenPart"
HOOK = f"https://hooks.slack.com{SECRET_PATH}"


@pytest.fixture
def fake_slack(settings) -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 standing in for Slack."""
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True
    settings.OUTBOUND_TIMEOUT_SECONDS = 2
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def pages_of(world, destination: Destination) -> list[str]:
    """Return every page that shows ``destination``, as its admin and a viewer see them."""
    urls = [
        reverse("project-integrations", args=["alpha"]),
        reverse("project-integration", args=["alpha", destination.public_id]),
        reverse("project-integration", args=["alpha", destination.public_id]) + "?status=failed",
    ]
    return [world.client_for(role).get(url).content.decode() for role in ("admin", "viewer")
            for url in urls]  # fmt: skip


def add_slack(client, **extra):
    return client.post(
        reverse("project-integrations-add", args=["alpha"]),
        {"kind": "slack", "name": "Support", "url": HOOK, "channel": "#support", **extra},
        follow=True,
    )


def test_an_admin_adds_a_slack_destination_and_a_rule_and_no_secret_is_ever_shown(world):
    client = world.client_for("admin")
    page = add_slack(client)
    assert "Added Slack Support" in page.content.decode()
    destination = Destination.objects.get()
    client.post(
        reverse("project-integration-rules", args=["alpha", destination.public_id]),
        {
            "events": ["response.created", "response.updated"],
            "categories": ["detractor"],
            "has_comment": "yes",
            "conditions": "plan:eq:enterprise",
        },
    )
    rule = destination.rules.get()
    assert (rule.categories, rule.has_comment) == (["detractor"], True)
    assert rule.conditions == [{"property": "plan", "op": "eq", "value": "enterprise"}]
    urls = [
        reverse("project-integrations", args=["alpha"]),
        reverse("project-integration", args=["alpha", destination.public_id]),
    ]
    for role in ("admin", "viewer"):
        for url in urls:
            html = world.client_for(role).get(url).content.decode()
            assert "T0SECRET" not in html and "XyZsecretTokenPart" not in html
    listing = client.get(urls[0]).content.decode()
    assert "Detractors with a comment where plan eq enterprise, when a response arrives" in listing
    assert "#support" in listing


def test_a_webhooks_signing_secret_is_shown_once(world):
    client = world.client_for("admin")
    client.post(
        reverse("project-integrations-add", args=["alpha"]),
        {"kind": "webhook", "name": "CRM", "url": "https://crm.example.com/hooks"},
    )
    secret = Destination.objects.get().secrets["signing_secret"]
    first = client.get(reverse("project-integrations", args=["alpha"])).content.decode()
    assert secret in first
    again = client.get(reverse("project-integrations", args=["alpha"])).content.decode()
    assert secret not in again and "crm.example.com/hooks" not in again


def test_invalid_input_is_explained_and_creates_nothing(world):
    client = world.client_for("admin")
    page = add_slack(client, url="not a url")
    assert "must be an http:// or https:// URL" in page.content.decode()
    page = client.post(
        reverse("project-integrations-add", args=["alpha"]),
        {"kind": "email", "name": "Team", "recipients": "stranger@example.org"},
        follow=True,
    )
    assert "is not a member of this project" in page.content.decode()
    assert not Destination.objects.exists()
    add_slack(client)
    destination = Destination.objects.get()
    page = client.post(
        reverse("project-integration-rules", args=["alpha", destination.public_id]),
        {"events": ["response.created"], "score_min": "9", "score_max": "2"},
        follow=True,
    )
    assert "The lowest score is above the highest" in page.content.decode()
    page = client.post(
        reverse("project-integration-rules", args=["alpha", destination.public_id]),
        {"events": ["response.created"], "conditions": "nonsense"},
        follow=True,
    )
    assert "write property:operator:value" in page.content.decode()
    assert not destination.rules.exists()


def test_send_test_replay_and_the_log(world):
    client = world.client_for("admin")
    add_slack(client)
    destination = Destination.objects.get()
    reply = client.post(reverse("project-integration-test", args=["alpha", destination.public_id]))
    assert reply.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.event == "test" and delivery.status == DeliveryStatus.PENDING
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=1, last_status_code=404,
        last_error="Slack refused the hook (HTTP 404: no_service)",
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        delivery=delivery, at=now, duration_ms=12, status_code=404, permanent=True,
        error="Slack refused the hook (HTTP 404: no_service)",
    )  # fmt: skip
    Destination.objects.filter(pk=destination.pk).update(
        failing_since=now - datetime.timedelta(minutes=5), last_error="Slack refused the hook"
    )
    listing = client.get(reverse("project-integrations", args=["alpha"])).content.decode()
    assert "Failing since" in listing and "Replay failed deliveries (1)" in listing
    log = client.get(reverse("project-integration", args=["alpha", destination.public_id]))
    html = log.content.decode()
    assert 'data-status="failed"' in html and "HTTP 404" in html and "(permanent)" in html
    partial = client.get(
        reverse("project-integration", args=["alpha", destination.public_id]),
        {"status": "failed"},
        HTTP_HX_REQUEST="true",
    )
    assert "<table" in partial.content.decode() and "<html" not in partial.content.decode()
    client.post(reverse("project-integration-replay", args=["alpha", destination.public_id]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    destination.refresh_from_db()
    assert destination.failing_since is None


def test_pause_delete_and_rules(world):
    client = world.client_for("admin")
    add_slack(client)
    destination = Destination.objects.get()
    rule = rule_create(destination=destination, events=["response.created"])
    client.post(reverse("project-integration-rule-active", args=["alpha", rule.public_id]))
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(reverse("project-integration-active", args=["alpha", destination.public_id]))
    destination.refresh_from_db()
    assert not destination.is_active
    client.post(reverse("project-integration-rule-delete", args=["alpha", rule.public_id]))
    assert not destination.rules.exists()
    client.post(reverse("project-integration-delete", args=["alpha", destination.public_id]))
    assert not Destination.objects.exists()


def test_the_page_query_count_does_not_grow_with_destinations(world, django_assert_max_num_queries):
    client = world.client_for("viewer")
    url = reverse("project-integrations", args=["alpha"])
    for i in range(3):
        destination = destination_create(
            project=world.alpha, kind="slack", name=f"S{i}", data={"url": HOOK}
        )
        rule_create(destination=destination, events=["response.created"])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(5):
        destination = destination_create(
            project=world.alpha, kind="slack", name=f"T{i}", data={"url": HOOK}
        )
        rule_create(destination=destination, events=["response.created"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_failing_hook_is_flagged_and_logged_without_its_secret_path(world, fake_slack):
    fake_slack.script = [Answer(status=404, body=b"no_service")]
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = world.client_for("admin")
    add_slack(client, name="Revoked", url=fake_slack.url + SECRET_PATH, channel="")
    add_slack(client, name="Down", url=f"http://127.0.0.1:{closed}{SECRET_PATH}", channel="")
    for destination in Destination.objects.all():
        client.post(reverse("project-integration-test", args=["alpha", destination.public_id]))
    outcome = deliveries_process(worker="test")
    assert (outcome.failed, outcome.retrying) == (1, 1)
    assert fake_slack.requests[0].path == SECRET_PATH
    revoked, down = Destination.objects.get(name="Revoked"), Destination.objects.get(name="Down")
    assert revoked.failing_since is not None and down.failing_since is None
    for destination in (revoked, down):
        for html in pages_of(world, destination):
            assert "T0SECRET" not in html and "XyZsecretTokenPart" not in html
            assert "127.0.0.1" in html  # the host is all that is shown of the URL
    listing = client.get(reverse("project-integrations", args=["alpha"])).content.decode()
    assert "Failing since" in listing and "Slack refused the hook" in listing
    assert "Replay failed deliveries (1)" in listing
    log = client.get(reverse("project-integration", args=["alpha", down.public_id]))
    assert "POST 127.0.0.1" in log.content.decode() and "Connection refused" in log.content.decode()


def test_editing_keeps_a_blank_secret_and_never_shows_it(world, fake_slack):
    client = world.client_for("admin")
    add_slack(client)
    destination = Destination.objects.get()
    page = client.post(
        reverse("project-integration-update", args=["alpha", destination.public_id]),
        {"name": "Support team", "url": "", "channel": "#help"},
        follow=True,
    )
    assert "Saved Slack Support team" in page.content.decode()
    destination.refresh_from_db()
    assert (destination.name, destination.config["channel"]) == ("Support team", "#help")
    assert destination.secrets["url"] == HOOK
    html = page.content.decode()
    assert "•••• saved" in html and 'type="password" name="url"' in html
    assert "T0SECRET" not in html and "XyZsecretTokenPart" not in html
    new_hook = fake_slack.url + "/services/T1/B1/new"
    client.post(
        reverse("project-integration-update", args=["alpha", destination.public_id]),
        {"name": "Support team", "url": new_hook, "channel": "#help"},
    )
    destination.refresh_from_db()
    assert destination.secrets["url"] == new_hook
    assert "/services/T1/B1/new" not in "".join(pages_of(world, destination))


def test_viewers_and_members_read_but_change_nothing(world):
    add_slack(world.client_for("admin"))
    destination = Destination.objects.get()
    rule = rule_create(destination=destination, events=["response.created"])
    posts = [
        reverse("project-integrations-add", args=["alpha"]),
        reverse("project-integration-update", args=["alpha", destination.public_id]),
        reverse("project-integration-active", args=["alpha", destination.public_id]),
        reverse("project-integration-test", args=["alpha", destination.public_id]),
        reverse("project-integration-replay", args=["alpha", destination.public_id]),
        reverse("project-integration-delete", args=["alpha", destination.public_id]),
        reverse("project-integration-rules", args=["alpha", destination.public_id]),
        reverse("project-integration-rule-active", args=["alpha", rule.public_id]),
        reverse("project-integration-rule-delete", args=["alpha", rule.public_id]),
    ]
    for role, status in (("member", 403), ("viewer", 403), ("outsider", 404)):
        client = world.client_for(role)
        listing = client.get(reverse("project-integrations", args=["alpha"]))
        log = client.get(reverse("project-integration", args=["alpha", destination.public_id]))
        if role == "outsider":
            assert (listing.status_code, log.status_code) == (404, 404)
        else:
            assert (listing.status_code, log.status_code) == (200, 200)
            assert "Support" in listing.content.decode()
            assert "Send test" not in listing.content.decode() + log.content.decode()
            assert "Add a destination" not in listing.content.decode()
        for url in posts:
            data = {"kind": "slack", "name": "X", "url": HOOK, "events": "response.created"}
            assert client.post(url, data).status_code == status, (role, url)
    assert Destination.objects.count() == 1 and destination.rules.count() == 1
    assert not Delivery.objects.exists()
    destination.refresh_from_db()
    rule.refresh_from_db()
    assert destination.is_active and rule.is_active and destination.name == "Support"
