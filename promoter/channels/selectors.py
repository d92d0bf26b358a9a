"""Reads of e-mail surveys: the invitations of people, autopilot and its members."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import Max, Min, QuerySet

from promoter.accounts.models import Project
from promoter.channels.models import Autopilot, AutopilotMember, Invitation, InvitationStatus
from promoter.surveys.models import Survey


def invitations_last_sent(*, person_ids: Sequence[int]) -> dict[int, datetime.datetime]:
    """Return when each of ``person_ids`` was last sent an invitation (those ever sent one)."""
    return dict(
        Invitation.objects.filter(end_user_id__in=person_ids, sent_at__isnull=False)
        .values("end_user_id")
        .annotate(at=Max("sent_at"))
        .values_list("end_user_id", "at")
    )


def invitations_next_scheduled(*, person_ids: Sequence[int]) -> dict[int, datetime.datetime]:
    """Return when each of ``person_ids`` has their next invitation waiting (those who do)."""
    return dict(
        Invitation.objects.filter(end_user_id__in=person_ids, status=InvitationStatus.SCHEDULED)
        .values("end_user_id")
        .annotate(at=Min("scheduled_at"))
        .values_list("end_user_id", "at")
    )


def invitation_sent_since(*, person_id: int, since: datetime.datetime) -> bool:
    """Return whether the person ``person_id`` was sent an invitation at or after ``since``."""
    return Invitation.objects.filter(end_user_id=person_id, sent_at__gte=since).exists()


def invitation_waiting(*, person_id: int, survey_id: int) -> Invitation | None:
    """Return the person's next invitation of the survey that waits to be sent, if any."""
    waiting = Invitation.objects.filter(
        end_user_id=person_id, survey_id=survey_id, status=InvitationStatus.SCHEDULED
    )
    return waiting.order_by("scheduled_at").first()


def autopilot_of(*, survey: Survey) -> Autopilot | None:
    """Return the autopilot of ``survey``, if it has one."""
    return Autopilot.objects.filter(survey=survey).first()


def autopilot_members(*, autopilot: Autopilot | None) -> QuerySet[AutopilotMember]:
    """Return the members of ``autopilot`` (none without one), with their people."""
    return AutopilotMember.objects.filter(autopilot=autopilot).select_related(
        "end_user", "autopilot"
    )


# The E-mail page ----------------------------------------------------------------------------

LATEST_INVITATIONS = 100


def invitations_latest(*, project: Project, limit: int = LATEST_INVITATIONS) -> list[Invitation]:
    """Return the ``limit`` newest invitations of ``project``, with their surveys, people
    and responses."""
    return list(
        Invitation.objects.filter(project=project)
        .select_related("survey", "end_user", "response")
        .order_by("-created_at", "-pk")[:limit]
    )


def autopilots_by_survey(*, project: Project) -> dict[int, Autopilot]:
    """Return the autopilots of ``project``, by the pk of their survey."""
    return {
        autopilot.survey_id: autopilot for autopilot in Autopilot.objects.filter(project=project)
    }


def autopilot_members_count(*, autopilot: Autopilot) -> int:
    """Return how many people ``autopilot`` surveys."""
    return AutopilotMember.objects.filter(autopilot=autopilot).count()
