"""The E-mail page: scheduling invitations from a pasted list or a CSV, autopilot, links."""

from __future__ import annotations

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from promoter.channels.models import Autopilot, AutopilotMember, Invitation, InvitationSource


def nps(world):
    return world.alpha.surveys.get(kind="nps")


def test_a_member_schedules_a_pasted_list(world):
    client = world.client_for("member")
    reply = client.post(
        reverse("project-invitations-send", args=["alpha"]),
        {"survey": str(nps(world).public_id), "people": "ann@example.com, Ann\nbob@example.com\n"},
        follow=True,
    )
    assert "Scheduled 2 invitations to Net Promoter Score, sent now." in reply.content.decode()
    invitations = Invitation.objects.order_by("end_user__email")
    assert [i.end_user.email for i in invitations] == ["ann@example.com", "bob@example.com"]
    # The pasted name is the person's (the mail's To:), not a property of their response.
    assert invitations[0].properties == {} and invitations[0].end_user.name == "Ann"
    page = client.get(reverse("project-email", args=["alpha"])).content.decode()
    assert "ann@example.com" in page and f"/l/{nps(world).public_id}/" in page


def test_a_csv_with_a_bad_row_schedules_nothing_and_names_the_row(world):
    client = world.client_for("member")
    bad = SimpleUploadedFile(
        "people.csv", b"email,name,plan\nann@example.com,Ann,pro\nnot-an-email,Bob,free\n"
    )
    reply = client.post(
        reverse("project-invitations-send", args=["alpha"]),
        {"survey": str(nps(world).public_id), "file": bad},
        follow=True,
    )
    assert reply.status_code == 400
    assert "Row 3: &#x27;not-an-email&#x27; is not an e-mail address" in reply.content.decode()
    assert not Invitation.objects.exists()
    good = SimpleUploadedFile(
        "people.csv",
        "email,name,plan\nann@example.com,Ann,pro\nzoe@example.com,Zoë,free\n".encode(),
    )
    client.post(
        reverse("project-invitations-send", args=["alpha"]),
        {"survey": str(nps(world).public_id), "file": good, "delay_days": "3"},
    )
    assert Invitation.objects.count() == 2
    ann = Invitation.objects.get(end_user__email="ann@example.com")
    assert ann.source == InvitationSource.CSV and ann.properties == {"plan": "pro"}
    assert ann.end_user.name == "Ann"


def test_a_refused_list_comes_back_as_it_was_pasted(world):
    # The textarea came back empty after "Line 2: 'not-an-email' is not an e-mail address".
    pasted = "ann@example.com, Ann\nnot-an-email\nbob@example.com"
    reply = world.client_for("member").post(
        reverse("project-invitations-send", args=["alpha"]),
        {"survey": str(nps(world).public_id), "people": pasted, "delay_days": "2"},
    )
    page = reply.content.decode()
    assert reply.status_code == 400
    assert "Line 2: &#x27;not-an-email&#x27; is not an e-mail address" in page
    assert f'placeholder="jane@example.com, Jane Doe">{pasted}</textarea>' in page
    assert 'name="delay_days" value="2"' in page
    assert not Invitation.objects.exists()


def test_the_message_counts_who_was_scheduled_and_who_was_skipped_and_why(world):
    # "Scheduled 4 invitation(s)… sent now" was shown when 3 of the 4 were skipped.
    from django.utils import timezone

    from promoter.channels import services
    from promoter.people.services import Identity, end_user_upsert
    from promoter.responses.services import response_create

    now = timezone.now()
    for email in ("gone@example.com", "left@example.com"):
        person = end_user_upsert(project=world.alpha, identity=Identity(email=email), now=now)
        services.unsubscribe(end_user=person)
    answered = end_user_upsert(
        project=world.alpha, identity=Identity(email="done@example.com"), now=now
    )
    response_create(public_id=uuid.uuid4(), survey=nps(world), end_user=answered, score=9, now=now)
    reply = world.client_for("member").post(
        reverse("project-invitations-send", args=["alpha"]),
        {
            "survey": str(nps(world).public_id),
            "people": "new@example.com\ngone@example.com\nleft@example.com\ndone@example.com",
        },
        follow=True,
    )
    assert (
        "Scheduled 1 invitation to Net Promoter Score, sent now. Skipped 3 people:"
        " 2 unsubscribed, 1 answered it recently." in reply.content.decode()
    )
    skipped = Invitation.objects.filter(status="skipped").order_by("end_user__email")
    assert [i.reason[:12] for i in skipped] == ["last respons", "unsubscribed", "unsubscribed"]


def test_admins_run_autopilot(world):
    client = world.client_for("admin")
    survey = nps(world)
    client.post(
        reverse("project-autopilot", args=["alpha", survey.public_id]),
        {"interval_days": "45", "active": "on"},
    )
    autopilot = Autopilot.objects.get(survey=survey)
    assert (autopilot.interval_days, autopilot.is_active) == (45, True)
    members_url = reverse("project-autopilot-members", args=["alpha", survey.public_id])
    client.post(members_url, {"people": "ann@example.com\nbob@example.com", "action": "add"})
    assert AutopilotMember.objects.count() == 2
    client.post(members_url, {"people": "bob@example.com", "action": "remove"})
    assert [m.end_user.email for m in AutopilotMember.objects.all()] == ["ann@example.com"]
    bad = client.post(
        reverse("project-autopilot", args=["alpha", survey.public_id]),
        {"interval_days": "0", "active": "on"},
        follow=True,
    )
    assert "Re-survey every 1 to 3650 days" in bad.content.decode()
