"""Routing of responses to the tools where people act on them (docs/integrations.md).

A **Destination** is where messages go (a Slack channel's hook, a webhook URL, an Intercom
workspace…); a **Rule** says which responses and events go there; a **Delivery** is the
durable outbox row for one rule and event, written in the transaction that stored the event,
then sent by a worker with retries; each try is a **DeliveryAttempt**.
"""

from __future__ import annotations

import uuid

from django.db import models

from promoter.accounts.models import Project
from promoter.responses.models import Response, Tag


class Kind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"
    INTERCOM = "intercom", "Intercom"
    ZENDESK = "zendesk", "Zendesk"
    SEGMENT = "segment", "Segment"
    EMAIL = "email", "E-mail"


class Event(models.TextChoices):
    CREATED = "response.created", "A response arrives"
    UPDATED = "response.updated", "Its comment arrives"
    TAGGED = "response.tagged", "It is tagged"
    TEST = "test", "Test message"


ROUTED_EVENTS = (Event.CREATED, Event.UPDATED, Event.TAGGED)


class Destination(models.Model):
    """Where messages go. ``config`` holds what the dashboard shows again (the channel name,
    the chosen properties); ``secrets`` holds URLs with tokens, API keys and signing secrets,
    which are written, used and never rendered back."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="destinations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    config = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    # A destination made by a Zapier (REST hook) subscription through the API.
    via_api = models.BooleanField(default=False)
    # Set by a permanent failure (a revoked hook, a bad key), cleared by the next success.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "created_at"], name="destination_proj_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class Rule(models.Model):
    """Send the responses that pass every set condition to ``destination`` on ``events``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="routing_rules")
    destination = models.ForeignKey(Destination, models.CASCADE, related_name="rules")
    events = models.JSONField(default=list)  # of Event values
    categories = models.JSONField(default=list, blank=True)  # promoter/passive/detractor; [] any
    score_min = models.SmallIntegerField(null=True, blank=True)
    score_max = models.SmallIntegerField(null=True, blank=True)
    has_comment = models.BooleanField(null=True, blank=True)  # None: either
    survey_kind = models.CharField(max_length=4, blank=True)  # nps/csat/ces; "" any
    # Any of these tags (a parent tag includes its children); none: any response.
    tags = models.ManyToManyField(Tag, blank=True, related_name="routing_rules")
    conditions = models.JSONField(default=list, blank=True)  # property conditions, as targeting
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "is_active"], name="rule_project_active")]

    def __str__(self) -> str:
        return f"rule {self.public_id} to {self.destination_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first try or a retry
    SENDING = "sending", "Sending"  # claimed by a worker until lease_until
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # a permanent error, or out of retries: replay after a fix
    # Not sent: it said what the last message delivered to its destination about its
    # response said (docs/integrations.md, "One message per news").
    SKIPPED = "skipped", "Nothing new"


class Delivery(models.Model):
    """One message to send: the outbox row of one rule and event, sent at least once.

    ``public_id`` travels with every try (the ``webhook-id`` header, Segment's messageId,
    Zendesk's idempotency key) so receivers can drop duplicates. The deliveries of one
    response to one destination are sent one at a time, in order, and one that would say
    nothing new is skipped (``DeliveryAttempt.digest``; services.deliveries_claim).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    destination = models.ForeignKey(Destination, models.CASCADE, related_name="deliveries")
    rule = models.ForeignKey(Rule, models.SET_NULL, null=True, blank=True, related_name="+")
    # None for a test message.
    response = models.ForeignKey(
        Response, models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    event = models.CharField(max_length=20, choices=Event.choices)
    tag = models.ForeignKey(Tag, models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=40, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The workers' claim query: due rows by time.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next"),
            models.Index(fields=["destination", "created_at"], name="delivery_dest_created"),
            # The claim's check for an unfinished earlier delivery of the same response to
            # the same destination: a lookup per due row, over the few unfinished rows.
            models.Index(
                fields=["response", "destination"],
                name="delivery_unfinished",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.destination_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try of a delivery, as the log shows it."""

    delivery = models.ForeignKey(Delivery, models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    permanent = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    # Of a successful try: SHA-256 of what its message said (built when sent), leaving out
    # what differs between any two deliveries (ids, times, the event's name). A later
    # delivery of the response to the destination that would say the same is skipped.
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_delivery_at")]

    def __str__(self) -> str:
        return f"attempt on {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"
