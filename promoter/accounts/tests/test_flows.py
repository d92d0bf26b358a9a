import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from promoter.accounts.models import Invitation, Membership, Project, Role, User
from promoter.accounts.services import invitation_create
from promoter.conftest import PASSWORD


def test_first_run_creates_the_owner_and_a_project(db):
    client = Client()
    assert client.get("/")["Location"] == reverse("first-run")
    response = client.post(
        reverse("first-run"),
        {"name": "Ada", "email": "Ada@Example.com", "password": PASSWORD, "project": "Acme App"},
    )
    project = Project.objects.get()
    assert response["Location"] == reverse("project-overview", args=[project.slug])
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert Membership.objects.get(user=user, project=project).role == Role.OWNER
    assert project.surveys.filter(kind="nps").count() == 1
    assert client.get(response["Location"]).status_code == 200
    # Once a user exists, the first-run page is gone for everybody.
    assert Client().get(reverse("first-run")).status_code == 404
    assert Client().get("/")["Location"] == reverse("login")


def test_first_run_rejects_a_weak_password_and_keeps_nothing(db):
    response = Client().post(
        reverse("first-run"),
        {"name": "Ada", "email": "ada@example.com", "password": "1234567890", "project": "Acme"},
    )
    assert response.status_code == 200
    assert b"too common" in response.content or b"entirely numeric" in response.content
    assert not User.objects.exists()
    assert not Project.objects.exists()


def test_login_and_logout(world):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "owner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    home = client.get("/")
    assert home["Location"] == reverse("project-overview", args=["alpha"])
    bad = Client().post(reverse("login"), {"username": "owner@example.com", "password": "nope"})
    assert bad.status_code == 200
    assert b"correct email" in bad.content.lower() or b"correct e-mail" in bad.content.lower()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("project-overview", args=["alpha"])).status_code == 302


def test_password_change(world):
    client = world.client_for("member")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much better passphrase",
            "new_password2": "a much better passphrase",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    world.member.refresh_from_db()
    assert world.member.check_password("a much better passphrase")


def test_password_reset_by_email(world):
    client = Client()
    client.post(reverse("password_reset"), {"email": "viewer@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "reset passphrase 123", "new_password2": "reset passphrase 123"},
    )
    assert done["Location"] == reverse("password_reset_complete")
    world.viewer.refresh_from_db()
    assert world.viewer.check_password("reset passphrase 123")
    # Unknown addresses get the same answer and no mail (no account enumeration).
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert len(mail.outbox) == 1


def _invitation_path() -> str:
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    return "/invitations/" + link.split("/invitations/", 1)[1]


def test_invite_a_new_teammate_who_signs_up(world):
    owner = world.client_for("owner")
    owner.post(
        reverse("project-members", args=["alpha"]), {"email": "New@Example.com", "role": "viewer"}
    )
    assert mail.outbox[-1].to == ["new@example.com"]
    path = _invitation_path()
    newcomer = Client()
    page = newcomer.get(path)
    assert b"Join Alpha" in page.content
    response = newcomer.post(path, {"name": "Newt", "password": "newcomer passphrase"})
    assert response["Location"] == reverse("project-overview", args=["alpha"])
    user = User.objects.get(email="new@example.com")
    assert Membership.objects.get(user=user, project=world.alpha).role == Role.VIEWER
    # The link is single-use.
    assert Client().get(path).status_code == 404


def test_invited_existing_user_logs_in_then_accepts(world):
    admin = Membership.objects.get(user=world.admin, project=world.alpha)
    invitation_create(actor=admin, email="outsider@example.com", role=Role.MEMBER)
    path = _invitation_path()
    anonymous = Client().get(path)
    assert anonymous["Location"].startswith(reverse("login"))
    outsider = world.client_for("outsider")
    assert outsider.post(path)["Location"] == reverse("project-overview", args=["alpha"])
    assert Membership.objects.get(user=world.outsider, project=world.alpha).role == Role.MEMBER


def test_tampered_invitation_link_is_refused(world):
    admin = Membership.objects.get(user=world.admin, project=world.alpha)
    invitation_create(actor=admin, email="x@example.com", role=Role.VIEWER)
    response = Client().get(_invitation_path()[:-3] + "xx/")
    assert response.status_code == 404
    assert b"not valid" in response.content


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_admin_cannot_invite_or_promote_to_admin_or_owner(world, role):
    admin = world.client_for("admin")
    response = admin.post(
        reverse("project-members", args=["alpha"]), {"email": "boss@example.com", "role": role}
    )
    assert response.status_code == 200
    assert b"Only an owner" in response.content
    assert not Invitation.objects.filter(email="boss@example.com").exists()
    member_id = world.member.public_id
    admin.post(reverse("project-member-role", args=["alpha", member_id]), {"role": role})
    assert Membership.objects.get(user=world.member, project=world.alpha).role == Role.MEMBER


def test_last_owner_cannot_leave_or_be_demoted(world):
    owner = world.client_for("owner")
    owner.post(reverse("project-member-remove", args=["alpha", world.owner.public_id]))
    owner.post(
        reverse("project-member-role", args=["alpha", world.owner.public_id]), {"role": "viewer"}
    )
    assert Membership.objects.get(user=world.owner, project=world.alpha).role == Role.OWNER


def test_a_member_may_leave(world):
    client = world.client_for("member")
    response = client.post(reverse("project-member-remove", args=["alpha", world.member.public_id]))
    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(user=world.member, project=world.alpha).exists()


def test_project_switcher_lists_only_my_projects(world):
    Membership.objects.create(user=world.member, project=world.beta, role=Role.VIEWER)
    page = world.client_for("member").get(reverse("project-overview", args=["alpha"]))
    switcher = page.content.decode().split('class="switcher"', 1)[1].split("</details>", 1)[0]
    assert "/p/alpha/" in switcher and "/p/beta/" in switcher
    viewer_page = world.client_for("viewer").get(reverse("project-overview", args=["alpha"]))
    assert "/p/beta/" not in viewer_page.content.decode()


def test_create_a_second_project(world):
    client = world.client_for("viewer")
    response = client.post(reverse("projects"), {"name": "Side project"})
    project = Project.objects.get(name="Side project")
    assert response["Location"] == reverse("project-overview", args=[project.slug])
    assert Membership.objects.get(user=world.viewer, project=project).role == Role.OWNER


def test_settings_are_saved_by_an_admin(world):
    response = world.client_for("admin").post(
        reverse("project-settings", args=["alpha"]),
        {
            "name": "Alpha 2",
            "timezone": "Europe/Paris",
            "fatigue_days": "45",
            "allowed_origins": "https://App.Example.com/\n\nhttp://localhost:3000",
            "require_identity_verification": "on",
        },
    )
    assert response.status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Alpha 2"
    assert world.alpha.allowed_origins == ["https://app.example.com", "http://localhost:3000"]
    assert world.alpha.require_identity_verification is True
    bad = world.client_for("admin").post(
        reverse("project-settings", args=["alpha"]),
        {
            "name": "x",
            "timezone": "Mars/Olympus",
            "fatigue_days": "-1",
            "allowed_origins": "ftp://x/y",
        },
    )
    assert bad.status_code == 200
    for field in (b"timezone", b"fatigue_days", b"allowed_origins"):
        assert b'id="id_' + field + b'_error"' in bad.content or field in bad.content
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Alpha 2"
