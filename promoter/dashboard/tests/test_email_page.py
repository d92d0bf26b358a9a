"""The E-mail page: scheduling invitations from a pasted list or a CSV, autopilot, links."""

from __future__ import annotations

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
    assert "Scheduled 2 invitation(s)" in reply.content.decode()
    invitations = Invitation.objects.order_by("end_user__email")
    assert [i.end_user.email for i in invitations] == ["ann@example.com", "bob@example.com"]
    assert invitations[0].properties == {"name": "Ann"}
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
    assert ann.source == InvitationSource.CSV and ann.properties == {"plan": "pro", "name": "Ann"}


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
