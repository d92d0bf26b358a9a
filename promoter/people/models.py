from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from promoter.accounts.models import Project


class EndUser(models.Model):
    """One person surveyed in a project, deduplicated by external id, else by e-mail."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="end_users")
    external_id = models.CharField(max_length=255, null=True, blank=True)
    email = models.EmailField(max_length=254, null=True, blank=True)
    # Their name as a list of people or the Delighted API gives it: the mail's To: and the
    # greeting of a reply; a person, not a property of their responses.
    name = models.CharField(max_length=255, blank=True)
    # A visitor id kept by the widget for people the host app does not identify.
    anonymous_id = models.CharField(max_length=64, null=True, blank=True)
    signed_up_at = models.DateTimeField(null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # Until when eligibility's last offer of a survey holds them: the claim that makes one
    # offer win when several pages ask at once (INGEST_OFFER_HOLD_SECONDS + the survey's delay).
    offered_until = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Their address bounced: no more e-mail until it is fixed (a new address clears it).
    bounced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=Q(external_id__isnull=False),
                name="enduser_project_external_id",
            ),
            models.UniqueConstraint(
                fields=["project", "email"],
                condition=Q(external_id__isnull=True, email__isnull=False),
                name="enduser_project_email_anonymous",
            ),
            models.UniqueConstraint(
                fields=["project", "anonymous_id"],
                condition=Q(anonymous_id__isnull=False),
                name="enduser_project_anonymous_id",
            ),
            models.CheckConstraint(
                condition=Q(external_id__isnull=False)
                | Q(email__isnull=False)
                | Q(anonymous_id__isnull=False),
                name="enduser_has_identity_v2",
            ),
        ]
        indexes = [models.Index(fields=["project", "email"], name="enduser_project_email")]

    def __str__(self) -> str:
        return self.external_id or self.email or str(self.public_id)

    @property
    def display_name(self) -> str:
        """Return the person's name: the one given, else the ``name`` property that apps and
        imports sent before names were kept apart ("" when neither)."""
        return self.name or str((self.properties or {}).get("name") or "")


class Erasure(models.Model):
    """The record that a person was erased: when, by whom, how much; never who they were.

    ``person`` is the erased person's random public id (not personal data), so a later
    request about the same id can be answered "already erased".
    """

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    person = models.UUIDField()
    by = models.CharField(max_length=100)  # "user <public id>", "api key <lookup>", "cli"
    counts = models.JSONField(default=dict)  # rows deleted per model
    erased_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "erased_at"], name="erasure_project_at")]

    def __str__(self) -> str:
        return f"erasure of {self.person} at {self.erased_at:%Y-%m-%d}"
