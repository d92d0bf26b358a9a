"""Hostile text in a real browser (Debian's chromium through Playwright): probes in comments,
names, properties, tags and survey texts fire no dialog on the main dashboard pages nor in
the widget, and the pages run under their Content-Security-Policy without a violation (so
htmx, Plotly and the dashboard's own scripts need nothing inline).

A missing browser is a failure, never a skip.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from promoter.accounts.models import Project, User
from promoter.actions.projects import project_create
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create
from promoter.surveys.models import Survey

PASSWORD = "correct horse battery staple"
PROBES = (
    "<script>alert('script')</script>",
    '"><img src=x onerror=alert("img")>',
    "javascript:alert('url')",
    "{{ 7|add:7 }}<svg onload=alert('svg')>",
    "'-alert('quote')-'",
)
# Collects CSP violations from the first script on: none is expected on any page.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hostile(settings, live_server) -> Project:
    settings.DEMO_MODE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    project = project_create(owner=owner, name=f"Acme {PROBES[1]}", slug="acme")
    survey = project.surveys.get(kind="nps")
    Survey.objects.filter(pk=survey.pk).update(
        name=f"NPS {PROBES[0]}",
        texts={"en": {"question": f"Recommend us? {PROBES[1]}", "thank_you": PROBES[3]}},
    )
    now = timezone.now()
    for n, probe in enumerate(PROBES * 3):
        person = EndUser.objects.create(
            project=project,
            external_id=f"u-{n}-{probe}",
            email=f"p{n}@example.com",
            properties={"plan": probe, "homepage": PROBES[2], probe: "x"},
            first_seen_at=now,
            last_seen_at=now,
        )
        response, _ = response_create(
            public_id=uuid.uuid4(), survey=survey, end_user=person, score=n % 11,
            comment=f"{probe} comment {n}", origin_url=PROBES[2],
            now=now - datetime.timedelta(days=n),
        )  # fmt: skip
        response_tag_add(response=response, tag=tag_get_or_create(project=project, name=probe))
    return project


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    opened = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.dialogs, opened.errors = dialogs, errors
    yield opened
    context.close()


def _login(page: Any) -> None:
    page.goto("/accounts/login/")
    page.fill('input[name="username"]', "owner@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"], input[type="submit"]')
    page.wait_for_url(re.compile(r"/p/acme/"))


def _check(page: Any, where: str) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # let deferred scripts, htmx and Plotly run
    assert page.dialogs == [], f"{where}: a probe ran: {page.dialogs}"
    assert page.evaluate("window.__cspViolations") == [], where
    assert page.errors == [], f"{where}: {page.errors}"


def test_probes_fire_nothing_on_the_main_pages_under_the_csp(hostile, page):
    _login(page)
    response_id = Response.objects.filter(project=hostile).latest("created_at").public_id
    tag_id = hostile.tags.order_by("name").first().public_id
    for path in (
        "/p/acme/?period=365d",
        "/p/acme/responses/?period=365d",
        f"/p/acme/responses/?period=365d&tag={tag_id}",
        f"/p/acme/responses/{response_id}/",
        "/p/acme/segments/?period=365d&by=plan",
        "/p/acme/compare/?period=365d&a=plan:eq:x",
        "/p/acme/follow-up/",
        "/p/acme/reasons/?period=365d",
        "/p/acme/tags/",
        "/p/acme/settings/",
        "/p/acme/install/",
        "/p/acme/integrations/",
        "/projects/",
    ):
        page.goto(path)
        _check(page, path)
    # The pages did show the probes, as text.
    page.goto("/p/acme/responses/?period=365d")
    assert "<script>alert('script')</script> comment" in page.inner_text("body")


def test_the_trend_chart_and_the_breakdown_selector_work_without_inline_script(hostile, page):
    _login(page)
    page.goto("/p/acme/?period=365d")
    page.locator("#trend-chart .main-svg").first.wait_for(state="visible", timeout=15000)
    _check(page, "overview chart")
    page.goto("/p/acme/segments/?period=365d")
    with page.expect_navigation():
        page.select_option('select[name="by"]', "homepage")
    assert "by=homepage" in page.url
    _check(page, "segments")


def test_the_widget_shows_hostile_survey_texts_as_text(hostile, page):
    with page.expect_response(lambda r: r.url.endswith("/i/v1/eligibility")):
        page.goto("/demo/?as=ada")
    page.click("#demo-show")  # the demo's buttons work through listeners, under the CSP
    question = page.locator('[data-promoter="dialog"]')
    question.wait_for(state="visible")
    assert PROBES[1] in question.inner_text()
    with page.expect_response(lambda r: r.url.endswith("/i/v1/responses")):
        page.locator('[data-promoter="score"][data-score="10"]').click()
    page.wait_for_timeout(300)
    _check(page, "widget")


@pytest.mark.parametrize("path", ["/api/v1/docs", "/i/v1/docs"])
def test_the_api_docs_run_under_the_csp_from_bundled_files(live_server, page, path):
    html = page.request.get(live_server.url + path).text()
    assert "cdn.jsdelivr.net" not in html and "<script>" not in html
    page.goto(path)
    page.locator(".swagger-ui .opblock").first.wait_for(state="visible", timeout=15000)
    _check(page, path)
