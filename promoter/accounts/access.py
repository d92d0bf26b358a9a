"""The only tenant-scoped getters (STYLE.md #3).

View and API code fetch a project's objects only through these functions. Each filters by the
caller's membership and raises Http404 for anything outside it, so another tenant's objects are
indistinguishable from missing ones. A member without the role an action needs gets
PermissionDenied (403): they know the project exists.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from promoter.accounts.models import Invitation, Membership, Project, Role

if TYPE_CHECKING:  # surveys sit above accounts: a type-only import keeps the layering
    from promoter.surveys.models import Survey


def membership_get_for_user(*, user: Any, slug: str, role: str = Role.VIEWER) -> Membership:
    """Return ``user``'s membership of project ``slug`` with at least ``role``.

    Raises Http404 when the user is anonymous or not a member, PermissionDenied when the
    membership's role is below ``role``.
    """
    if not user.is_authenticated:
        raise Http404("No such project")
    try:
        membership = Membership.objects.select_related("project").get(user=user, project__slug=slug)
    except Membership.DoesNotExist:
        raise Http404("No such project") from None
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {Role(role).label} role or higher.")
    return membership


def project_get_for_user(*, user: Any, slug: str, role: str = Role.VIEWER) -> Project:
    """Return project ``slug`` if ``user`` is a member with at least ``role``."""
    return membership_get_for_user(user=user, slug=slug, role=role).project


def projects_for_user(*, user: Any) -> list[Membership]:
    """Return ``user``'s memberships, with their projects, by project name."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("project").order_by("project__name")
    )


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("Not found") from None


def membership_get_in_project(*, project: Project, user_public_id: str) -> Membership:
    """Return the membership of the user ``user_public_id`` in ``project``, else Http404."""
    try:
        return Membership.objects.select_related("user").get(
            project=project, user__public_id=_uuid_or_404(user_public_id)
        )
    except Membership.DoesNotExist:
        raise Http404("No such member") from None


def invitation_get_in_project(*, project: Project, public_id: str) -> Invitation:
    """Return the pending invitation ``public_id`` of ``project``, else Http404."""
    try:
        return Invitation.objects.get(
            project=project, public_id=_uuid_or_404(public_id), accepted_at__isnull=True
        )
    except Invitation.DoesNotExist:
        raise Http404("No such invitation") from None


def survey_get_in_project(*, project: Project, public_id: str) -> Any:
    """Return the survey ``public_id`` of ``project`` (a member's project), else Http404."""
    from promoter.surveys.models import Survey  # surveys sit above accounts in the layering

    try:
        return Survey.objects.get(project=project, public_id=_uuid_or_404(public_id))
    except Survey.DoesNotExist:
        raise Http404("No such survey") from None


def survey_get_for_user(
    *, user: Any, slug: str, public_id: str, role: str = Role.VIEWER
) -> tuple[Survey, Membership]:
    """Return the survey ``public_id`` of project ``slug`` and ``user``'s membership there.

    Raises Http404 when the user is not a member, the id is malformed or the survey belongs
    to another project; PermissionDenied when the membership's role is below ``role``. The
    membership comes back too, so the caller knows what the user may do (two queries).
    """
    membership = membership_get_for_user(user=user, slug=slug, role=role)
    survey = survey_get_in_project(project=membership.project, public_id=public_id)
    survey.project = membership.project  # already loaded: spare the template a query
    return survey, membership
