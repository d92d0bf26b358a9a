"""Reads of integrations: the destinations with their figures, and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from promoter.accounts.models import Project
from promoter.integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Destination,
    Rule,
)

LOG_PAGE = 50


@dataclass(frozen=True)
class DestinationRow:
    destination: Destination
    rules: list[Rule]
    pending: int
    delivered: int
    failed: int


def destinations_for_project(
    *, project: Project, via_api: bool | None = None
) -> list[DestinationRow]:
    """Return the project's destinations, newest first, with their rules and delivery counts
    (three queries whatever their number)."""
    destinations = Destination.objects.filter(project=project)
    if via_api is not None:
        destinations = destinations.filter(via_api=via_api)
    destinations = destinations.annotate(
        n_pending=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        ),
        n_delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        n_failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("-created_at", "-pk")
    rows = list(destinations)
    rules: dict[int, list[Rule]] = {d.pk: [] for d in rows}
    for rule in (
        Rule.objects.filter(destination__in=rows).prefetch_related("tags").order_by("created_at")
    ):
        rules[rule.destination_id].append(rule)
    return [
        DestinationRow(
            destination=d,
            rules=rules[d.pk],
            pending=d.n_pending,
            delivered=d.n_delivered,
            failed=d.n_failed,
        )
        for d in rows
    ]


def delivery_log(
    *, destination: Destination, status: str | None = None, limit: int = LOG_PAGE
) -> QuerySet[Delivery]:
    """Return the latest deliveries of ``destination`` (of ``status`` when given), newest
    first, with their responses, for the log."""
    qs = Delivery.objects.filter(destination=destination)
    if status:
        qs = qs.filter(status=status)
    attempts = Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("at", "pk"))
    return (
        qs.select_related("response", "response__end_user", "response__survey", "tag")
        .prefetch_related(attempts)
        .order_by("-created_at", "-pk")[:limit]
    )


def attempts_of(*, delivery: Delivery) -> list[DeliveryAttempt]:
    return list(delivery.attempt_log.order_by("at", "pk"))


def hooks_for_project(*, project: Project) -> list[Destination]:
    """Return the REST hooks API clients subscribed in ``project``, oldest first, with
    their rules."""
    hooks = Destination.objects.filter(project=project, via_api=True).prefetch_related("rules")
    return list(hooks.order_by("created_at", "pk"))
