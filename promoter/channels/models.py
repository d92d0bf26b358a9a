"""E-mail and link surveys (docs/email-surveys.md).

An **Invitation** asks one person to answer one survey by e-mail: scheduled, then sent by a
worker (when the person may be surveyed then), with 0-10 (or 1-5, 1-7) buttons that are
links signed for that invitation. An **Autopilot** re-invites every member of its list every
``interval_days``.
"""

from __future__ import annotations

import uuid

from django.db import models

from promoter.accounts.models import Project
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.surveys.models import Survey


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"  # claimed by a worker until lease_until
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"  # the person may not be surveyed now (reason says why)
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class InvitationSource(models.TextChoices):
    DASHBOARD = "dashboard", "Dashboard"
    API = "api", "API"
    CSV = "csv", "CSV"
    AUTOPILOT = "autopilot", "Autopilot"


class Invitation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, models.CASCADE, related_name="invitations")
    end_user = models.ForeignKey(EndUser, models.CASCADE, related_name="invitations")
    source = models.CharField(max_length=10, choices=InvitationSource.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    reason = models.CharField(max_length=300, blank=True)
    # Properties given with the invitation, copied onto the response (e.g. the purchase).
    properties = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    scheduled_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)  # first landing-page view
    response = models.OneToOneField(
        Response, models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="invitation_status_sched"),
            models.Index(fields=["project", "created_at"], name="invitation_project_created"),
            models.Index(fields=["end_user", "status"], name="invitation_user_status"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.public_id} ({self.status})"


class Autopilot(models.Model):
    """Re-survey every member by e-mail every ``interval_days``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    survey = models.OneToOneField(Survey, models.CASCADE, related_name="autopilot")
    is_active = models.BooleanField(default=True)
    interval_days = models.PositiveIntegerField(default=90)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"autopilot of {self.survey_id} every {self.interval_days} days"


class AutopilotMember(models.Model):
    autopilot = models.ForeignKey(Autopilot, models.CASCADE, related_name="members")
    end_user = models.ForeignKey(EndUser, models.CASCADE, related_name="autopilot_memberships")
    properties = models.JSONField(default=dict, blank=True)
    next_invite_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["autopilot", "end_user"], name="autopilot_member_unique"
            )
        ]
        indexes = [models.Index(fields=["next_invite_at"], name="autopilot_member_next")]

    def __str__(self) -> str:
        return f"{self.end_user_id} in {self.autopilot_id}"
