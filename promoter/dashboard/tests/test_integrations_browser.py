"""Routing in a real browser (Debian's chromium via Playwright): an admin creates a Slack
destination and a rule for detractors with comments on the Integrations page, a person
answers through the widget, and the delivery shows in the destination's log."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.integrations.models import Delivery, DeliveryStatus
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.tests.receiver import Receiver

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slack() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_slack_rule_for_detractors_delivers_a_widget_answer(
    browser, live_server, settings, slack
):
    from playwright.sync_api import expect

    settings.DEMO_MODE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True  # the fake Slack runs on 127.0.0.1
    cache.clear()
    User.objects.create_user("owner@example.com", PASSWORD)
    project_create(owner=User.objects.get(), name="Acme Cloud", slug="acme")

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"], input[type="submit"]')
    page.wait_for_url(re.compile(r"/p/acme/"))

    page.goto("/p/acme/integrations/")
    form = page.locator('[data-kind-form="slack"]')
    form.locator("summary").click()
    form.locator('input[name="name"]').fill("Support team")
    form.locator('input[name="url"]').fill(f"{slack.url}/services/T000/B000/XXXX")
    form.locator('input[name="channel"]').fill("#support")
    form.get_by_role("button", name="Add Slack").click()
    destination = page.locator('[data-destination][data-kind="slack"]')
    expect(destination).to_contain_text("Support team")
    destination.locator(".rule-form summary").click()
    destination.locator('input[name="categories"][value="detractor"]').check()
    destination.locator('select[name="has_comment"]').select_option("yes")
    destination.get_by_role("button", name="Add rule").click()
    expect(page.locator(".rules li").first).to_contain_text(
        "Detractors with a comment, when a response arrives or its comment arrives"
    )
    shot(page, "integrations")

    # A person answers 2 and explains why, through the widget on the demo page.
    person = browser.new_context(base_url=live_server.url).new_page()
    person.on("pageerror", lambda error: errors.append(str(error)))
    person.goto("/demo/?as=ada")
    person.locator('[data-promoter="score"][data-score="2"]').click()
    person.locator('[data-promoter="comment"]').fill("Exports time out every Monday")
    with person.expect_response(lambda r: "/i/v1/responses/" in r.url):
        person.locator('[data-promoter="submit"]').click()
    person.locator('[data-promoter="thanks"]').wait_for(state="visible")
    person.context.close()

    delivery = Delivery.objects.get()
    assert delivery.event == "response.updated" and delivery.status == DeliveryStatus.PENDING
    assert deliveries_process(worker="test").delivered == 1  # what `promoter worker` does
    message = slack.wait_for(1)[0].json()
    assert "Exports time out every Monday" in json.dumps(message)
    assert message["attachments"][0]["color"] == "#b91c1c"

    page.locator('[data-destination][data-kind="slack"]').get_by_role(
        "link", name="Delivery log"
    ).click()
    row = page.locator(f'tr[data-delivery="{delivery.public_id}"]')
    expect(row).to_have_attribute("data-status", "delivered")
    expect(row.locator('[data-field="http"]')).to_have_text("200")
    expect(row).to_contain_text("Exports time out every Monday")
    shot(page, "integration-log")
    context.close()
    assert errors == []
