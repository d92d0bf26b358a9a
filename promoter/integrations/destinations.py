"""Writes of destinations and their rules: where messages go, and which responses go there
(docs/integrations.md).

A destination's settings are those its kind's form asks for (``<kind>/form.py``), checked by
its transport; its secrets are stored and never rendered back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from promoter.accounts.models import Project
from promoter.core.errors import ApplicationError
from promoter.integrations.email import form as email_form
from promoter.integrations.models import ROUTED_EVENTS, Destination, Kind, Rule
from promoter.integrations.registry import TRANSPORTS, enabled_kinds
from promoter.responses.models import Tag
from promoter.surveys.eligibility import Condition
from promoter.surveys.models import SurveyKind
from promoter.surveys.scales import score_bound

logger = logging.getLogger(__name__)


def _check_kind(kind: str) -> None:
    if kind not in TRANSPORTS:
        raise ApplicationError(
            code="invalid",
            detail=f"Unknown kind {kind!r}: use one of {', '.join(TRANSPORTS)}.",
            fields={"kind": "unknown"},
        )
    if kind not in enabled_kinds():
        raise ApplicationError(
            code="invalid",
            detail=f"{Kind(kind).label} is turned off on this installation.",
            fields={"kind": "disabled"},
        )


def destination_create(
    *,
    project: Project,
    kind: str,
    name: str,
    data: dict[str, Any],
    via_api: bool = False,
    actor: Any = None,
) -> Destination:
    """Create a destination of ``kind`` from form ``data`` (validated by its transport).

    Its secrets (URLs with tokens, keys, the webhook signing secret) are stored and never
    rendered back; a new webhook's signing secret is in ``destination.secrets`` for the
    caller to show once.
    """
    _check_kind(kind)
    name = " ".join(str(name).split())[:100]
    if not name:
        raise ApplicationError(
            code="invalid", detail="Give the destination a name.", fields={"name": "required"}
        )
    config, secrets = TRANSPORTS[kind].clean(data)
    if kind == Kind.EMAIL:
        email_form.check_recipients(project, config)
    destination = Destination.objects.create(
        project=project, kind=kind, name=name, config=config, secrets=secrets, via_api=via_api
    )
    logger.info(
        "destination.created",
        extra={"project": project.pk, "destination": destination.pk, "kind": kind,
               "by": getattr(actor, "pk", None)},
    )  # fmt: skip
    return destination


def destination_update(*, destination: Destination, name: str, data: dict[str, Any]) -> Destination:
    """Change a destination's name and settings; a blank secret keeps the stored one.

    Fixing a destination clears its failure flag: replay its failed deliveries next.
    """
    name = " ".join(str(name).split())[:100] or destination.name
    config, secrets = TRANSPORTS[destination.kind].clean(data, current_secrets=destination.secrets)
    if destination.kind == Kind.WEBHOOK:
        secrets["signing_secret"] = destination.secrets.get(
            "signing_secret", secrets["signing_secret"]
        )
        config["format"] = destination.config.get("format", "standard")
    if destination.kind == Kind.EMAIL:
        email_form.check_recipients(destination.project, config)
    destination.name, destination.config, destination.secrets = name, config, secrets
    destination.failing_since, destination.last_error = None, ""
    destination.save(update_fields=["name", "config", "secrets", "failing_since", "last_error"])
    return destination


def destination_set_active(*, destination: Destination, is_active: bool) -> Destination:
    if destination.is_active != is_active:
        destination.is_active = is_active
        destination.save(update_fields=["is_active"])
    return destination


def destination_delete(*, destination: Destination) -> None:
    """Delete a destination with its rules and delivery log."""
    pk = destination.pk
    destination.delete()
    logger.info("destination.deleted", extra={"destination": pk})


def rule_create(
    *,
    destination: Destination,
    events: Sequence[str],
    categories: Sequence[str] = (),
    score_min: int | None = None,
    score_max: int | None = None,
    has_comment: bool | None = None,
    survey_kind: str = "",
    tags: Sequence[Tag] = (),
    conditions: Sequence[Condition] = (),
) -> Rule:
    """Route the responses that pass every given condition to ``destination`` on ``events``."""
    events = [e for e in dict.fromkeys(events)]
    if not events or any(e not in ROUTED_EVENTS for e in events):
        raise ApplicationError(
            code="invalid",
            detail="Choose when to send: " + ", ".join(str(e) for e in ROUTED_EVENTS) + ".",
            fields={"events": "required" if not events else "unknown event"},
        )
    unknown = [c for c in categories if c not in ("promoter", "passive", "detractor")]
    if unknown:
        raise ApplicationError(
            code="invalid",
            detail=f"Unknown category {unknown[0]!r}.",
            fields={"categories": "promoter, passive or detractor"},
        )
    if survey_kind and survey_kind not in SurveyKind.values:
        raise ApplicationError(
            code="invalid",
            detail=f"Unknown survey kind {survey_kind!r}.",
            fields={"survey_kind": "nps, csat or ces"},
        )
    score_min = score_bound(score_min, field="score_min", scale=(0, 10))
    score_max = score_bound(score_max, field="score_max", scale=(0, 10))
    if score_min is not None and score_max is not None and score_min > score_max:
        raise ApplicationError(
            code="invalid",
            detail="The lowest score is above the highest.",
            fields={"score_min": "above score_max"},
        )
    for tag in tags:
        if tag.project_id != destination.project_id:
            raise ApplicationError(code="not_found", detail="No such tag.", status=404)
    with transaction.atomic():
        rule = Rule.objects.create(
            project_id=destination.project_id,
            destination=destination,
            events=events,
            categories=list(dict.fromkeys(categories)),
            score_min=score_min,
            score_max=score_max,
            has_comment=has_comment,
            survey_kind=survey_kind,
            conditions=[{"property": c.property, "op": c.op, "value": c.value} for c in conditions],
        )
        if tags:
            rule.tags.set(tags)
    return rule


def rule_set_active(*, rule: Rule, is_active: bool) -> Rule:
    if rule.is_active != is_active:
        rule.is_active = is_active
        rule.save(update_fields=["is_active"])
    return rule


def rule_delete(*, rule: Rule) -> None:
    rule.delete()
