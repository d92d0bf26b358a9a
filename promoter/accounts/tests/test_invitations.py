"""An invitation link joins the project only as the account it was sent to (case-insensitive),
unless whoever invited chose "anyone with the link" on the Members page. Through the pages."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from promoter.accounts.models import Invitation, Membership, Role, User
from promoter.conftest import PASSWORD


def _invite(world, email: str, **extra: str) -> str:
    """Invite ``email`` to alpha as a member from the Members page; return the link's path."""
    response = world.client_for("owner").post(
        reverse("project-members", args=["alpha"]), {"email": email, "role": "member", **extra}
    )
    assert response.status_code == 302
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    return "/invitations/" + link.split("/invitations/", 1)[1]


def _login(email: str, path: str) -> Client:
    client = Client()
    response = client.post(f"{reverse('login')}?next={path}", {
        "username": email, "password": PASSWORD, "next": path,
    })  # fmt: skip
    assert response.status_code == 302, response.content
    return client


def _joined(user: User) -> bool:
    return Membership.objects.filter(user=user, project__slug="alpha").exists()


def test_another_account_gets_a_clear_page_and_nothing_is_written(world):
    path = _invite(world, "invitee@example.com")
    outsider = world.client_for("outsider")
    for page in (outsider.get(path), outsider.post(path)):
        assert page.status_code == 403
        text = page.content.decode()
        assert "This invitation is for invitee@example.com" in text
        assert "outsider@example.com" in text
        assert f'action="{reverse("logout")}"' in text and f'value="{path}"' in text
    assert not _joined(world.outsider)
    assert Invitation.objects.get(email="invitee@example.com").accepted_at is None


def test_the_invited_address_accepts_whatever_its_case(world):
    invitee = User.objects.create_user("invitee@example.com", PASSWORD)
    # An account saved before addresses were lower-cased keeps its capitals.
    User.objects.filter(pk=invitee.pk).update(email="Invitee@Example.com")
    path = _invite(world, "INVITEE@example.COM")
    client = Client()
    client.force_login(invitee)
    assert b"Accept the invitation" in client.get(path).content
    assert client.post(path)["Location"] == reverse("project-overview", args=["alpha"])
    assert Membership.objects.get(user=invitee, project=world.alpha).role == Role.MEMBER


def test_log_out_then_log_in_as_the_invited_address_and_accept(world):
    invitee = User.objects.create_user("invitee@example.com", PASSWORD)
    path = _invite(world, "invitee@example.com")
    client = world.client_for("outsider")
    # The wrong-account page's one button logs out and comes back to the invitation.
    page = client.get(path).content.decode().split("<main>", 1)[1]  # not the header's
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form is not None and form.group(1) == reverse("logout")
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    back = client.post(form.group(1), fields)
    assert back["Location"] == path
    to_login = client.get(path)  # anonymous now, and the invited address has an account
    assert to_login["Location"].startswith(reverse("login"))
    client = _login("invitee@example.com", path)
    assert client.post(path)["Location"] == reverse("project-overview", args=["alpha"])
    assert _joined(invitee) and not _joined(world.outsider)


def test_an_invitation_for_anyone_with_the_link_is_accepted_by_any_account(world):
    members_page = world.client_for("owner").get(reverse("project-members", args=["alpha"]))
    checkbox = re.search(r'<input[^>]*name="anyone_with_link"[^>]*>', members_page.content.decode())
    assert checkbox is not None and "checked" not in checkbox.group(0)  # off unless chosen
    path = _invite(world, "shared-inbox@example.com", anyone_with_link="on")
    invitation = Invitation.objects.get(email="shared-inbox@example.com")
    assert invitation.anyone_with_link is True
    listed = world.client_for("owner").get(reverse("project-members", args=["alpha"]))
    assert "anyone with the link" in listed.content.decode()
    outsider = world.client_for("outsider")
    assert b"Accept the invitation" in outsider.get(path).content
    assert outsider.post(path)["Location"] == reverse("project-overview", args=["alpha"])
    assert Membership.objects.get(user=world.outsider, project=world.alpha).role == Role.MEMBER


def test_an_invitation_is_for_its_address_unless_chosen_otherwise(world):
    _invite(world, "invitee@example.com")
    assert Invitation.objects.get(email="invitee@example.com").anyone_with_link is False
