"""The response page (reply, note, assign, close) and the Follow-up inbox."""

from __future__ import annotations

import datetime
import uuid

from django.urls import reverse
from django.utils import timezone

from promoter.integrations.tests.conftest import smtp  # noqa: F401  (a real SMTP server)
from promoter.people.models import EndUser
from promoter.responses.models import Activity, Response, Status
from promoter.responses.services import response_create


def answer(world, score, comment="", email=None, days_ago=1):
    now = timezone.now()
    email = email or f"p{uuid.uuid4().hex[:8]}@example.com"
    person = EndUser.objects.create(
        project=world.alpha, email=email, first_seen_at=now, last_seen_at=now
    )
    response, _ = response_create(
        public_id=uuid.uuid4(), survey=world.alpha.surveys.get(kind="nps"), end_user=person,
        score=score, comment=comment, now=now - datetime.timedelta(days=days_ago),
    )  # fmt: skip
    return response


def test_a_member_replies_notes_assigns_and_closes(world, smtp):  # noqa: F811
    response = answer(world, 2, "<img src=x onerror=alert(1)> Exports fail", "jane@example.com")
    client = world.client_for("member")
    url = reverse("project-response", args=["alpha", response.public_id])
    page = client.get(url).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "Sorry about your experience with Alpha" in page  # the detractor template
    reply = client.post(
        reverse("project-response-reply", args=["alpha", response.public_id]),
        {"subject": "About the exports", "body": "Hi <Jane>, we fixed it."},
    )
    assert reply.status_code == 302
    received = smtp.wait_for(1)[0]  # at a real SMTP server
    assert received["rcpt"] == ["jane@example.com"]
    assert received["message"]["Subject"] == "About the exports"
    html = next(
        p.get_content() for p in received["message"].walk() if p.get_content_type() == "text/html"
    )
    assert "Hi &lt;Jane&gt;, we fixed it." in html
    client.post(
        reverse("project-response-note", args=["alpha", response.public_id]),
        {"body": "Called her <b>today</b>"},
    )
    client.post(
        reverse("project-response-assign", args=["alpha", response.public_id]),
        {"assignee": str(world.admin.public_id)},
    )
    client.post(
        reverse("project-response-status", args=["alpha", response.public_id]),
        {"status": "closed"},
    )
    response.refresh_from_db()
    assert (response.status, response.assignee) == (Status.CLOSED, world.admin)
    page = client.get(url).content.decode()
    assert "Hi &lt;Jane&gt;, we fixed it." in page
    assert "Called her &lt;b&gt;today&lt;/b&gt;" in page
    # The history names the teammate as the header does (their name), not by their address.
    assert 'assigned to <strong data-field="assignee">Admin</strong>' in page
    assert "assigned it to Admin." in page and "assigned it to admin@" not in page
    assert "closed it." in page
    assert Activity.objects.filter(response=response).count() == 4


def test_bad_input_is_shown_and_changes_nothing(world):
    response = answer(world, 2, "x")
    client = world.client_for("member")
    page = client.post(
        reverse("project-response-reply", args=["alpha", response.public_id]),
        {"subject": "", "body": "Hello"},
    )
    assert page.status_code == 400 and "needs a subject" in page.content.decode()
    page = client.post(
        reverse("project-response-note", args=["alpha", response.public_id]), {"body": " "}
    )
    assert page.status_code == 400 and "Write a note" in page.content.decode()
    client.post(
        reverse("project-response-assign", args=["alpha", response.public_id]),
        {"assignee": str(world.outsider.public_id)},
    )
    response.refresh_from_db()
    assert response.assignee is None and not Activity.objects.exists()


def test_viewers_read_without_forms(world):
    response = answer(world, 2, "x")
    page = world.client_for("viewer").get(
        reverse("project-response", args=["alpha", response.public_id])
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Send reply" not in html and "Add note" not in html


def test_the_inbox_lists_what_waits_with_counts(world, django_assert_max_num_queries):
    old = answer(world, 1, "Broken", days_ago=6)
    answer(world, 10, "", days_ago=5)  # waits for nobody
    new = answer(world, 9, "Nice", days_ago=2)
    Response.objects.filter(pk=new.pk).update(assignee=world.member)
    client = world.client_for("viewer")
    url = reverse("project-followup", args=["alpha"])
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert [r.pk for r in page.context["cards"]] == [old.pk, new.pk]
    html = page.content.decode()
    assert "Everyone (2)" in html and "Unassigned (1)" in html and "Member (1)" in html
    mine = world.client_for("member").get(url, {"assignee": "me"})
    assert [r.pk for r in mine.context["cards"]] == [new.pk]
    closed = world.client_for("member").post(
        reverse("project-response-status", args=["alpha", old.public_id]),
        {"status": "closed", "next": "inbox"},
    )
    assert closed["Location"] == url
    assert [r.pk for r in client.get(url).context["cards"]] == [new.pk]


def test_answers_show_on_the_card_and_the_response_page_escaped(world):
    from promoter.actions.responses import response_record
    from promoter.surveys.tests.asking import ask

    survey = world.alpha.surveys.get(kind="nps")
    ask(
        survey,
        {"id": "fix", "type": "multiple_choice", "text": "What <b>hurts</b>?", "other": True,
         "choices": [{"id": "exports", "text": "Exports"}, {"id": "ui", "text": "UI"}]},
    )  # fmt: skip
    response, _ = response_record(
        survey=survey, score=3, person=None, channel="api",
        answers={"fix": {"choices": ["ui", "exports"], "other": "<script>x</script>"}},
    )  # fmt: skip
    client = world.client_for("viewer")
    said = "Exports, UI, Other: &lt;script&gt;x&lt;/script&gt;"
    page = client.get(reverse("project-response", args=["alpha", response.public_id]))
    assert "<dt>What &lt;b&gt;hurts&lt;/b&gt;?</dt>" in page.content.decode()
    assert f'<dd data-question="fix">{said}</dd>' in page.content.decode()
    feed = client.get(reverse("project-responses", args=["alpha"]), {"period": "all"})
    assert f'<dd data-question="fix">{said}</dd>' in feed.content.decode()
