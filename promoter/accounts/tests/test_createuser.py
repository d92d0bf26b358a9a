import io

import pytest
from django.core.management import CommandError, call_command

from promoter.accounts.models import Membership, Project, Role, User


def test_first_user_gets_a_project(db, monkeypatch):
    monkeypatch.setenv("PROMOTER_PASSWORD", "a long passphrase here")
    out = io.StringIO()
    call_command("createuser", "Boss@Example.com", "--name", "Boss", stdout=out)
    user = User.objects.get()
    assert user.email == "boss@example.com"
    assert user.check_password("a long passphrase here")
    project = Project.objects.get()
    assert Membership.objects.get(user=user, project=project).role == Role.OWNER
    assert "Created user boss@example.com" in out.getvalue()


def test_later_users_get_no_project_unless_asked(world, monkeypatch):
    monkeypatch.setenv("PROMOTER_PASSWORD", "a long passphrase here")
    call_command("createuser", "second@example.com", stdout=io.StringIO())
    assert not Membership.objects.filter(user__email="second@example.com").exists()
    call_command("createuser", "third@example.com", "--project", "Third", stdout=io.StringIO())
    assert Project.objects.get(name="Third").memberships.get().user.email == "third@example.com"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("owner@example.com", "a long passphrase here", "already exists"),
        ("new@example.com", "123", "too short"),
        ("not-an-email", "a long passphrase here", "valid e-mail"),
    ],
)
def test_refusals_are_readable_and_leave_nothing(world, monkeypatch, email, password, message):
    monkeypatch.setenv("PROMOTER_PASSWORD", password)
    users_before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("createuser", email, "--project", "X", stdout=io.StringIO())
    assert User.objects.count() == users_before
    assert not Project.objects.filter(name="X").exists()


def test_no_password_without_a_terminal(db, monkeypatch):
    monkeypatch.delenv("PROMOTER_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="PROMOTER_PASSWORD"):
        call_command("createuser", "x@example.com")
