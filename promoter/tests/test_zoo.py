"""Every page, message and payload a person reads, over a zoo of every kind of response.

One project holds a response of every kind: anonymous (a link answered without an e-mail) and
from people, some since erased; with and without a comment; on every channel and for every
survey kind (NPS, CSAT, CES); tagged, with notes, assigned, closed; a long comment and a
right-to-left one. Then:

* every dashboard page that answers GET (taken from the access matrix, which must name every
  project page, so a new page is rendered the day it is added), and the page of each response,
  with the default view and with each survey, must answer 200 with no template error;
* every notification (the @mention mail, the reply, the e-mail invitation) and every
  transport's payload (what Slack, e-mail, webhooks, Intercom, Zendesk and Segment receive)
  is built for each response;

and none of the words ``None``, ``null``, ``undefined``, ``false``, ``NaN`` may stand where a
person reads (the text of a page or a message, not its markup, code samples or JSON values).
The widget's steps are read the same way in chromium:
``promoter/ingest/tests/test_widget_browser.py::test_every_step_of_the_widget_reads_without_a_stray_word``.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from promoter.actions.erasure import person_erase
from promoter.actions.responses import response_change
from promoter.channels import services as channels
from promoter.channels.models import Invitation, InvitationSource
from promoter.dashboard.tests import test_access
from promoter.integrations.registry import TRANSPORTS
from promoter.integrations.transport import Message
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_upsert
from promoter.responses import triage
from promoter.responses.models import Channel, Response, Tag
from promoter.responses.selectors import answers_of
from promoter.responses.services import response_create, response_tag_add, tag_get_or_create
from promoter.surveys.models import Survey
from promoter.surveys.services import survey_create
from promoter.surveys.tests.asking import ask

STRAY = re.compile(r"\b(None|null|undefined|false|NaN)\b")
LONG = "The export to CSV times out. " * 170  # about 5,000 characters
RTL = "التصدير بطيء جدا ولا يعمل مع الملفات الكبيرة"
# Destinations' settings, as their forms take them: enough to build each kind's payload
# (nothing is sent).
SETTINGS: dict[str, dict[str, Any]] = {
    "slack": {"url": "https://hooks.slack.com/services/T/B/x"},
    "webhook": {"url": "https://example.com/hook"},
    "email": {"recipients": "owner@example.com"},
    "intercom": {"token": "tok"},
    "zendesk": {"url": "acme", "email": "agent@example.com", "token": "tok"},
    "segment": {"write_key": "key"},
}


class _Reader(HTMLParser):
    """The text of a page as a person reads it: text nodes and the attributes read aloud or
    shown (title, alt, placeholder, aria-label), without scripts, styles and code samples."""

    SKIP = {"script", "style", "code", "pre", "textarea"}
    SHOWN = {"title", "alt", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def read(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return " ".join(reader.parts)


def stray(text: str) -> list[str]:
    """Return the lines of ``text`` where a leaked value stands."""
    return [line.strip()[:160] for line in text.splitlines() if STRAY.search(line)]


def _strings(value: Any) -> list[str]:
    """The text of a payload: its strings (JSON nulls and booleans are values, not text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.fixture
def zoo(world) -> list[Response]:
    """Every kind of response in project alpha (see the module's docstring)."""
    project = world.alpha
    now = timezone.now()
    surveys = {
        "nps": Survey.objects.get(project=project, kind="nps"),
        "csat": survey_create(project=project, kind="csat", name="Support CSAT"),
        "ces": survey_create(project=project, kind="ces", name="Setup effort"),
    }
    jane = end_user_upsert(
        project=project,
        identity=Identity(
            external_id="u-1", email="jane@example.com", name="Jane Doe", properties={"plan": "pro"}
        ),
        now=now,
    )
    visitor = end_user_upsert(
        project=project, identity=Identity(anonymous_id="visitor-12345678"), now=now
    )
    by_id = end_user_upsert(project=project, identity=Identity(external_id="u-2"), now=now)
    leaving = end_user_upsert(
        project=project, identity=Identity(email="leaving@example.com"), now=now
    )
    made: list[Response] = []

    def add(survey: str, person: EndUser | None, score: int, channel: str, comment: str = ""):
        response, _ = response_create(
            public_id=uuid.uuid4(),
            survey=surveys[survey],
            end_user=person,
            score=score,
            comment=comment,
            channel=channel,
            now=now - datetime.timedelta(hours=len(made)),
        )
        made.append(response)
        return response

    add("nps", None, 2, Channel.LINK, "Anonymous and unhappy")  # the Overview's 500
    add("nps", None, 10, Channel.LINK)
    for i, channel in enumerate(Channel.values):
        add("nps", [jane, visitor, by_id][i % 3], (i * 3) % 11, channel, f"On {channel}")
    for kind, scores in (("csat", (1, 3, 5)), ("ces", (1, 4, 7))):
        for score in scores:
            add(kind, jane, score, Channel.WEB, f"{kind} {score}")
        add(kind, None, scores[0], Channel.EMAIL)
    long = add("nps", jane, 6, Channel.WEB, LONG)
    rtl = add("nps", by_id, 9, Channel.IOS, RTL)
    handled = add("nps", jane, 0, Channel.EMAIL, "Billing charged me twice")
    tag = tag_get_or_create(project=project, name="Billing")
    child = tag_get_or_create(project=project, name="Refunds")
    Tag.objects.filter(pk=child.pk).update(parent=tag)
    for response in (handled, long, rtl):
        response_tag_add(response=response, tag=tag)
    response_tag_add(response=handled, tag=child)
    triage.note_add(response=handled, author=world.member, body="Called her, @admin please refund")
    triage.response_assign(response=handled, assignee=world.admin, actor=world.member)
    triage.response_set_status(response=handled, status="closed", actor=world.admin)
    triage.response_assign(response=rtl, assignee=None, actor=world.member)
    # Answers to additional questions: a choice with its Other box, a rating, a long text.
    ask(
        surveys["nps"],
        {"id": "fix", "type": "multiple_choice", "text": "What should {product} fix?",
         "other": True, "choices": [{"id": "speed", "text": "Speed"},
                                    {"id": "price", "text": "Price"}]},
        {"id": "docs", "type": "rating", "text": "Rate the docs"},
        {"id": "more", "type": "text", "text": "Anything else?", "long": True},
    )  # fmt: skip
    for response in (long, rtl):
        response_change(
            response=response,
            answers={"fix": {"choices": ["speed"], "other": RTL}, "docs": 2, "more": LONG},
        )
    add("nps", leaving, 4, Channel.EMAIL, "Please delete my data")
    person_erase(person=leaving, by="test")  # their responses go with them
    return list(Response.objects.filter(project=project).select_related("survey", "end_user"))


def _views(world: Any, zoo: list[Response]) -> list[tuple[str, str]]:
    """(label, url) of every dashboard page answering GET, in each of its views."""
    surveys = list(Survey.objects.filter(project=world.alpha))
    pages: list[tuple[str, str]] = []
    for name, entries in test_access.MATRIX.items():
        for method, data, factory, expected in entries:
            if method != "get" or expected.get("owner") != 200:
                continue
            kwargs = {"slug": "alpha", **factory(world)}
            url = reverse(name, kwargs=kwargs)
            query = "&".join(f"{key}={value}" for key, value in data.items())
            pages.append((name, f"{url}?{query}"))
            if name in ("project-explain", "project-tags-suggest", "project-tag-rule-progress"):
                continue
            pages += [(f"{name} all", f"{url}?{query}&period=all")]
            for s in surveys:
                # A page of one survey (its path names it) is visited as each survey's.
                if "survey_id" in kwargs:
                    url = reverse(name, kwargs={**kwargs, "survey_id": s.public_id})
                pages += [(f"{name} {s.kind}", f"{url}?{query}&survey={s.public_id}&period=all")]
    for response in zoo:
        url = reverse("project-response", args=["alpha", response.public_id])
        pages.append((f"response {response.survey.kind} {response.channel}", url))
    return pages


def test_every_page_reads_well_with_every_kind_of_response(world, zoo, settings):
    settings.DEBUG = False
    client = world.client_for("owner")
    client.raise_request_exception = True  # a template error fails here, with its traceback
    views = _views(world, zoo)
    problems = {}
    for label, url in views:
        page = client.get(url)
        assert page.status_code == 200, (label, url, page.status_code)
        body = page.getvalue().decode()  # streamed too (the CSV export)
        html = page["Content-Type"].startswith("text/html")
        found = stray(read(body) if html else body)
        if found:
            problems[label] = found
    assert problems == {}
    # The size of the zoo, for the closing note of the issue that asked for it.
    kinds = {(r.survey.kind, r.channel, bool(r.comment), r.end_user is None) for r in zoo}
    assert len(views) >= 100 and len(kinds) >= 12


def test_every_message_and_payload_reads_well_with_every_kind_of_response(world, zoo):
    problems: dict[str, list[str]] = {}
    # Notifications: the @mention mail, a reply, an invitation.
    mail.outbox.clear()
    for response in zoo:
        triage.note_add(response=response, author=world.member, body="@admin have a look")
        subject, body = triage.reply_template(response=response, author=world.member)
        found = stray(f"{subject}\n{body}")
        if found:
            problems[f"reply {response.public_id}"] = found
    for sent in mail.outbox:
        text = sent.body + "".join(
            read(str(content)) for content, _type in getattr(sent, "alternatives", [])
        )
        if found := stray(text):
            problems[f"mail {sent.subject}"] = found
    invitation = channels.invitation_schedule(
        project=world.alpha,
        survey=zoo[0].survey,
        identity=Identity(email="ann@example.com"),
        source=InvitationSource.API,
    )
    letter = channels.invitation_mail(Invitation.objects.get(pk=invitation.pk), message_id="<x@y>")
    if found := stray(letter.body + read(str(letter.alternatives[0][0]))):
        problems["invitation"] = found
    # Every transport's payload, for every response.
    tags = list(Tag.objects.filter(project=world.alpha))
    assert set(SETTINGS) == set(TRANSPORTS), "add the new kind's settings"
    for kind, data in SETTINGS.items():
        config, secrets = TRANSPORTS[kind].clean(data)
        transport = TRANSPORTS[kind](config=config, secrets=secrets)
        answers = answers_of(zoo)
        for response in zoo:
            message = Message(
                id=str(uuid.uuid4()),
                event="response.created",
                response=response,
                tags=tags,
                answers=answers[response.pk],
            )
            content = transport.content(message)
            text = "\n".join(_strings(json.loads(json.dumps(content, default=str))))
            if found := stray(text):
                problems[f"{kind} {response.survey.kind} {response.channel}"] = found
    assert problems == {}
