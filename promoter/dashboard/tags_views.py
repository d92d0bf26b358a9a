"""Tags: the Tags page, the tag editor of feedback cards, bulk tagging and auto-tag rules.

Members and above tag responses; admins and owners rename, merge and nest tags and manage
rules; viewers read. Figures come from :mod:`promoter.analytics.selectors` (one query per
figure for all tags at once) and statistics from :mod:`promoter.analytics.metrics`.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from promoter.access import (
    autotag_rule_get_in_project,
    membership_get_for_user,
    response_get_in_project,
    survey_get_in_project,
    tag_get_in_project,
)
from promoter.accounts.models import Membership, Project, Role
from promoter.actions.tags import tags_bulk_add
from promoter.analytics import metrics
from promoter.analytics.selectors import (
    TagFigures,
    histogram,
    histograms_by_period,
    tag_figures,
)
from promoter.core.errors import ApplicationError
from promoter.core.inputs import text_problem
from promoter.dashboard.filters import DashboardView, filter_choices
from promoter.dashboard.filters import view_from_request as dashboard_view
from promoter.integrations.models import Event
from promoter.integrations.routing import response_event
from promoter.responses import services
from promoter.responses.models import AutoTagRule, Response, Tag
from promoter.responses.selectors import (
    autotag_rules_for_project,
    response_for_page,
    tag_by_name,
    tags_by_prefix,
)

SPARK_WIDTH, SPARK_HEIGHT = 96, 24


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django-htmx's middleware


def _bucket(view: DashboardView) -> str:
    if view.since is None:
        return "month"
    days = (view.until - view.since).days
    return "day" if days <= 31 else "week" if days <= 200 else "month"


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _commented(project: Project, view: DashboardView, previous: bool = False) -> int:
    """Return how many responses of the view (or its previous period) have a comment."""
    flt = view.compare_previous if previous else view.filter
    if flt is None or flt.has_comment is False:
        return 0
    return sum(histogram(project=project, flt=replace(flt, has_comment=True)))


def sparkline(values: list[float]) -> str:
    """Return the ``points`` of an SVG polyline drawing ``values`` (highest at the top)."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = SPARK_WIDTH / (len(values) - 1) if len(values) > 1 else 0.0
    usable = SPARK_HEIGHT - 4
    return " ".join(
        f"{i * step:.1f},{SPARK_HEIGHT - 2 - usable * value / top:.1f}"
        for i, value in enumerate(values)
    )


def _rows(
    *,
    view: DashboardView,
    tags: list[Tag],
    now: dict[int, TagFigures],
    before: dict[int, TagFigures] | None,
    commented_now: int,
    commented_before: int,
    timeline: list[tuple[datetime.date, int]],
) -> list[dict[str, Any]]:
    kind = view.survey.kind
    empty = TagFigures(bins=[0] * metrics.SIZES[kind], commented=0)
    families: dict[int, list[Tag]] = {}
    for tag in tags:
        families.setdefault(tag.parent_id or tag.pk, []).append(tag)
    rows = []
    for tag in tags:
        figures = now.get(tag.pk, empty)
        share = _share(figures.commented, commented_now)
        change = None
        if before is not None and share is not None and commented_before:
            change = share - 100.0 * before.get(tag.pk, empty).commented / commented_before
        counts = figures.by_period
        points = [100.0 * counts.get(day, 0) / total if total else 0.0 for day, total in timeline]
        rows.append(
            {
                "tag": tag,
                "child": tag.parent_id is not None,
                "children": len(families.get(tag.pk, [])) - 1 if tag.parent_id is None else 0,
                "figures": figures,
                "summary": metrics.summarize(kind, figures.bins),
                "share": share,
                "change": change,
                "spark": sparkline(points) if figures.n else "",
                "spark_title": ", ".join(
                    f"{day:%Y-%m-%d}: {counts.get(day, 0)} of {total}" for day, total in timeline
                ),
                # A parent tag's filter includes its children, like its figures.
                "filter": view.query(tag=str(tag.public_id)),
            }
        )
    return _ordered(rows)


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return top-level tags most used first, each followed by its children, most used first."""
    children: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["child"]:
            children.setdefault(row["tag"].parent_id, []).append(row)
    tops = sorted(
        (r for r in rows if not r["child"]), key=lambda r: (-r["figures"].n, r["tag"].name.lower())
    )
    ordered = []
    for row in tops:
        ordered.append(row)
        ordered.extend(
            sorted(
                children.get(row["tag"].pk, []),
                key=lambda r: (-r["figures"].n, r["tag"].name.lower()),
            )
        )
    return ordered


@login_required
@require_GET
def tags(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = dashboard_view(request, project=project)
    context: dict[str, Any] = {
        "membership": membership,
        "project": project,
        "view": view,
        "can_manage": membership.has_role(Role.ADMIN),
    }
    if view is None:
        return render(request, "dashboard/tags.html", context)
    all_tags = view.all_tags
    bucket = _bucket(view)
    now = tag_figures(project=project, flt=view.filter, bucket=bucket)
    previous = view.compare_previous
    before = tag_figures(project=project, flt=previous) if previous is not None else None
    timeline = [
        (day, sum(bins))
        for day, bins in histograms_by_period(project=project, flt=view.filter, bucket=bucket)
    ]
    whole = histogram(project=project, flt=view.filter)
    commented_now = _commented(project, view)
    context |= {
        "kind": view.survey.kind,
        **filter_choices(),
        "bucket": bucket,
        "whole": metrics.summarize(view.survey.kind, whole),
        "commented": commented_now,
        "rows": _rows(
            view=view,
            tags=all_tags,
            now=now,
            before=before,
            commented_now=commented_now,
            commented_before=_commented(project, view, previous=True) if previous else 0,
            timeline=timeline,
        ),
        "tags": all_tags,
        "rules": autotag_rules_for_project(project=project),
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
    }
    return render(request, "dashboard/tags.html", context)


@login_required
@require_GET
def tag_suggest(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the tags starting with ``name`` (or ``q``) as suggestion buttons, or as
    ``<option>``s of a datalist with ``as=options`` (htmx)."""
    membership = membership_get_for_user(user=request.user, slug=slug)
    prefix = (request.GET.get("name") or request.GET.get("q") or "")[:60]
    # No tag name holds NUL or a lone surrogate (nor could the database compare one).
    found = (
        [] if text_problem(prefix) else tags_by_prefix(project=membership.project, prefix=prefix)
    )
    context = {"suggestions": found, "as_options": request.GET.get("as") == "options"}
    return render(request, "dashboard/_tag_suggestions.html", context)


def _editor(
    request: HttpRequest, membership: Membership, response: Response, **extra: Any
) -> HttpResponse:
    fresh = response_for_page(response=response)
    context = {"r": fresh, "project": membership.project, "membership": membership, **extra}
    return render(request, "dashboard/_tag_editor.html", context)


def _back(request: HttpRequest, project: Project) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("project-responses", slug=project.slug)


@login_required
@require_POST
def response_tag_add(request: HtmxHttpRequest, slug: str, response_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.MEMBER)
    response = response_get_in_project(project=membership.project, public_id=response_id)
    name = request.POST.get("pick") or request.POST.get("name", "")
    try:
        with transaction.atomic():
            tag, added = services.response_tag_add_named(
                response=response, name=name, actor=request.user
            )
            if added:
                response_event(response=response, event=Event.TAGGED, tag=tag)
    except ApplicationError as exc:
        if request.htmx:
            # htmx swaps 2xx answers only: the card shows the error in place.
            return _editor(request, membership, response, error=exc.detail, typed=name)
        messages.error(request, exc.detail)
    if request.htmx:
        return _editor(request, membership, response)
    return _back(request, membership.project)


@login_required
@require_POST
def response_tag_remove(
    request: HtmxHttpRequest, slug: str, response_id: str, tag_id: str
) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.MEMBER)
    response = response_get_in_project(project=membership.project, public_id=response_id)
    tag = tag_get_in_project(project=membership.project, public_id=tag_id)
    services.response_tag_remove(response=response, tag=tag, actor=request.user)
    if request.htmx:
        return _editor(request, membership, response)
    return _back(request, membership.project)


@login_required
@require_POST
def tags_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Tag every response of the view that the query string describes (the Feedback page's)."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.MEMBER)
    project = membership.project
    view = dashboard_view(request, project=project)
    if view is None:
        messages.error(request, "No survey yet.")
        return redirect("project-responses", slug=slug)
    try:
        with transaction.atomic():
            tag = services.tag_get_or_create(
                project=project, name=request.POST.get("name", ""), created_by=request.user
            )
            added = tags_bulk_add(project=project, flt=view.filter, tag=tag, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"Tagged {added:,} more response{'s' if added != 1 else ''} {tag.name!r}."
        )
    return redirect(reverse("project-responses", args=[slug]) + view.query())


def _tags_page(slug: str, request: HttpRequest) -> HttpResponse:
    keep = request.POST.get("query", "")
    return redirect(reverse("project-tags", args=[slug]) + (keep if keep.startswith("?") else ""))


@login_required
@require_POST
def tag_rename(request: HttpRequest, slug: str, tag_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    tag = tag_get_in_project(project=membership.project, public_id=tag_id)
    try:
        old = tag.name
        services.tag_rename(tag=tag, name=request.POST.get("name", ""))
        color = request.POST.get("color", "")
        if color:
            services.tag_set_color(tag=tag, color=color)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"Saved {old!r}" + (f" as {tag.name!r}." if old != tag.name else ".")
        )
    return _tags_page(slug, request)


@login_required
@require_POST
def tag_merge(request: HttpRequest, slug: str, tag_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    source = tag_get_in_project(project=project, public_id=tag_id)
    target = tag_by_name(project=project, name=request.POST.get("into", ""))
    if target is None:
        messages.error(request, "Merge into which tag? Name an existing one.")
        return _tags_page(slug, request)
    try:
        services.tag_merge(source=source, target=target)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Merged {source.name!r} into {target.name!r}.")
    return _tags_page(slug, request)


@login_required
@require_POST
def tag_delete(request: HttpRequest, slug: str, tag_id: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    tag = tag_get_in_project(project=membership.project, public_id=tag_id)
    name = tag.name
    carried = services.tag_delete(tag=tag)
    messages.success(
        request, f"Deleted {name!r}; {carried} response{pluralize(carried)} no longer carry it."
    )
    return _tags_page(slug, request)


@login_required
@require_POST
def tag_parent(request: HttpRequest, slug: str, tag_id: str) -> HttpResponse:
    """Nest a tag under the tag named ``parent`` (created if new), or unnest it (empty)."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    tag = tag_get_in_project(project=project, public_id=tag_id)
    name = request.POST.get("parent", "").strip()
    try:
        with transaction.atomic():  # a refused nesting creates no parent tag
            parent = (
                services.tag_get_or_create(project=project, name=name, created_by=request.user)
                if name
                else None
            )
            services.tag_set_parent(tag=tag, parent=parent)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        where = f"under {parent.name!r}" if parent is not None else "at the top level"
        messages.success(request, f"{tag.name!r} is now {where}.")
    return _tags_page(slug, request)


def _score(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ApplicationError(
            code="invalid", detail=f"{text!r} is not a score.", fields={"score": "a number"}
        ) from None


def _phrases(text: str) -> list[str]:
    return [p for line in text.splitlines() for p in line.split(",")]


@login_required
@require_POST
def rule_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    post = request.POST
    survey = None
    if post.get("survey"):
        survey = survey_get_in_project(project=project, public_id=post["survey"])
    try:
        with transaction.atomic():  # a refused rule creates no tag
            tag = services.tag_get_or_create(
                project=project, name=post.get("tag", ""), created_by=request.user
            )
            rule = services.autotag_rule_create(
                project=project,
                tag=tag,
                phrases=_phrases(post.get("phrases", "")),
                score_min=_score(post.get("score_min", "")),
                score_max=_score(post.get("score_max", "")),
                survey=survey,
                actor=request.user,
            )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        if post.get("backfill"):
            services.rule_backfill_request(rule=rule)
            messages.success(request, f"Added the rule for {tag.name!r}; back-filling history.")
        else:
            messages.success(request, f"Added the rule for {tag.name!r}: it tags new responses.")
    return _tags_page(slug, request)


def _rule(request: HttpRequest, slug: str, rule_id: str, role: str) -> tuple[Membership, Any]:
    membership = membership_get_for_user(user=request.user, slug=slug, role=role)
    return membership, autotag_rule_get_in_project(project=membership.project, public_id=rule_id)


@login_required
@require_POST
def rule_active(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    _, rule = _rule(request, slug, rule_id, Role.ADMIN)
    services.autotag_rule_set_active(rule=rule, is_active=request.POST.get("active") == "on")
    return _tags_page(slug, request)


@login_required
@require_POST
def rule_delete(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    _, rule = _rule(request, slug, rule_id, Role.ADMIN)
    services.autotag_rule_delete(rule=rule)
    messages.success(request, f"Deleted the rule for {rule.tag.name!r}; its tags stay.")
    return _tags_page(slug, request)


def _progress(request: HttpRequest, membership: Membership, rule: AutoTagRule) -> HttpResponse:
    context = {
        "rule": rule,
        "project": membership.project,
        "can_manage": membership.has_role(Role.ADMIN),
    }
    return render(request, "dashboard/_tag_rule_progress.html", context)


@login_required
@require_POST
def rule_backfill(request: HtmxHttpRequest, slug: str, rule_id: str) -> HttpResponse:
    """Enqueue the back-fill of a rule over history; htmx gets the progress bar back."""
    membership, rule = _rule(request, slug, rule_id, Role.ADMIN)
    services.rule_backfill_request(rule=rule)
    if request.htmx:
        return _progress(request, membership, rule)
    messages.success(request, f"Back-filling {rule.tag.name!r} over history.")
    return _tags_page(slug, request)


@login_required
@require_GET
def rule_progress(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    """Return a rule's back-fill progress (polled every second while it runs)."""
    membership, rule = _rule(request, slug, rule_id, Role.VIEWER)
    return _progress(request, membership, rule)
