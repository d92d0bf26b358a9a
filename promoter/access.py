"""Every lookup of a tenant's object by an id that came from outside: the one module of them
(docs/security.md, "Tenant isolation").

A dashboard user reaches a project through their membership (:func:`membership_get_for_user`,
which checks the role too); an API client through its key, which names one project. Every
other object is then looked up *within that project* (``*_get_in_project``), so another
tenant's objects are indistinguishable from missing ones: :class:`NotFound`, never a 403,
never a hint that the object exists. A member without the role an action needs gets
PermissionDenied (403): they know the project exists.

:class:`NotFound` is both a Django ``Http404`` (the dashboard's pages render their 404) and an
:class:`~promoter.core.errors.ApplicationError` (the JSON APIs render it in their own error
shape, naming what was not found). ``promoter/tests/test_access_module.py`` fails when a view
or API module queries a tenant model anywhere else.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from promoter.accounts.models import ApiKey, Invitation, Membership, Project, Role, User
from promoter.channels import links
from promoter.channels.models import Autopilot
from promoter.channels.models import Invitation as EmailInvitation
from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem
from promoter.integrations.models import Destination, Rule
from promoter.people.models import EndUser
from promoter.responses.models import AutoTagRule, Response, Tag
from promoter.surveys.models import Survey

M = TypeVar("M", bound=Model)


class NotFound(ApplicationError, Http404):
    """No such ``what`` in the caller's project (or it is another tenant's): a 404."""

    def __init__(self, what: str) -> None:
        ApplicationError.__init__(
            self,
            code="not_found",
            detail=f"No such {what}.",
            fields={what: "not found"},
            status=404,
        )


def _public_id(value: object, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(what) from None


def _one(queryset: QuerySet[M], what: str, public_id: object) -> M:
    """Return the object ``public_id`` of ``queryset`` (already limited to one project)."""
    found = queryset.filter(public_id=_public_id(public_id, what)).first()
    if found is None:
        raise NotFound(what)
    return found


# A dashboard user's projects --------------------------------------------------------------


def membership_get_for_user(*, user: Any, slug: str, role: str = Role.VIEWER) -> Membership:
    """Return ``user``'s membership of project ``slug`` with at least ``role``.

    Raises NotFound when the user is anonymous or not a member, PermissionDenied when the
    membership's role is below ``role``.
    """
    if not user.is_authenticated:
        raise NotFound("project")
    membership = (
        Membership.objects.select_related("project").filter(user=user, project__slug=slug).first()
    )
    if membership is None:
        raise NotFound("project")
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


def survey_get_for_user(
    *, user: Any, slug: str, public_id: str, role: str = Role.VIEWER
) -> tuple[Survey, Membership]:
    """Return the survey ``public_id`` of project ``slug`` and ``user``'s membership there.

    Raises NotFound when the user is not a member, the id is malformed or the survey belongs
    to another project; PermissionDenied when the membership's role is below ``role``. The
    membership comes back too, so the caller knows what the user may do (two queries).
    """
    membership = membership_get_for_user(user=user, slug=slug, role=role)
    survey = survey_get_in_project(project=membership.project, public_id=public_id)
    survey.project = membership.project  # already loaded: spare the template a query
    return survey, membership


# Within a project the caller holds (a membership checked above, or an API key's) ------------


def membership_get_in_project(*, project: Project, user_public_id: str) -> Membership:
    """Return the membership of the user ``user_public_id`` in ``project``."""
    user = _public_id(user_public_id, "member")
    found = (
        Membership.objects.select_related("user").filter(project=project, user__public_id=user)
    ).first()
    if found is None:
        raise NotFound("member")
    return found


def member_user_in_project(*, project: Project, user_public_id: str) -> User:
    """Return the user ``user_public_id`` if they are a member of ``project``."""
    return membership_get_in_project(project=project, user_public_id=user_public_id).user


def invitation_get_in_project(*, project: Project, public_id: str) -> Invitation:
    """Return the pending invitation ``public_id`` of ``project``."""
    pending = Invitation.objects.filter(project=project, accepted_at__isnull=True)
    return _one(pending, "invitation", public_id)


def survey_get_in_project(*, project: Project, public_id: object) -> Survey:
    """Return the survey ``public_id`` of ``project``."""
    return _one(Survey.objects.filter(project=project), "survey", public_id)


def response_get_in_project(*, project: Project, public_id: object) -> Response:
    """Return the response ``public_id`` of ``project``, with its survey, person and project."""
    responses = Response.objects.select_related("survey", "end_user", "project")
    return _one(responses.filter(project=project), "response", public_id)


def response_find_of_person(
    *, project: Project, public_id: object, person: EndUser
) -> Response | None:
    """Return the response ``public_id`` of ``person`` in ``project`` (with its survey), or
    None: the widget's people reach their own responses only."""
    try:
        key = _public_id(public_id, "response")
    except NotFound:
        return None
    responses = Response.objects.select_related("survey")
    return responses.filter(project=project, public_id=key, end_user=person).first()


def tag_get_in_project(*, project: Project, public_id: str) -> Tag:
    """Return the tag ``public_id`` of ``project``."""
    return _one(Tag.objects.select_related("project").filter(project=project), "tag", public_id)


def autotag_rule_get_in_project(*, project: Project, public_id: str) -> AutoTagRule:
    """Return the auto-tag rule ``public_id`` of ``project``."""
    rules = AutoTagRule.objects.select_related("tag", "project").filter(project=project)
    return _one(rules, "rule", public_id)


def destination_get_in_project(*, project: Project, public_id: object) -> Destination:
    """Return the destination (or REST hook) ``public_id`` of ``project``."""
    return _one(Destination.objects.filter(project=project), "destination", public_id)


def hook_get_in_project(*, project: Project, public_id: object) -> Destination:
    """Return the REST hook ``public_id`` of ``project`` (a destination an API client
    subscribed; those made in the dashboard are not hooks)."""
    return _one(Destination.objects.filter(project=project, via_api=True), "hook", public_id)


def rule_get_in_project(*, project: Project, public_id: str) -> Rule:
    """Return the routing rule ``public_id`` of ``project``, with its destination."""
    rules = Rule.objects.select_related("destination").filter(project=project)
    return _one(rules, "rule", public_id)


def api_key_get_in_project(*, project: Project, public_id: str) -> ApiKey:
    """Return the API key ``public_id`` of ``project``."""
    return _one(ApiKey.objects.filter(project=project), "key", public_id)


def autopilot_get_in_project(*, project: Project, survey: Survey) -> Autopilot | None:
    """Return the autopilot of ``survey`` (a survey of ``project``), if it has one."""
    return Autopilot.objects.filter(project=project, survey=survey).first()


def person_get_in_project(*, project: Project, ref: object, by_phone: bool = False) -> EndUser:
    """Return the person ``ref`` names in ``project``: Promoter's id, ``id:<your id>``,
    ``email:<address>`` (any letter case), or with ``by_phone`` (the Delighted API's)
    ``phone_number:<number>``."""
    if not isinstance(ref, str | uuid.UUID) or text_problem(str(ref)):
        raise NotFound("person")  # a NUL would be a database error, not a miss
    ref = str(ref)
    people = EndUser.objects.filter(project=project)
    found: EndUser | None
    if ref.startswith("email:"):
        found = people.filter(email__iexact=ref.removeprefix("email:")).first()
    elif ref.startswith("id:"):
        found = people.filter(external_id=ref.removeprefix("id:")).first()
    elif by_phone and ref.startswith("phone_number:"):
        found = people.filter(properties__phone_number=ref.removeprefix("phone_number:")).first()
    else:
        found = _one(people, "person", ref)
    if found is None:
        raise NotFound("person")
    return found


def person_find_in_project(
    *, project: Project, ref: object, by_phone: bool = False
) -> EndUser | None:
    """Return the person ``ref`` names in ``project`` (see :func:`person_get_in_project`),
    or None."""
    try:
        return person_get_in_project(project=project, ref=ref, by_phone=by_phone)
    except NotFound:
        return None


def people_by_email_in_project(*, project: Project, emails: list[str]) -> list[EndUser]:
    """Return the people of ``project`` with one of ``emails`` (any letter case)."""
    wanted = Q(pk__in=[])
    for email in emails:
        wanted |= Q(email__iexact=email)
    return list(EndUser.objects.filter(project=project).filter(wanted))


# Dashboard lookups ------------------------------------------------------------------------


def response_position_in_project(
    *, project: Project, public_id: object
) -> tuple[datetime.datetime, int]:
    """Return when the response ``public_id`` of ``project`` was created, and its pk: where
    a live feed that last showed it goes on from."""
    found = (
        Response.objects.filter(project=project, public_id=_public_id(public_id, "response"))
        .values_list("created_at", "id")
        .first()
    )
    if found is None:
        raise NotFound("response")
    created_at, pk = found
    return created_at, pk


def tags_in_project(*, project: Project, public_ids: list[str]) -> list[Tag]:
    """Return the tags of ``project`` among ``public_ids``, leaving out an id that is
    malformed or names no tag of ``project`` (a stale choice of a form, or another
    tenant's)."""
    wanted = []
    for value in public_ids:
        try:
            wanted.append(_public_id(value, "tag"))
        except NotFound:
            continue
    return list(Tag.objects.filter(project=project, public_id__in=wanted))


# Public pages: the capability is in the URL -----------------------------------------------
#
# No membership scopes these lookups: whoever holds the link may use it. The signed token,
# or the survey's public id, is the capability, so a token that was altered and an id that
# names nothing are both NotFound, like another tenant's object.


def email_invitation_get_by_token(*, token: str) -> EmailInvitation:
    """Return the e-mail survey invitation that the signed ``token`` of its links names,
    with its survey, project and person (``channels/links.py`` signs the token)."""
    public_id = links.invitation_id_from(token)
    if public_id is None:
        raise NotFound("invitation")
    found = (
        EmailInvitation.objects.select_related("survey", "project", "end_user")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("invitation")
    return found


def link_survey_get(*, public_id: object) -> Survey:
    """Return the active survey ``public_id`` that a public link names, with its project
    (whether the survey takes answers on its link is the page's to check)."""
    surveys = Survey.objects.select_related("project").filter(is_active=True)
    return _one(surveys, "survey", public_id)


def response_get_in_survey(*, survey: Survey, public_id: object) -> Response:
    """Return the response ``public_id`` to ``survey``: an answer given on the survey's
    public link, whose id its comment page carries signed."""
    return _one(Response.objects.filter(survey=survey), "response", public_id)


def demo_project_get(*, slug: str) -> Project:
    """Return the demo's project ``slug``, else the oldest project there is: the one the
    demo page (served by ``promoter demo`` only) shows to anyone."""
    found = Project.objects.filter(slug=slug).first()
    if found is None:
        found = Project.objects.order_by("pk").first()
    if found is None:
        raise NotFound("project")
    return found
