"""Reads of users, a project's team (its members and pending invitations) and its API keys."""

from __future__ import annotations

from promoter.accounts.models import ApiKey, Invitation, Membership, Project, User


def users_exist() -> bool:
    """Return whether anybody has an account yet (before that, the first-run page sets up)."""
    return User.objects.exists()


def user_by_email(*, email: str) -> User | None:
    """Return the user whose address is ``email`` in any letter case, if there is one."""
    return User.objects.filter(email__iexact=email).first()


def memberships_for_project(*, project: Project) -> list[Membership]:
    """Return the memberships of ``project`` with their users, by address."""
    return list(
        Membership.objects.filter(project=project).select_related("user").order_by("user__email")
    )


def users_for_project(*, project: Project) -> list[User]:
    """Return the members of ``project`` (the users), by first name, then address."""
    return list(User.objects.filter(memberships__project=project).order_by("first_name", "email"))


def invitations_pending_for_project(*, project: Project) -> list[Invitation]:
    """Return the invitations to ``project`` nobody accepted yet, newest first."""
    pending = Invitation.objects.filter(project=project, accepted_at__isnull=True)
    return list(pending.order_by("-created_at"))


def api_keys_for_project(*, project: Project) -> list[ApiKey]:
    """Return the API keys of ``project``, newest first (their secrets are not stored)."""
    return list(ApiKey.objects.filter(project=project).order_by("-created_at"))
