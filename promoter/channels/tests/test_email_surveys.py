"""E-mail surveys end to end: invitations through a real SMTP server (aiosmtpd on 127.0.0.1),
their signed links clicked through the real app, unsubscribes, bounces, throttles and
autopilot (time frozen with time-machine)."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from promoter.channels import links, people_csv, services
from promoter.channels.models import (
    Invitation,
    InvitationSource,
    InvitationStatus,
)
from promoter.people.models import EndUser
from promoter.people.services import Identity
from promoter.responses.models import Channel, Display, Response


def nps(world):
    return world.alpha.surveys.get(kind="nps")


def invite(world, email="jane@example.com", **kwargs):
    return services.invitation_schedule(
        project=world.alpha,
        survey=nps(world),
        identity=Identity(email=email, external_id=kwargs.pop("external_id", None)),
        source=InvitationSource.DASHBOARD,
        **kwargs,
    )


def send_due():
    return services.invitations_send_due(worker="test")


def links_of(mail):
    html = next(
        p.get_content() for p in mail["message"].walk() if p.get_content_type() == "text/html"
    )
    return re.findall(r'href="(http[^"]+)"', html)


def path_of(url):
    return "/" + url.split("/", 3)[3]


def test_an_invitation_arrives_with_working_signed_links(world, smtp, settings):
    settings.SITE_URL = "http://testserver"
    invitation = invite(world, properties={"order": "A-17"})
    counts = send_due()
    assert counts.sent == 1
    mail = smtp.wait_for(1)[0]
    assert mail["rcpt"] == ["jane@example.com"]
    message = mail["message"]
    assert message["Subject"] == "How likely are you to recommend Alpha to a friend or colleague?"
    assert message["List-Unsubscribe"].strip().startswith("<http://testserver/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(preferencelist=("plain",)) is not None
    urls = links_of(mail)
    score_links = [u for u in urls if "/e/" in u]
    assert [int(u.rstrip("/").rsplit("/", 1)[1]) for u in score_links] == list(range(11))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None
    # The e-mail counts as a contact for the widget's throttles.
    assert Display.objects.filter(end_user=invitation.end_user, channel=Channel.EMAIL).count() == 1

    client = Client()
    three = path_of(score_links[3])
    page = client.get(three)  # what a mail scanner does: nothing is recorded
    assert page.status_code == 200 and "data-auto-submit" in page.content.decode()
    assert not Response.objects.exists()
    reply = client.post(three)  # what the page does in a browser
    assert reply.status_code == 302
    response = Response.objects.get()
    assert (response.score, response.channel) == (3, Channel.EMAIL)
    assert response.properties["order"] == "A-17"
    # Clicked twice: still one response.
    client.post(three)
    assert Response.objects.count() == 1
    # The comment page: a comment, and a change of mind on the score.
    comment_page = client.get(reply["Location"])
    assert 'name="comment"' in comment_page.content.decode()
    saved = client.post(reply["Location"], {"score": "6", "comment": "Exports time out"})
    # POST, redirect, GET: a refresh of the page does not send the comment again.
    assert saved.status_code == 302 and saved["Location"].endswith("?saved=1")
    shown = client.get(saved["Location"])
    assert shown.status_code == 200 and "Thank you" in shown.content.decode()
    assert "Exports time out" in shown.content.decode()
    response.refresh_from_db()
    assert (response.score, response.comment) == (6, "Exports time out")
    assert response.sentiment is not None
    assert Response.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.response_id == response.pk and invitation.opened_at is not None


def test_a_tampered_link_is_refused_with_a_clear_page(world, smtp, settings):
    settings.SITE_URL = "http://testserver"
    invite(world)
    send_due()
    link = path_of(next(u for u in links_of(smtp.wait_for(1)[0]) if "/e/" in u))
    token = link.split("/")[2]
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    client = Client()
    for path in (link.replace(token, forged), f"/e/{uuid.uuid4().hex}/3/", "/e/nonsense/"):
        for method in (client.get, client.post):
            page = method(path)
            assert page.status_code == 404
            assert "not valid" in page.content.decode()
    assert not Response.objects.exists()
    off_scale = link.rstrip("/").rsplit("/", 1)[0] + "/11/"
    assert client.post(off_scale).status_code == 400  # off the scale


def test_unsubscribed_people_are_never_mailed_again(world, smtp, settings):
    settings.SITE_URL = "http://testserver"
    invite(world)
    send_due()
    unsubscribe = path_of(next(u for u in links_of(smtp.wait_for(1)[0]) if "/u/" in u))
    client = Client()
    confirm = client.get(unsubscribe)  # a scanner's visit changes nothing
    assert "Unsubscribe" in confirm.content.decode()
    assert EndUser.objects.get(email="jane@example.com").unsubscribed_at is None
    # The mail client's one-click unsubscribe (RFC 8058) is a POST.
    done = client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in done.content.decode()
    assert EndUser.objects.get(email="jane@example.com").unsubscribed_at is not None
    later = invite(world)  # to send now: skipped at once, with the reason
    assert (later.status, later.reason) == (InvitationStatus.SKIPPED, "unsubscribed")
    assert send_due().total == 0
    assert len(smtp.messages) == 1


def test_throttles_and_the_fatigue_guard_hold_for_email(world, smtp):
    survey = nps(world)
    survey.resurvey_after_days = 90
    survey.save()
    invite(world)
    assert send_due().sent == 1
    Invitation.objects.update(status=InvitationStatus.SENT)
    person = EndUser.objects.get(email="jane@example.com")
    Response.objects.create(
        project=world.alpha, survey=survey, end_user=person, score=9, channel="web",
        created_at=timezone.now() - datetime.timedelta(days=10),
        updated_at=timezone.now(),
    )  # fmt: skip
    # Checked when the mail would go: an invitation for later is skipped then...
    later = timezone.now() + datetime.timedelta(hours=1)
    again = invite(world, send_at=later)
    assert again.status == InvitationStatus.SCHEDULED
    with time_machine.travel(later + datetime.timedelta(minutes=1)):
        assert send_due().skipped == 1
    again.refresh_from_db()
    assert "waits 90 days" in again.reason
    # ...and one for now at once.
    now = invite(world, email="jane@example.com")
    assert now.status == InvitationStatus.SKIPPED and "waits 90 days" in now.reason
    assert len(smtp.messages) == 1


def test_a_refused_address_is_recorded_as_a_bounce(world, smtp):
    smtp.refuse.add("gone@example.com")
    invitation = invite(world, email="gone@example.com")
    assert send_due().bounced == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.BOUNCED
    person = EndUser.objects.get(email="gone@example.com")
    assert person.bounced_at is not None
    again = invite(world, email="gone@example.com")  # no more mail to a bounced address
    assert (again.status, again.reason) == (InvitationStatus.SKIPPED, "their address bounced")


def test_a_mail_server_that_is_away_is_retried_later(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    invitation = invite(world)
    assert send_due().retrying == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.scheduled_at > timezone.now() and invitation.reason.startswith("retrying")


def test_a_second_invitation_replaces_the_waiting_one(world):
    later = timezone.now() + datetime.timedelta(days=2)
    first = invite(world, send_at=later)
    second = invite(world)
    assert first.pk == second.pk and Invitation.objects.count() == 1


def test_an_invitation_needs_an_email(world):
    from promoter.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        services.invitation_schedule(
            project=world.alpha,
            survey=nps(world),
            identity=Identity(external_id="u1"),
            source=InvitationSource.API,
        )
    assert refused.value.fields == {"email": "required"}


def test_autopilot_reinvites_after_the_interval_and_not_before(world, smtp):
    start = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    survey = nps(world)
    survey.resurvey_after_days = 30
    survey.save()
    with time_machine.travel(start, tick=False):
        autopilot = services.autopilot_configure(survey=survey, interval_days=60, is_active=True)
        services.autopilot_member_add(
            autopilot=autopilot,
            identity=Identity(email="ann@example.com"),
            properties={"plan": "pro"},
        )
        assert services.autopilot_schedule_due() == 1
        assert send_due().sent == 1
        assert services.autopilot_schedule_due() == 0
    with time_machine.travel(start + datetime.timedelta(days=59), tick=False):
        assert services.autopilot_schedule_due() == 0  # not before the interval
        assert send_due().total == 0
    with time_machine.travel(start + datetime.timedelta(days=60, minutes=1), tick=False):
        assert services.autopilot_schedule_due() == 1
        assert send_due().sent == 1
    invitations = list(Invitation.objects.order_by("created_at"))
    assert [i.source for i in invitations] == [InvitationSource.AUTOPILOT] * 2
    assert invitations[1].properties == {"plan": "pro"}
    assert len(smtp.wait_for(2)) == 2
    # Removed from autopilot: no more invitations.
    person = EndUser.objects.get(email="ann@example.com")
    assert services.autopilot_member_remove(autopilot=autopilot, end_user=person)
    with time_machine.travel(start + datetime.timedelta(days=200), tick=False):
        assert services.autopilot_schedule_due() == 0


# Link surveys -------------------------------------------------------------------------------


def test_a_link_survey_records_anonymous_and_named_answers(world):
    survey = nps(world)
    client = Client()
    url = f"/l/{survey.public_id}/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="score" value="10"' in page.content.decode()
    reply = client.post(url, {"score": "9"})
    assert reply.status_code == 302
    anonymous = Response.objects.get()
    assert (anonymous.score, anonymous.channel, anonymous.end_user) == (9, Channel.LINK, None)
    client.post(reply["Location"], {"comment": "Great support"})
    anonymous.refresh_from_db()
    assert anonymous.comment == "Great support"
    named = client.post(f"{url}?email=bob@example.com", {"score": "4"})
    assert named.status_code == 302
    assert Response.objects.get(end_user__email="bob@example.com").score == 4
    # A forged comment link or an unknown survey is refused.
    forged = reply["Location"].rsplit("/", 2)[0] + "/xyz/"
    assert client.post(forged, {"comment": "x"}).status_code == 404
    assert client.get(f"/l/{uuid.uuid4()}/").status_code == 404
    assert client.post(url, {"score": "12"}).status_code == 400


def test_link_surveys_are_rate_limited(world, settings):
    from django.core.cache import cache

    cache.clear()
    survey = nps(world)
    client = Client()
    url = f"/l/{survey.public_id}/"
    codes = [client.post(url, {"score": "8"}).status_code for _ in range(22)]
    assert codes[:20] == [302] * 20
    assert codes[-1] == 429
    assert Response.objects.count() == 20


def test_a_link_refuses_a_locale_that_is_no_language_tag_and_stores_nothing(world):
    # The probe: ?locale= of 300 characters was stored in the 35-character column.
    url = f"/l/{nps(world).public_id}/?email=bob@example.com&locale={'x' * 300}"
    for method in ("get", "post"):
        reply = getattr(Client(), method)(url, {"score": "9"} if method == "post" else None)
        assert reply.status_code == 400 and "locale" in reply.content.decode()
    assert not Response.objects.exists() and not EndUser.objects.exists()
    # A real tag is kept, and the browser's first choice when there is none.
    Client().post(f"/l/{nps(world).public_id}/?locale=pt-BR", {"score": "9"})
    Client().post(
        f"/l/{nps(world).public_id}/", {"score": "8"}, HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9"
    )
    assert sorted(Response.objects.values_list("locale", flat=True)) == ["de-ch", "pt-BR"]


@pytest.mark.parametrize(
    "query",
    ["email=boss", "email=" + "a" * 250 + "@example.com", "email=a%00b@example.com", "x=%00"],
)
def test_every_link_parameter_is_checked_like_the_apis(world, query):
    reply = Client().post(f"/l/{nps(world).public_id}/?{query}", {"score": "9"})
    assert reply.status_code == 400
    assert not Response.objects.exists() and not EndUser.objects.exists()


@pytest.mark.parametrize(
    ("change", "channel"),
    [({"channels": ["web"]}, "link"), ({"is_active": False}, "link")],
)
def test_a_link_survey_honours_its_channels_and_switch(world, change, channel):
    # The probe: with the survey's channels set to web only, the link still recorded answers.
    survey = nps(world)
    for name, value in change.items():
        setattr(survey, name, value)
    survey.save()
    url = f"/l/{survey.public_id}/"
    assert Client().get(url).status_code == 404
    assert Client().post(f"{url}?email=bob@example.com", {"score": "9"}).status_code == 404
    assert not Response.objects.exists() and not EndUser.objects.exists()


def test_a_named_person_who_answered_lately_is_refused_on_the_link(world):
    survey = nps(world)
    survey.resurvey_after_days = 30
    survey.save()
    url = f"/l/{survey.public_id}/?email=bob@example.com"
    assert Client().post(url, {"score": "9"}).status_code == 302
    again = Client().post(url, {"score": "2"})
    assert again.status_code == 409 and "You answered this survey on" in again.content.decode()
    assert Response.objects.count() == 1
    assert Client().post(f"/l/{survey.public_id}/", {"score": "2"}).status_code == 302
    later = timezone.now() + datetime.timedelta(days=31)
    with time_machine.travel(later, tick=False):
        assert Client().post(url, {"score": "6"}).status_code == 302
    assert Response.objects.filter(end_user__email="bob@example.com").count() == 2


def test_a_link_names_its_person_only_when_signed_if_identities_are_verified(world):
    # The probe: the widget refused an unverified boss@, but the link recorded the answer as
    # that person, for the integrations and their history to see.
    project = world.alpha
    project.require_identity_verification = True
    project.save()
    survey = nps(world)
    url = f"/l/{survey.public_id}/?email=boss@example.com"
    assert Client().post(url, {"score": "0"}).status_code == 302
    assert Client().post(url + "&sig=" + "0" * 64, {"score": "1"}).status_code == 302
    assert not EndUser.objects.exists()  # both stored as anonymous
    assert list(Response.objects.values_list("end_user", flat=True)) == [None, None]
    signed = links.link_url(survey.public_id, email="Boss@Example.com", secret=project.secret)
    assert Client().post(path_of(signed), {"score": "2"}).status_code == 302
    assert Response.objects.get(score=2).end_user.email == "boss@example.com"


def test_a_survey_may_take_anonymous_link_answers_only(world):
    survey = nps(world)
    survey.link_anonymous = True
    survey.save()
    reply = Client().post(f"/l/{survey.public_id}/?email=bob@example.com", {"score": "9"})
    assert reply.status_code == 302
    assert Response.objects.get().end_user is None and not EndUser.objects.exists()


def test_email_answers_stop_when_the_survey_is_off_or_email_is_not_its_channel(world, smtp):
    invite(world)
    assert send_due().sent == 1
    score = path_of(next(u for u in links_of(smtp.wait_for(1)[0]) if "/e/" in u))
    survey = nps(world)
    for change in ({"channels": ["web", "link"]}, {"is_active": False}):
        for name, value in change.items():
            setattr(survey, name, value)
        survey.save()
        client = Client()
        assert client.get(score).status_code == 410
        assert client.post(score).status_code == 410
        assert not Response.objects.exists()
        survey.channels, survey.is_active = ["web", "email", "link"], True
        survey.save()
    # Nor does a new invitation go out while e-mail is off.
    survey.channels = ["web"]
    survey.save()
    waiting = invite(world, email="ann@example.com")
    assert waiting.status == InvitationStatus.SKIPPED
    assert "not enabled on email" in waiting.reason


def test_a_head_request_on_a_score_link_answers_like_get_and_records_nothing(world, smtp):
    invitation = invite(world)
    assert send_due().sent == 1
    score = path_of(next(u for u in links_of(smtp.wait_for(1)[0]) if "/e/" in u))
    assert Client().head(score).status_code == 200
    invitation.refresh_from_db()
    assert invitation.opened_at is None and not Response.objects.exists()


def test_a_pasted_name_reaches_the_mails_to_and_stays_out_of_the_answers(world, smtp):
    # It became the response's property "name" (a property:name column in every export).
    rows = people_csv.parse("jane@example.com, Jane Doe\n")
    services.invitations_schedule_many(
        project=world.alpha, survey=nps(world), rows=rows, source=InvitationSource.DASHBOARD
    )
    assert send_due().sent == 1
    mail = smtp.wait_for(1)[0]["message"]
    assert mail["To"] == "Jane Doe <jane@example.com>"
    score = path_of(next(u for u in links_of(smtp.messages[0]) if "/e/" in u))
    Client().post(score)
    response = Response.objects.get()
    assert "name" not in response.properties
    assert response.end_user.name == "Jane Doe"
