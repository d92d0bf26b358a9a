"""A new user's first answers, in a real browser (Debian's chromium through Playwright),
against a real local Slack receiver: the flow of the issue "Bugs a new user hits in the
e-mail, link and routing flows", end to end.

An anonymous answer with a comment on the survey's public link, then the Overview, which
lists it as "anonymous" (it answered 500 for everyone); a detractor's answer in the widget,
whose thank-you step shows no stray word ("false"); exactly one Slack message per answer
(the widget's score and comment made two); and the message's link, followed as a teammate,
opens the response's own page (it opened the Feedback stream, which shows the newest 25).

A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.outbox import deliveries_process
from promoter.responses.models import Response
from promoter.surveys.models import Survey

PASSWORD = "correct horse battery staple"
STRAY = re.compile(r"\b(None|false|null|undefined|NaN|true)\b")

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_users_first_answers_reach_the_overview_slack_and_back(
    browser: Any, live_server: Any, receiver: Any, settings: Any
) -> None:
    settings.DEMO_MODE = True  # the demo page hosts the widget on this server
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    settings.SITE_URL = live_server.url  # the links Slack gets point at this server
    cache.clear()
    owner = User.objects.create_user("owner@example.com", PASSWORD, first_name="Olive")
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    survey = Survey.objects.get(project=project, kind="nps")
    slack = destination_create(
        project=project, kind="slack", name="Support", data={"url": receiver.url + "/slack"}
    )
    rule_create(
        destination=slack, events=["response.created", "response.updated"],
        categories=["detractor"],
    )  # fmt: skip
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()

    # An anonymous answer with a comment on the public link.
    page.goto(f"/l/{survey.public_id}/")
    page.locator('button[name="score"][value="3"]').click()
    page.locator("textarea#comment").fill("Links and exports are confusing")
    page.locator("#comment-form button[type=submit]").click()
    page.get_by_text("Thank you").wait_for()
    anonymous = Response.objects.get(comment="Links and exports are confusing")
    assert anonymous.end_user is None

    # The widget, as a detractor with a comment.
    with page.expect_response(lambda r: r.url.endswith("/i/v1/eligibility")):
        page.goto("/demo/?as=ada")
    page.locator('[data-promoter="dialog"]').wait_for(state="visible")
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.locator('[data-promoter="score"][data-score="2"]').click()
    page.locator('[data-promoter="comment"]').fill("Exports time out")
    with page.expect_response(lambda r: "/i/v1/responses/" in r.url):
        page.locator('[data-promoter="submit"]').click()
    thanks = page.locator('[data-promoter="thanks"]')
    thanks.wait_for(state="visible")
    shown = page.locator('[data-promoter="dialog"]').inner_text()
    assert not STRAY.search(shown), shown
    widget = Response.objects.get(comment="Exports time out")

    # The worker sends what the rule routed: one Slack message per answer, with its comment.
    deliveries_process(worker="test")
    messages = [request.json() for request in receiver.requests]
    texts = [str(message) for message in messages]
    assert len(messages) == 2, texts
    assert sum("Exports time out" in text for text in texts) == 1
    assert sum("Links and exports are confusing" in text for text in texts) == 1

    # A teammate signs in: the Overview lists the anonymous comment.
    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    overview = page.goto("/p/acme/")
    assert overview is not None and overview.status == 200
    latest = page.locator("article.response", has_text="Links and exports are confusing")
    assert "anonymous" in latest.inner_text()

    # The Slack message's link opens the response's own page.
    message = next(m for m in messages if "Exports time out" in str(m))
    links = re.findall(r"https?://[^\s'\"<>|]+/responses/[0-9a-f-]+/", str(message))
    assert links, message
    opened = page.goto(links[0])
    assert opened is not None and opened.status == 200
    assert page.url.endswith(f"/p/acme/responses/{widget.public_id}/")
    assert page.get_by_text("Exports time out").count() >= 1
    context.close()
