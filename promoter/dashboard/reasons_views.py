"""Top reasons: why promoters recommend us and why detractors do not, from the data.

For each category the page lists the themes discovered in the period's comments, the tags
carried by its responses and the choices picked in their answers to the survey's choice
questions ("<question>: <choice>"), each with its count, its share of that category and, for
detractors, its *impact*: the NPS points gained if those detractors became passives
(100·D_T/n, the key-driver view of shared reference/statistics.md). Promoters' themes come
with example verbatims: the testimonials view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from promoter.access import membership_get_for_user
from promoter.accounts.models import Role
from promoter.analytics import metrics
from promoter.analytics.figures import choice_histograms
from promoter.analytics.selectors import histogram, histograms_by_tag, responses_for
from promoter.core.errors import ApplicationError
from promoter.dashboard.analytics_views import _common
from promoter.dashboard.filters import DashboardView, view_from_request
from promoter.responses.services import (
    autotag_rule_create,
    rule_backfill_request,
    tag_get_or_create,
)
from promoter.text.themes import discover_themes

# The most recent comments of a category that theme discovery reads (seconds on a CPU).
THEME_SAMPLE = 10_000
THEME_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Reason:
    name: str
    kind: str  # "theme", "tag" or "choice" (an answer to a choice question)
    count: int
    share: float  # % of the category's responses (tags) or comments (themes)
    impact: float | None  # NPS points if these detractors became passives
    examples: tuple[str, ...]
    phrases: tuple[str, ...] = ()
    tag_id: str | None = None
    variants: tuple[str, ...] = ()  # every written form of the phrases: an auto-tag rule's


def _themes(
    project: Any, view: DashboardView, category: str, total: list[int]
) -> tuple[list[Reason], int]:
    """Return the themes of ``category``'s comments in the view, and how many were read."""
    flt = replace(view.filter, categories=(category,), has_comment=True)
    key = (
        "reasons:"
        + hashlib.sha256(
            f"{project.pk}:{category}:{view.query()}:{view.since}:{view.until}".encode()
        ).hexdigest()[:32]
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows = list(
        responses_for(project=project, flt=flt)
        .order_by("-created_at")
        .values_list("id", "comment")[:THEME_SAMPLE]
    )
    found = discover_themes(rows, max_themes=8)
    reasons = [
        Reason(
            name=theme.name,
            kind="theme",
            count=theme.size,
            share=100.0 * theme.size / len(rows) if rows else 0.0,
            impact=(
                metrics.key_driver_impact(total, theme.size)
                if category == "detractor" and view.survey.kind == "nps"
                else None
            ),
            examples=tuple(theme.examples[:3]),
            phrases=tuple(theme.phrases[:6]),
            variants=tuple(theme.variants or theme.phrases),
        )
        for theme in found
    ]
    result = (reasons, len(rows))
    cache.set(key, result, THEME_CACHE_SECONDS)
    return result


def _drivers(
    view: DashboardView, total: list[int], groups: Iterable[tuple[str, str, str | None, list[int]]]
) -> dict[str, list[Reason]]:
    """Return, per category, the drivers ``groups`` (name, kind, tag id, the score histogram
    of the responses in the group) whose responses hold some of it, most frequent first:
    the share of the category they make up and, for detractors, the NPS impact."""
    kind = view.survey.kind
    promoters, _passives, detractors = metrics.categories(kind, total)
    n = sum(total)
    out: dict[str, list[Reason]] = {"promoter": [], "detractor": []}
    for name, driver, tag_id, bins in groups:
        group_promoters, _, group_detractors = metrics.categories(kind, bins)
        if group_promoters:
            out["promoter"].append(
                Reason(
                    name=name, kind=driver, count=group_promoters,
                    share=100.0 * group_promoters / promoters if promoters else 0.0,
                    impact=None, examples=(), tag_id=tag_id,
                )
            )  # fmt: skip
        if group_detractors:
            out["detractor"].append(
                Reason(
                    name=name, kind=driver, count=group_detractors,
                    share=100.0 * group_detractors / detractors if detractors else 0.0,
                    impact=metrics.key_driver_impact(total, group_detractors)
                    if kind == "nps" and n else None,
                    examples=(), tag_id=tag_id,
                )
            )  # fmt: skip
    for reasons in out.values():
        reasons.sort(key=lambda r: -r.count)
    return out


def _tags(project: Any, view: DashboardView, total: list[int]) -> dict[str, list[Reason]]:
    """Return, per category, the tags its responses carry, most frequent first."""
    tagged = histograms_by_tag(project=project, flt=view.filter)
    return _drivers(view, total, ((t.name, "tag", str(t.public_id), b) for t, b in tagged))


def _choices(project: Any, view: DashboardView, total: list[int]) -> dict[str, list[Reason]]:
    """Return, per category, the choices its responses' answers picked ("<question>:
    <choice>"), most frequent first: drivers weighed as the tags are."""
    picked = choice_histograms(project=project, flt=view.filter)
    return _drivers(view, total, ((name, "choice", None, bins) for name, bins in picked))


@login_required
@require_GET
def top_reasons(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = view_from_request(request, project=project)
    if view is None:
        return render(
            request,
            "dashboard/reasons.html",
            {"membership": membership, "project": project, "view": None},
        )
    total = histogram(project=project, flt=view.filter)
    summary = metrics.summarize(view.survey.kind, total)
    promoter_themes, promoter_read = _themes(project, view, "promoter", total)
    detractor_themes, detractor_read = _themes(project, view, "detractor", total)
    tags = _tags(project, view, total)
    choices = _choices(project, view, total)
    context = _common(view, membership) | {
        "summary": summary,
        "sections": [
            {
                "category": "promoter",
                "title": "Why promoters recommend us",
                "themes": promoter_themes,
                "read": promoter_read,
                "tags": tags["promoter"][:10],
                "choices": choices["promoter"][:10],
            },
            {
                "category": "detractor",
                "title": "Why detractors do not",
                "themes": detractor_themes,
                "read": detractor_read,
                "tags": tags["detractor"][:10],
                "choices": choices["detractor"][:10],
            },
        ],
        "sample": THEME_SAMPLE,
        "can_make_tags": membership.has_role(Role.ADMIN),
    }
    return render(request, "dashboard/reasons.html", context)


@login_required
@require_POST
def theme_to_tag(request: HttpRequest, slug: str) -> HttpResponse:
    """Turn a discovered theme into a tag with an auto-tag rule, back-filled over history."""
    membership = membership_get_for_user(user=request.user, slug=slug, role=Role.ADMIN)
    project = membership.project
    name = request.POST.get("name", "").strip()
    phrases = [p.strip() for p in request.POST.getlist("phrase") if p.strip()]
    back = request.POST.get("next", "")
    target = back if back.startswith(f"/p/{project.slug}/") else f"/p/{project.slug}/reasons/"
    if not name or not phrases:
        messages.error(request, "A theme needs a name and at least one phrase.")
        return redirect(target)
    try:
        with transaction.atomic():
            tag = tag_get_or_create(project=project, name=name, created_by=request.user)
            rule = autotag_rule_create(
                project=project, tag=tag, phrases=phrases[:50], actor=request.user
            )
            rule_backfill_request(rule=rule)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect(target)
    messages.success(
        request,
        f"Tag {tag.name} created with a rule on {len(phrases[:50])} phrases; "
        "past responses are being tagged (see Tags).",
    )
    return redirect(target)
