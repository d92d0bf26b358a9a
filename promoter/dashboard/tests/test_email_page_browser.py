"""The E-mail page in a real browser (Debian's chromium through Playwright): its layout.

A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import pytest

from promoter.accounts.models import User
from promoter.actions.projects import project_create

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_days_of_send_in_sit_on_the_line_of_their_input(browser, live_server):
    # "days" under "Send in" sat on a line of its own: the number input took the full width.
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project_create(owner=owner, name="Acme Cloud", slug="acme")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/p/acme/**")
    page.goto("/p/acme/email/")
    label = page.locator("label", has=page.locator('input[name="delay_days"]'))
    field = page.locator('input[name="delay_days"]')
    label_box, field_box = label.bounding_box(), field.bounding_box()
    assert label_box is not None and field_box is not None
    # One line: the label is no taller than its input (plus the borders' rounding).
    assert label_box["height"] <= field_box["height"] + 2, (label_box, field_box)
    context.close()
