"""What goes into the outbox: events on responses routed by the rules they match, test
messages, and failed deliveries queued again (docs/integrations.md).

Routing happens in the transaction that stores the event: :func:`response_event` inserts one
:class:`Delivery` per matching rule, so a response is never stored without its deliveries,
and asks for a task to send them once the transaction commits. The outbox's workers
(:mod:`promoter.integrations.outbox`) send them, and their sweep sends those whose task was
lost, so a lost task delays a delivery but never loses it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from promoter.integrations.models import Delivery, DeliveryStatus, Destination, Event, Rule
from promoter.integrations.registry import enabled_kinds
from promoter.integrations.tasks import deliveries_send
from promoter.responses.models import Response, ResponseTag, Tag
from promoter.surveys.eligibility import Condition, matches
from promoter.surveys.models import Survey
from promoter.surveys.scales import category_for

logger = logging.getLogger(__name__)


@dataclass
class _Facts:
    """What rules look at, computed once per event."""

    kind: str
    category: str
    score: int
    has_comment: bool
    properties: dict[str, Any]
    tag_ids: set[int] = field(default_factory=set)  # the response's tags and their parents


def rule_matches(rule: Rule, facts: _Facts, rule_tag_ids: set[int]) -> bool:
    """Return whether a response with ``facts`` passes every condition ``rule`` sets."""
    if rule.survey_kind and rule.survey_kind != facts.kind:
        return False
    if rule.categories and facts.category not in rule.categories:
        return False
    if rule.score_min is not None and facts.score < rule.score_min:
        return False
    if rule.score_max is not None and facts.score > rule.score_max:
        return False
    if rule.has_comment is not None and rule.has_comment != facts.has_comment:
        return False
    if rule_tag_ids and not (rule_tag_ids & facts.tag_ids):
        return False
    return all(matches(Condition.from_dict(c), facts.properties) for c in rule.conditions)


def routes_for(*, project_id: int, events: Sequence[str]) -> list[Rule]:
    """Return the active rules of ``project_id`` that listen to any of ``events`` (one query;
    pass them to :func:`response_event` to route several events with it)."""
    rules = Rule.objects.filter(
        project_id=project_id,
        is_active=True,
        destination__is_active=True,
        destination__kind__in=enabled_kinds(),
    ).prefetch_related("tags")
    # JSON containment differs between databases: filter the (few) rules in Python.
    return [rule for rule in rules if set(events) & set(rule.events)]


def response_event(
    *,
    response: Response,
    event: str,
    tag: Tag | None = None,
    rules: Sequence[Rule] | None = None,
) -> list[Delivery]:
    """Route ``event`` on ``response``: insert one delivery per matching active rule (of
    ``rules``, default the project's), in the caller's transaction, and send them once it
    commits. Return the deliveries.

    Costs one query when the project has no rule for the event (none with ``rules``).
    """
    if rules is None:
        rules = routes_for(project_id=response.project_id, events=[event])
    rules = [rule for rule in rules if event in rule.events]
    if not rules:
        return []
    survey: Survey = response.survey
    links = ResponseTag.objects.filter(response=response).values_list("tag_id", "tag__parent_id")
    tag_ids = {pk for pair in links for pk in pair if pk is not None}
    facts = _Facts(
        kind=survey.kind,
        category=str(category_for(survey.kind, response.score)),
        score=response.score,
        has_comment=bool(response.comment.strip()),
        properties=response.properties or {},
        tag_ids=tag_ids,
    )
    now = timezone.now()
    deliveries = []
    for rule in rules:
        rule_tags = {t.pk for t in rule.tags.all()}
        # "When tagged X": the tag just added must be X (or under X).
        just_added = {tag.pk, tag.parent_id} if tag is not None else set()
        if event == Event.TAGGED and rule_tags and not (just_added & rule_tags):
            continue
        if rule_matches(rule, facts, rule_tags):
            deliveries.append(
                Delivery(
                    project_id=response.project_id,
                    destination_id=rule.destination_id,
                    rule=rule,
                    response=response,
                    event=event,
                    tag=tag,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if deliveries:
        with transaction.atomic(savepoint=False):
            # Deliveries of one response are sent in the order of their ids
            # (outbox.deliveries_claim): lock the response so that two transactions routing events
            # on it (a comment and a tag at once) commit in the order they take their ids.
            # NO KEY UPDATE: taggers hold KEY SHARE on it, which a plain FOR UPDATE would
            # deadlock with.
            locked = Response.objects.select_for_update(no_key=True).filter(pk=response.pk)
            list(locked.values_list("pk", flat=True))
            Delivery.objects.bulk_create(deliveries)
        _send_on_commit(deliveries)
    return deliveries


def _send_on_commit(deliveries: list[Delivery]) -> None:
    ids = [d.pk for d in deliveries if d.pk is not None]
    if not ids:  # a database that does not return ids on bulk insert: the sweep sends them
        return

    def enqueue() -> None:
        try:
            deliveries_send.enqueue(ids)
        except Exception:  # the queue is down: the workers' sweep sends them anyway
            logger.exception("delivery.enqueue_failed", extra={"deliveries": ids})

    transaction.on_commit(enqueue)


def delivery_test_create(*, destination: Destination) -> Delivery:
    """Queue a test message to ``destination`` (a sample response), shown in its log."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.create(
            project_id=destination.project_id,
            destination=destination,
            event=Event.TEST,
            next_attempt_at=now,
            created_at=now,
        )
        _send_on_commit([delivery])
    return delivery


def deliveries_replay(*, destination: Destination, ids: Sequence[int] | None = None) -> int:
    """Queue the failed deliveries of ``destination`` (or those of ``ids``) again, with a
    fresh retry budget; return how many."""
    now = timezone.now()
    with transaction.atomic():
        failed = Delivery.objects.filter(destination=destination, status=DeliveryStatus.FAILED)
        if ids is not None:
            failed = failed.filter(pk__in=ids)
        picked = list(failed.values_list("pk", flat=True))
        count = Delivery.objects.filter(pk__in=picked, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, lease_until=None
        )
        Destination.objects.filter(pk=destination.pk).update(failing_since=None, last_error="")
        if picked:
            _send_on_commit([Delivery(pk=pk) for pk in picked])
    logger.info("delivery.replayed", extra={"destination": destination.pk, "count": count})
    return count
