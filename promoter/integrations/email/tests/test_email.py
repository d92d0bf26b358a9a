"""E-mail notifications end to end, through a real SMTP server on 127.0.0.1: the comment
escaped in the HTML part and plain in the text part, and only members as recipients."""

from __future__ import annotations

import pytest

from promoter.core.errors import ApplicationError
from promoter.integrations.destinations import destination_create, rule_create
from promoter.integrations.models import Event
from promoter.integrations.outbox import deliveries_process
from promoter.integrations.routing import response_event
from promoter.integrations.tests.sending import detractor

pytestmark = pytest.mark.usefixtures("site_url")


def test_email_notifies_teammates_through_a_real_smtp_server(world, smtp):
    response = detractor(world.alpha, comment="<script>alert(1)</script> & too slow")
    destination_create(
        project=world.alpha,
        kind="email",
        name="Support team",
        data={"recipients": "admin@example.com, member@example.com"},
    )
    destination = world.alpha.destinations.get()
    rule_create(destination=destination, events=[Event.CREATED])
    response_event(response=response, event=Event.CREATED)
    assert deliveries_process(worker="test").delivered == 1
    mail = smtp.wait_for(1)[0]
    assert sorted(mail["rcpt"]) == ["admin@example.com", "member@example.com"]
    assert mail["message"]["Subject"] == "NPS 3 (detractor) from jane@example.com"
    html = next(
        part.get_content()
        for part in mail["message"].walk()
        if part.get_content_type() == "text/html"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; too slow" in html
    assert "<script>" not in html
    text = mail["message"].get_body(preferencelist=("plain",)).get_content()
    assert "<script>alert(1)</script> & too slow" in text  # plain text is not HTML


def test_email_recipients_must_be_members(world):
    with pytest.raises(ApplicationError) as refused:
        destination_create(
            project=world.alpha,
            kind="email",
            name="Spam",
            data={"recipients": "stranger@example.org"},
        )
    assert refused.value.fields == {"recipients": "not a member"}
