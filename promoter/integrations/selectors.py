"""Reads of integrations: tenant-scoped getters and the delivery log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from promoter.accounts.models import Project
from promoter.integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Destination,
    Rule,
)

LOG_PAGE = 50


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such object.") from None


def destination_get_in_project(*, project: Project, public_id: str) -> Destination:
    """Return the destination ``public_id`` of ``project``; 404 for any other."""
    destination = Destination.objects.filter(
        project=project, public_id=_uuid_or_404(public_id)
    ).first()
    if destination is None:
        raise Http404("No such destination.")
    return destination


def rule_get_in_project(*, project: Project, public_id: str) -> Rule:
    """Return the routing rule ``public_id`` of ``project``; 404 for any other."""
    rule = (
        Rule.objects.filter(project=project, public_id=_uuid_or_404(public_id))
        .select_related("destination")
        .first()
    )
    if rule is None:
        raise Http404("No such rule.")
    return rule


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
            pending=d.n_pending,  # type: ignore[attr-defined]
            delivered=d.n_delivered,  # type: ignore[attr-defined]
            failed=d.n_failed,  # type: ignore[attr-defined]
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
