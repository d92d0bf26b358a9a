"""Background work on responses, run by ``promoter worker``: thin tasks that take ids,
reload their objects and call one service."""

from __future__ import annotations

import datetime

from django_tasks import task

from promoter.responses.models import AutoTagRule
from promoter.responses.services import rule_backfill


@task()
def rule_backfill_task(rule_id: int, requested_at: str) -> int | None:
    """Back-fill auto-tag rule ``rule_id`` over history for the request made at
    ``requested_at`` (ISO 8601); return how many responses match, or None when the rule is
    gone or a newer request superseded this one."""
    rule = AutoTagRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return None
    token = datetime.datetime.fromisoformat(requested_at)
    if rule.backfill_requested_at != token:
        return None
    return rule_backfill(rule=rule, token=token)
