"""E-mail surveys and closing the loop in a real browser (Debian's chromium via Playwright):
the person opens a score link from a real e-mail, adds a comment, and a teammate finds it in
the Feedback stream, then works the Follow-up inbox (assign, note, close).

Screenshots go to ``$PROMOTER_ARTIFACTS`` (default ``./artifacts``)/screenshots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from promoter.accounts.models import User
from promoter.actions.projects import project_create
from promoter.channels import services
from promoter.channels.models import InvitationSource
from promoter.integrations.tests.conftest import smtp  # noqa: F401  (a real SMTP server)
from promoter.people.services import Identity
from promoter.responses.models import Activity, Response, Status

ARTIFACTS = Path(os.environ.get("PROMOTER_ARTIFACTS", "artifacts")) / "screenshots"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db(transaction=True)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_answer_an_email_survey_then_follow_it_up(browser, live_server, smtp, settings):  # noqa: F811
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    owner = User.objects.create_user("owner@example.com", PASSWORD, first_name="Olivia")
    project = project_create(owner=owner, name="Acme Cloud", slug="acme")
    survey = project.surveys.get(kind="nps")
    services.invitation_schedule(
        project=project,
        survey=survey,
        identity=Identity(email="jane@example.com", properties={"name": "Jane Doe"}),
        source=InvitationSource.DASHBOARD,
    )
    assert services.invitations_send_due(worker="test").sent == 1
    message = smtp.wait_for(1)[0]["message"]
    html = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")
    three = next(u for u in re.findall(r'href="([^"]+)"', html) if u.rstrip("/").endswith("/3"))

    person = browser.new_context(viewport={"width": 420, "height": 800})  # on a phone
    page = person.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(three)
    # The page records the score by itself and shows the comment form.
    page.locator("#comment-form").wait_for()
    assert Response.objects.get().score == 3
    page.fill("#comment", "Exports keep timing out on big projects")
    shot(page, "email-survey-comment")
    page.click("#comment-form button[type=submit]")
    expect(page.locator(".thanks")).to_be_visible()
    response = Response.objects.get()
    assert response.comment == "Exports keep timing out on big projects"
    person.close()

    team = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = team.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"], input[type="submit"]')
    page.wait_for_url(re.compile(r"/p/acme/"))
    page.goto("/p/acme/responses/?period=30d")
    card = page.locator(f'[data-response="{response.public_id}"]')
    expect(card).to_contain_text("Exports keep timing out")

    page.goto("/p/acme/follow-up/")
    item = page.locator(f'#inbox [data-response="{response.public_id}"]')
    expect(item).to_be_visible()
    item.get_by_role("link", name="Follow up").click()
    page.wait_for_url(re.compile(rf"/responses/{response.public_id}/"))
    page.select_option('select[name="assignee"]', label="Olivia")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator('[data-field="assignee"]')).to_have_text("Olivia")
    page.fill('textarea[name="body"][aria-label="Note"]', "Calling her tomorrow")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#history")).to_contain_text("Calling her tomorrow")
    shot(page, "follow-up-response")
    page.get_by_role("button", name="Close").click()
    expect(page.locator('[data-field="status"]')).to_have_text("Closed")
    page.goto("/p/acme/follow-up/")
    expect(page.locator(f'#inbox [data-response="{response.public_id}"]')).to_have_count(0)
    shot(page, "follow-up-inbox")
    team.close()
    response.refresh_from_db()
    assert response.status == Status.CLOSED and response.assignee == owner
    assert list(Activity.objects.values_list("kind", flat=True).order_by("pk")) == [
        "assigned",
        "note",
        "closed",
    ]
    assert errors == []
