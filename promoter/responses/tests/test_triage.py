"""Closing the loop: replies through a real SMTP server, notes with @mentions, assignment,
open/closed, the history, and the Follow-up inbox."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.responses import triage
from promoter.responses.models import ActivityKind, ReplyStatus, Status
from promoter.responses.services import response_create


def answer(world, score, comment="", *, email="jane@example.com", days_ago=1):
    now = timezone.now()
    person = EndUser.objects.create(
        project=world.alpha,
        email=email,
        external_id=f"u-{uuid.uuid4().hex[:6]}",
        properties={"name": "Jane Doe"},
        first_seen_at=now,
        last_seen_at=now,
    )
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=world.alpha.surveys.get(kind="nps"),
        end_user=person,
        score=score,
        comment=comment,
        now=now - datetime.timedelta(days=days_ago),
    )
    return response


def test_a_reply_reaches_the_person_escaped_and_threaded(world, smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "Promoter <feedback@promoter.example.com>"
    response = answer(world, 2, "Exports fail")
    subject, body = triage.reply_template(response=response, author=world.member)
    assert subject == "Sorry about your experience with Alpha"
    assert body.startswith("Hi Jane,") and body.endswith("Member")
    first = triage.reply_send(
        response=response,
        author=world.member,
        subject=subject,
        body="Hello <b>Jane</b> & thanks\n<script>alert(1)</script>",
    )
    mail = smtp.wait_for(1)[0]
    message = mail["message"]
    assert mail["rcpt"] == ["jane@example.com"]
    assert message["Subject"] == subject
    assert message["Reply-To"] == "Member <member@example.com>"
    assert "feedback@promoter.example.com" in message["From"]
    html = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Hello &lt;b&gt;Jane&lt;/b&gt; &amp; thanks" in html
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<script>alert(1)</script>" in text  # plain text stays as written
    assert first.status == ReplyStatus.SENT and message["Message-ID"] == first.message_id
    second = triage.reply_send(response=response, author=world.admin, subject="Re", body="More")
    threaded = smtp.wait_for(2)[1]["message"]
    assert threaded["In-Reply-To"] == first.message_id
    assert [a.kind for a in triage.history(response=response)] == [ActivityKind.REPLY] * 2
    assert second.author == world.admin


def test_a_failed_reply_is_recorded_and_an_unknown_address_refused(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    response = answer(world, 2)
    reply = triage.reply_send(response=response, author=world.member, subject="Hi", body="x")
    assert reply.status == ReplyStatus.FAILED and reply.error
    anonymous = answer(world, 3, email=None)
    with pytest.raises(ApplicationError) as refused:
        triage.reply_send(response=anonymous, author=world.member, subject="Hi", body="x")
    assert refused.value.fields == {"to": "unknown"}


def test_notes_mention_teammates_by_name_or_address(
    world, smtp, django_capture_on_commit_callbacks
):
    response = answer(world, 4, "Too slow")
    with django_capture_on_commit_callbacks(execute=True):
        note = triage.note_add(
            response=response, author=world.member, body="@admin can you call? cc @Viewer @nobody"
        )
    assert sorted(note.mentions) == sorted([world.admin.pk, world.viewer.pk])
    mail = smtp.wait_for(1)[0]
    assert sorted(mail["rcpt"]) == ["admin@example.com", "viewer@example.com"]
    assert "mentioned you" in mail["message"]["Subject"]
    # An outsider of the project is never found, and an empty note is refused.
    assert triage.mentioned(project=world.alpha, body="@outsider") == []
    with pytest.raises(ApplicationError):
        triage.note_add(response=response, author=world.member, body="  ")


def test_assign_close_reopen_are_recorded_with_who(world):
    response = answer(world, 1, "Broken")
    triage.response_assign(response=response, assignee=world.member, actor=world.admin)
    with pytest.raises(ApplicationError):
        triage.response_assign(response=response, assignee=world.outsider, actor=world.admin)
    triage.response_set_status(response=response, status=Status.CLOSED, actor=world.member)
    triage.response_set_status(response=response, status=Status.CLOSED, actor=world.member)
    triage.response_set_status(response=response, status=Status.OPEN, actor=world.owner)
    triage.response_assign(response=response, assignee=None, actor=world.owner)
    steps = [(a.kind, a.actor.email) for a in triage.history(response=response)]
    assert steps == [
        (ActivityKind.ASSIGNED, "admin@example.com"),
        (ActivityKind.CLOSED, "member@example.com"),
        (ActivityKind.REOPENED, "owner@example.com"),
        (ActivityKind.UNASSIGNED, "owner@example.com"),
    ]


def test_the_inbox_holds_open_detractors_and_unanswered_comments_oldest_first(world, smtp):
    old_detractor = answer(world, 3, days_ago=9)
    comment = answer(world, 9, "Love it", days_ago=5)
    answer(world, 10, days_ago=4)  # a silent promoter waits for nobody
    answered = answer(world, 8, "Fine", days_ago=3)
    triage.reply_send(response=answered, author=world.member, subject="Thanks", body="Thanks!")
    closed = answer(world, 0, "Awful", days_ago=2)
    triage.response_set_status(response=closed, status=Status.CLOSED, actor=world.member)
    new_detractor = answer(world, 5, "Meh", days_ago=1)
    triage.response_assign(response=new_detractor, assignee=world.member, actor=world.admin)
    inbox = list(triage.followup_queryset(project=world.alpha))
    assert inbox == [old_detractor, comment, new_detractor]
    counts = triage.followup_counts(project=world.alpha)
    assert (counts.total, counts.unassigned) == (3, 2)
    assert counts.by_assignee == [(world.member, 1)]


def test_a_project_with_its_own_mail_server_uses_it(world, smtp, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the installation's
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = True  # the test's mail server is on 127.0.0.1
    client = world.client_for("admin")
    from django.urls import reverse

    form = {
        "name": "Alpha", "timezone": "UTC", "allowed_origins": "", "fatigue_days": "30",
        "email_from": "Alpha Support <support@alpha.example>",
        "smtp_url": f"smtp://mailer:s3cret-pass@127.0.0.1:{smtp.port}",
    }  # fmt: skip
    assert client.post(reverse("project-settings", args=["alpha"]), form).status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.smtp_url.endswith(f"@127.0.0.1:{smtp.port}")
    page = client.get(reverse("project-settings", args=["alpha"])).content.decode()
    assert "s3cret-pass" not in page  # a secret is never shown again
    # Saving without retyping it keeps it.
    client.post(reverse("project-settings", args=["alpha"]), {**form, "smtp_url": ""})
    world.alpha.refresh_from_db()
    assert "s3cret-pass" in world.alpha.smtp_url
    # The test server takes mail without logging in.
    client.post(
        reverse("project-settings", args=["alpha"]),
        {**form, "smtp_url": f"smtp://127.0.0.1:{smtp.port}"},
    )
    world.alpha.refresh_from_db()
    response = answer(world, 2, "x")
    reply = triage.reply_send(response=response, author=world.member, subject="Hi", body="Yes")
    assert reply.status == ReplyStatus.SENT
    message = smtp.wait_for(1)[0]["message"]
    assert "support@alpha.example" in message["From"]
    bad = client.post(reverse("project-settings", args=["alpha"]), {**form, "smtp_url": "http://x"})
    assert bad.status_code == 200 and "smtp://user:password@host:25" in bad.content.decode()
