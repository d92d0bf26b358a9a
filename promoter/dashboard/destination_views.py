"""The Integrations page: destinations (Slack, webhooks, Intercom, Zendesk, Segment, e-mail),
their routing rules, a test message, and each destination's delivery log with replay.

Every member reads; admins and owners change. Secrets (hook URLs, keys, tokens, signing
secrets) are never rendered: a page shows at most the host of a URL. A new webhook's signing
secret is shown once, on the page the creation redirects to, from the session.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from promoter.access import (
    destination_get_in_project,
    membership_get_for_user,
    rule_get_in_project,
    tags_in_project,
)
from promoter.accounts.models import Role
from promoter.analytics.filters import parse_where
from promoter.core.errors import ApplicationError
from promoter.integrations import destinations, routing
from promoter.integrations.models import ROUTED_EVENTS, DeliveryStatus, Destination, Event, Kind
from promoter.integrations.registry import TRANSPORTS, enabled_kinds
from promoter.integrations.selectors import delivery_log, destinations_for_project
from promoter.responses.selectors import tags_for_project
from promoter.surveys.models import SurveyKind

NEW_SECRET = "promoter.new_signing_secret"  # noqa: S105  (a session key, not a secret)


def where_it_goes(destination: Destination) -> str:
    """Return what may be shown of a destination's target: a channel name or a URL's host."""
    config = destination.config
    if destination.kind == Kind.SLACK and config.get("channel"):
        return str(config["channel"])
    if destination.kind == Kind.EMAIL:
        return ", ".join(config.get("recipients", []))
    for value in (config.get("url"), config.get("api_url"), destination.secrets.get("url")):
        if value:
            return urlsplit(str(value)).hostname or ""
    return ""


def rule_in_words(rule: Any) -> str:
    parts = []
    if rule.categories:
        parts.append(" and ".join(f"{c}s" for c in rule.categories).capitalize())
    else:
        parts.append("All responses")
    if rule.score_min is not None or rule.score_max is not None:
        high = rule.score_max if rule.score_max is not None else 10
        parts.append(f"scored {rule.score_min or 0} to {high}")
    if rule.has_comment is True:
        parts.append("with a comment")
    elif rule.has_comment is False:
        parts.append("without a comment")
    if rule.survey_kind:
        parts.append(f"of {rule.survey_kind.upper()} surveys")
    tags = [t.name for t in rule.tags.all()]
    if tags:
        parts.append("tagged " + " or ".join(tags))
    for condition in rule.conditions:
        parts.append(f"where {condition['property']} {condition['op']} {condition.get('value')}")
    events = [str(Event(e).label).lower() for e in rule.events]
    return " ".join(parts) + ", when " + " or ".join(events) + "."


def edit_fields(destination: Destination) -> list[tuple[str, str, str, bool, str]]:
    """Return the edit form's fields: (name, label, help, secret?, current value); a secret's
    value is always empty (never rendered back)."""
    fields = []
    for name, label, help_text, secret, _required in TRANSPORTS[destination.kind].fields:
        value = "" if secret else destination.config.get(name, "")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        fields.append((name, label, help_text, secret, str(value)))
    return fields


def _forms() -> list[dict[str, Any]]:
    return [
        {"kind": kind, "label": Kind(kind).label, "fields": TRANSPORTS[kind].fields}
        for kind in enabled_kinds()
    ]


@login_required
@require_GET
def integrations(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    rows = destinations_for_project(project=project)
    context = {
        "membership": membership,
        "project": project,
        "rows": [
            {
                "row": row,
                "target": where_it_goes(row.destination),
                "rules": [(rule, rule_in_words(rule)) for rule in row.rules],
                "fields": edit_fields(row.destination),
            }
            for row in rows
        ],
        "kinds": _forms(),
        "events": [(e.value, e.label) for e in ROUTED_EVENTS],
        "default_events": [Event.CREATED.value, Event.UPDATED.value],
        "categories": ("promoter", "passive", "detractor"),
        "survey_kinds": SurveyKind.choices,
        "tags": tags_for_project(project=project),
        "can_manage": membership.has_role(Role.ADMIN),
        "new_secret": request.session.pop(NEW_SECRET, None),
        "form_error": None,
    }
    return render(request, "dashboard/destinations.html", context)


def _admin(request: HttpRequest, slug: str) -> Any:
    return membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)


def _to_page(slug: str) -> HttpResponse:
    return redirect(reverse("project-integrations", args=[slug]))


def _form_data(request: HttpRequest, kind: str) -> dict[str, str]:
    fields = TRANSPORTS[kind].fields if kind in TRANSPORTS else ()
    return {name: request.POST.get(name, "") for name, *_rest in fields}


@login_required
@require_POST
def destination_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _admin(request, slug)
    kind = request.POST.get("kind", "")
    try:
        destination = destinations.destination_create(
            project=membership.project,
            kind=kind,
            name=request.POST.get("name", ""),
            data=_form_data(request, kind),
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return _to_page(slug)
    if destination.kind == Kind.WEBHOOK:
        request.session[NEW_SECRET] = {
            "destination": destination.name,
            "secret": destination.secrets["signing_secret"],
        }
    messages.success(request, f"Added {destination}. Now add a rule: which responses go there.")
    return _to_page(slug)


@login_required
@require_POST
def destination_update(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    destination = destination_get_in_project(project=membership.project, public_id=destination_id)
    try:
        destinations.destination_update(
            destination=destination,
            name=request.POST.get("name", ""),
            data=_form_data(request, destination.kind),
        )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Saved {destination}.")
    return _to_page(slug)


@login_required
@require_POST
def destination_active(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    destination = destination_get_in_project(project=membership.project, public_id=destination_id)
    active = request.POST.get("active") == "on"
    destinations.destination_set_active(destination=destination, is_active=active)
    messages.success(request, f"{destination} {'resumed' if active else 'paused'}.")
    return _to_page(slug)


@login_required
@require_POST
def destination_delete(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    destination = destination_get_in_project(project=membership.project, public_id=destination_id)
    name = str(destination)
    destinations.destination_delete(destination=destination)
    messages.success(request, f"Deleted {name} with its rules and delivery log.")
    return _to_page(slug)


@login_required
@require_POST
def destination_test(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    destination = destination_get_in_project(project=membership.project, public_id=destination_id)
    routing.delivery_test_create(destination=destination)
    messages.success(request, "Test queued: it shows below within seconds (a worker sends it).")
    return redirect(reverse("project-integration", args=[slug, destination.public_id]))


@login_required
@require_POST
def destination_replay(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    destination = destination_get_in_project(project=membership.project, public_id=destination_id)
    count = routing.deliveries_replay(destination=destination)
    messages.success(request, f"{count} failed deliveries queued again.")
    return redirect(reverse("project-integration", args=[slug, destination.public_id]))


def _int_or_none(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ApplicationError(
            code="invalid", detail="Scores are whole numbers.", fields={field: "not a number"}
        ) from None


@login_required
@require_POST
def rule_create(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    project = membership.project
    destination = destination_get_in_project(project=project, public_id=destination_id)
    post = request.POST
    try:
        conditions = []
        for line in post.get("conditions", "").splitlines():
            if not line.strip():
                continue
            condition = parse_where(line.strip())
            if condition is None:
                raise ApplicationError(
                    code="invalid",
                    detail=f"{line.strip()!r}: write property:operator:value, e.g. plan:eq:pro.",
                    fields={"conditions": "malformed"},
                )
            conditions.append(condition)
        tags = tags_in_project(project=project, public_ids=post.getlist("tags"))
        destinations.rule_create(
            destination=destination,
            events=post.getlist("events"),
            categories=post.getlist("categories"),
            score_min=_int_or_none(post.get("score_min", ""), "score_min"),
            score_max=_int_or_none(post.get("score_max", ""), "score_max"),
            has_comment={"yes": True, "no": False}.get(post.get("has_comment", "")),
            survey_kind=post.get("survey_kind", ""),
            tags=tags,
            conditions=conditions,
        )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Rule added: matching responses now go to {destination}.")
    return _to_page(slug)


@login_required
@require_POST
def rule_active(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    rule = rule_get_in_project(project=membership.project, public_id=rule_id)
    destinations.rule_set_active(rule=rule, is_active=request.POST.get("active") == "on")
    return _to_page(slug)


@login_required
@require_POST
def rule_delete(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    membership = _admin(request, slug)
    rule = rule_get_in_project(project=membership.project, public_id=rule_id)
    destinations.rule_delete(rule=rule)
    messages.success(request, "Rule deleted.")
    return _to_page(slug)


@login_required
@require_GET
def destination_log(request: HttpRequest, slug: str, destination_id: str) -> HttpResponse:
    """A destination's delivery log (htmx refreshes the table every 5 seconds)."""
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    destination = destination_get_in_project(project=project, public_id=destination_id)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = list(delivery_log(destination=destination, status=status or None))
    context = {
        "membership": membership,
        "project": project,
        "destination": destination,
        "target": where_it_goes(destination),
        "deliveries": [(d, list(d.attempt_log.all())) for d in deliveries],
        "status": status,
        "statuses": DeliveryStatus.choices,
        "can_manage": membership.has_role(Role.ADMIN),
        "failed": destination.deliveries.filter(status=DeliveryStatus.FAILED).count(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "dashboard/_delivery_log.html", context)
    return render(request, "dashboard/destination.html", context)
