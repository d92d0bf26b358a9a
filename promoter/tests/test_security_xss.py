"""Hostile text stays inert everywhere Promoter shows it (issue 10, "XSS"; docs/security.md).

Probes go into comments, people's ids and properties (names and values), tag names, notes,
survey, project and destination names; then every dashboard page, the e-mails, the Slack
message and every CSV Promoter writes are checked. The widget is checked in
``promoter/ingest`` (textContent only) and in a real browser in
``promoter/dashboard/tests/test_xss_browser.py``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.accounts.services import api_key_create
from promoter.channels.models import Invitation, InvitationSource
from promoter.channels.services import invitation_mail
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.slack.transport import SlackTransport
from promoter.integrations.transport import Message
from promoter.people.models import EndUser
from promoter.responses import triage
from promoter.responses.models import Response
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEMPLATE = "{{ 7|add:7 }}{% now 'Y' %}"
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
# Markup that would run if it reached a page unescaped.
LIVE = ("<script>alert", "<img src=x", "onerror=alert(1)>")
WIDGET_JS = Path(__file__).resolve().parents[1] / "ingest" / "widget" / "promoter.js"


@pytest.fixture
def hostile(world) -> dict[str, Any]:
    """Project alpha filled with probes wherever people's or teammates' words go."""
    project = world.alpha
    Project.objects.filter(pk=project.pk).update(name=f"Alpha {IMG}")
    project.refresh_from_db()
    survey = project.surveys.get(kind="nps")
    survey.name = f"NPS {SCRIPT}"
    survey.save(update_fields=["name"])
    now = timezone.now()
    person = EndUser.objects.create(
        project=project,
        external_id=f"u-{IMG}",
        email="jane@example.com",
        properties={"plan": SCRIPT, IMG: JS_URL, "homepage": JS_URL, "formula": FORMULAS[0]},
        first_seen_at=now,
        last_seen_at=now,
    )
    responses = []
    for n, comment in enumerate((SCRIPT, IMG, JS_URL, TEMPLATE, *FORMULAS)):
        response, _ = response_create(
            public_id=uuid.uuid4(),
            survey=survey,
            end_user=person,
            score=n % 11,
            comment=comment,
            origin_url=JS_URL if n == 0 else "",
            now=now - datetime.timedelta(minutes=n),
        )
        responses.append(response)
    tag = tag_get_or_create(project=project, name=f"tag {IMG}")
    formula_tag = tag_get_or_create(project=project, name="=cmd|' /C calc'!A0")
    for response in responses[:3]:
        response_tag_add(response=response, tag=tag)
    response_tag_add(response=responses[3], tag=formula_tag)
    triage.note_add(response=responses[0], author=world.member, body=f"note {SCRIPT}")
    destination_create(
        project=project, kind="webhook", name=f"hook {SCRIPT}",
        data={"url": "https://hooks.example.com/x"},
    )  # fmt: skip
    return {"project": project, "person": person, "responses": responses, "tag": tag}


def _assert_inert(html: str, where: str) -> None:
    for live in LIVE:
        assert live not in html, f"{where}: {live!r} is live"
    assert not re.search(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I), where
    assert "14" + str(timezone.now().year) not in html, f"{where}: template text was evaluated"


PAGES = (
    ("project-overview", {}),
    ("project-responses", {}),
    ("project-responses", {"q": SCRIPT}),
    ("project-segments", {"by": "plan"}),
    ("project-segments", {"by": IMG}),
    ("project-compare", {"a": f"plan:eq:{SCRIPT}"}),
    ("project-reasons", {}),
    ("project-followup", {}),
    ("project-tags", {}),
    ("project-tags-suggest", {"name": "tag"}),
    ("project-integrations", {}),
    ("project-email", {}),
    ("project-settings", {}),
    ("project-members", {}),
    ("project-surveys", {}),
    ("project-install", {}),
    ("project-explain", {"who": f"u-{IMG}"}),
)


def test_probes_are_escaped_on_every_dashboard_page(world, hostile):
    client = world.client_for("owner")
    seen = ""
    for name, query in PAGES:
        page = client.get(reverse(name, args=["alpha"]), query)
        assert page.status_code == 200, (name, page.status_code)
        html = page.content.decode()
        _assert_inert(html, f"{name} {query}")
        seen += html
    for response in hostile["responses"][:4]:
        url = reverse("project-response", args=["alpha", response.public_id])
        html = client.get(url).content.decode()
        _assert_inert(html, url)
        seen += html
    # The probes did reach the pages, escaped (so the checks above were not vacuous).
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in seen
    assert "{{ 7|add:7 }}" in seen  # shown as written, never rendered as a template
    assert JS_URL in seen  # shown as text, never as a link target


def test_widget_puts_server_text_in_the_page_as_text_only():
    source = WIDGET_JS.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "srcdoc"):  # fmt: skip
        assert sink not in source, sink
    assert "textContent" in source


def test_eligibility_returns_survey_text_as_data_not_markup(world):
    survey = world.alpha.surveys.get(kind="nps")
    survey.texts = {"en": {"question": SCRIPT, "thank_you": IMG}}
    survey.save(update_fields=["texts"])
    reply = Client().post(
        "/i/v1/eligibility",
        json.dumps({"key": world.alpha.public_key, "user": {"id": "u-1"}, "force": True}),
        content_type="application/json",
    )
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("application/json")
    # Verbatim in JSON (the widget, not the server, keeps it inert: test above and in chromium).
    texts = json.dumps(reply.json(), ensure_ascii=False)
    assert json.dumps(SCRIPT)[1:-1] in texts and json.dumps(IMG)[1:-1] in texts


# E-mails ------------------------------------------------------------------------------------


def _html_part(message: Any) -> str:
    return next(body for body, kind in message.alternatives if kind == "text/html")


def test_notification_emails_escape_comments_properties_and_tags(world, hostile, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    destination = destination_create(
        project=world.alpha, kind="email", name="Team", data={"recipients": "admin@example.com"}
    )
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=hostile["responses"][0], event=Event.CREATED)
    response_event(response=hostile["responses"][1], event=Event.CREATED)
    assert deliveries_process(worker="test").delivered == 2
    assert len(mail.outbox) == 2
    html = "".join(_html_part(m) for m in mail.outbox)
    _assert_inert(html, "notification e-mail")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_invitation_emails_escape_the_project_name_and_survey_texts(world, hostile):
    survey = world.alpha.surveys.get(kind="nps")
    survey.texts = {"en": {"low_label": SCRIPT, "high_label": IMG}}
    survey.save(update_fields=["texts"])
    invitation = Invitation.objects.create(
        project=world.alpha, survey=survey, end_user=hostile["person"],
        source=InvitationSource.API, scheduled_at=timezone.now(), created_at=timezone.now(),
    )  # fmt: skip
    message = invitation_mail(invitation, message_id="<1@promoter.test>")
    html = _html_part(message)
    _assert_inert(html, "invitation e-mail")
    assert "Alpha &quot;&gt;&lt;img" in html


# Slack --------------------------------------------------------------------------------------


def test_slack_messages_escape_every_text_field(world, hostile):
    transport = SlackTransport(
        config={"properties": ["plan", IMG, "homepage"]}, secrets={"url": "https://x"}
    )
    hostile["person"].external_id = "<!channel> <@U123|boss>"
    hostile["person"].email = ""
    hostile["person"].save(update_fields=["external_id", "email"])
    response = Response.objects.select_related("survey", "end_user").get(
        pk=hostile["responses"][0].pk
    )
    response.comment = "<!here> & <https://evil.example|click me> " + SCRIPT
    body = transport.message(
        Message(id="d-1", event=Event.CREATED, response=response, tags=[hostile["tag"]])
    )
    texts = [body["text"]]
    for block in body["attachments"][0]["blocks"]:
        if "text" in block and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                texts.append(element["text"])
    for text in texts:
        # Slack's control sequences all start with "<"; a lone "&" must be "&amp;".
        assert "<" not in text and ">" not in text.replace("&gt;", ""), text
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text
    joined = "\n".join(texts)
    assert "&lt;!channel&gt;" in joined and "&lt;!here&gt; &amp; &lt;https://evil" in joined


# CSV exports: no formula injection ----------------------------------------------------------


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_formula_start(text: str, where: str) -> list[str]:
    cells = _cells(text)
    assert cells, where
    for cell in cells:
        if cell[:1] in ("=", "+", "@", "\t", "\r"):
            raise AssertionError(f"{where}: {cell!r} would run as a formula")
        if cell.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell):
            raise AssertionError(f"{where}: {cell!r} would run as a formula")
    return cells


def _assert_no_formula(text: str, where: str) -> None:
    cells = _assert_no_formula_start(text, where)
    # The words are kept, behind an apostrophe.
    assert "'" + FORMULAS[0] in cells, where
    assert "'@SUM(A1)" in cells and "'-2+3" in cells, where


def test_dashboard_csv_export_escapes_formulas(world, hostile):
    reply = world.client_for("viewer").get(reverse("project-responses-csv", args=["alpha"]))
    text = b"".join(reply.streaming_content).decode()
    _assert_no_formula(text, "dashboard export")
    assert "'=cmd|' /C calc'!A0" in text


def test_cli_export_escapes_formulas(world, hostile):
    out = io.StringIO()
    call_command("export", project="alpha", stdout=out, stderr=io.StringIO())
    _assert_no_formula(out.getvalue(), "promoter export")
    people = io.StringIO()
    call_command("export", project="alpha", what="people", stdout=people, stderr=io.StringIO())
    _assert_no_formula_start(people.getvalue(), "promoter export people")
    assert SCRIPT in people.getvalue()  # CSV keeps markup as data: it is not HTML


def test_api_export_escapes_formulas(world, hostile):
    key = api_key_create(project=world.alpha, name="k").secret
    reply = Client().get("/api/v1/export/responses", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert reply.status_code == 200
    text = b"".join(reply.streaming_content).decode()
    _assert_no_formula(text, "API export")


def test_report_csv_escapes_property_values(world, hostile):
    out = io.StringIO()
    call_command(
        "report", project="alpha", by="formula", format="csv", stdout=out, stderr=io.StringIO()
    )
    cells = _cells(out.getvalue())
    assert "'" + FORMULAS[0] in cells
    assert not any(c.startswith("=") for c in cells)


def test_reply_emails_escape_the_teammates_text(world, hostile, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reply = triage.reply_send(
        response=hostile["responses"][0], author=world.member, subject=f"Re: {SCRIPT}",
        body=f"About your note {IMG}\n{SCRIPT}",
    )  # fmt: skip
    assert reply.error == ""
    html = _html_part(mail.outbox[-1])
    _assert_inert(html, "reply e-mail")
    assert "&lt;script&gt;" in html
