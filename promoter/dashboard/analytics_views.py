"""Analytics pages: Overview, Segments, Compare and the Feedback stream.

Every figure comes from :mod:`promoter.analytics.selectors` (one query path per figure) and
every statistic from :mod:`promoter.analytics.metrics`; these views only parse the URL's
filter state, call them and render.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from promoter.access import NotFound, membership_get_for_user, response_position_in_project
from promoter.analytics import metrics
from promoter.analytics.figures import overview_figure
from promoter.analytics.filters import WHERE_MAX_CONDITIONS, parse_where
from promoter.analytics.selectors import (
    ResponseFilter,
    funnel,
    histogram,
    histograms_by_property,
    property_names,
    response_count,
    responses_for,
    top_of,
)
from promoter.core.inputs import text_problem
from promoter.core.spreadsheets import csv_safe
from promoter.dashboard.filters import DashboardView, filter_choices, view_from_request
from promoter.responses.exports import question_ids
from promoter.responses.models import Channel, Response
from promoter.responses.serializers import answer_cell
from promoter.surveys.button import button_of
from promoter.surveys.eligibility import Condition
from promoter.surveys.scales import category_for

FEED_PAGE = 25


def _bucket(view: DashboardView) -> str:
    if view.since is None:
        return "month"
    days = (view.until - view.since).days
    return "day" if days <= 31 else "week" if days <= 200 else "month"


def _empty(request: HttpRequest, membership: Any, template: str) -> HttpResponse:
    return render(
        request, template, {"membership": membership, "project": membership.project, "view": None}
    )


def _common(view: DashboardView, membership: Any) -> dict[str, Any]:
    return {
        "membership": membership,
        "project": view.project,
        "view": view,
        "kind": view.survey.kind,
        **filter_choices(),
    }


@login_required
@require_GET
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    if request.session.get("last_project") != project.slug:
        request.session["last_project"] = project.slug
    view = view_from_request(request, project=project)
    if view is None:
        return _empty(request, membership, "dashboard/overview.html")
    kind = view.survey.kind
    bucket = _bucket(view)
    # The previous period is compared when the view has a start (not over all time).
    figure = overview_figure(
        project=project, flt=view.filter, bucket=bucket, previous=view.since is not None
    )
    trend = [
        {
            "date": point.start.isoformat(),
            "score": point.summary.score,
            "low": point.summary.low,
            "high": point.summary.high,
            "n": point.summary.n,
        }
        for point in figure.trend
    ]
    low = view.survey.scale[0]
    distribution = [
        {"score": low + i, "n": n, "category": category_for(kind, low + i)}
        for i, n in enumerate(figure.histogram)
    ]
    context = _common(view, membership) | {
        "summary": figure.summary,
        "previous": figure.previous,
        "change": figure.change,
        "bucket": bucket,
        "trend": trend,
        "distribution": distribution,
        "funnel": funnel(project=project, flt=view.filter),
        "button": _button_note(project, view),
        "latest": responses_for(project=project, flt=_listed(view))
        .exclude(comment="")
        .select_related("end_user", "survey")
        .order_by("-created_at")[:8],
    }
    return render(request, "dashboard/overview.html", context)


def _rest(total: list[int], part: list[int]) -> list[int]:
    return [max(0, a - b) for a, b in zip(total, part, strict=True)]


@login_required
@require_GET
def segments(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = view_from_request(request, project=project)
    if view is None:
        return _empty(request, membership, "dashboard/segments.html")
    kind = view.survey.kind
    names = property_names(project=project, survey=view.survey)
    # Any text names a property, the empty name too: only an absent ``by`` takes the default.
    by: str | None = request.GET.get("by")
    if by is not None and text_problem(by):
        view.problems.append(f"Ignored the property {by!r}: it {text_problem(by)}.")
        by = None
    if by is None:
        by = "plan" if "plan" in names else (names[0] if names else None)
    sort = request.GET.get("sort", "n")
    total = histogram(project=project, flt=view.filter)
    whole = metrics.summarize(kind, total)
    rows = []
    # The page's top values and the accounts at risk come from one aggregation of a property.
    every = []
    if by is not None:
        every = histograms_by_property(project=project, flt=view.filter, name=by, top=None)
        for value, bins in top_of(every, top=12, survey=view.survey):
            summary = metrics.summarize(kind, bins)
            versus_rest = metrics.compare(kind, bins, _rest(total, bins))
            rows.append(
                {
                    "value": value,
                    "summary": summary,
                    "difference": None
                    if summary.score is None or whole.score is None
                    else summary.score - whole.score,
                    "versus_rest": versus_rest,
                    # A filter names the property before its first ":": not one holding ":".
                    "filter": view.with_condition(Condition(by, "eq", value))
                    if not value.startswith("(") and ":" not in by
                    else None,
                }
            )
    keys = {
        "n": lambda r: -r["summary"].n,
        "score": lambda r: (r["summary"].score is None, -(r["summary"].score or 0)),
        "low": lambda r: (r["summary"].score is None, r["summary"].score or 0),
        "value": lambda r: r["value"].lower(),
    }
    rows.sort(key=keys.get(sort, keys["n"]))
    accounts = (
        _accounts_at_risk(project, view, now=every if by == "account" else None)
        if by == "account" or "account" in names
        else []
    )
    context = _common(view, membership) | {
        "names": names,
        "by": "" if by is None else by,
        "sort": sort,
        "whole": whole,
        "rows": rows,
        "accounts": accounts,
    }
    return render(request, "dashboard/segments.html", context)


def _accounts_at_risk(
    project: Any, view: DashboardView, *, now: list[tuple[str, list[int]]] | None = None
) -> list[dict[str, Any]]:
    """Return accounts with at least 3 responses, lowest and falling first (``now``: the
    period's every-account histograms when the page already has them)."""
    kind = view.survey.kind
    if now is None:
        now = histograms_by_property(project=project, flt=view.filter, name="account", top=None)
    now_groups = dict(top_of(now, top=200, survey=view.survey))
    shown = [a for a, bins in now_groups.items() if not a.startswith("(") and sum(bins) >= 3]
    before: dict[str, list[int]] = {}
    if view.compare_previous is not None and shown:
        # The previous period of the accounts shown only (its top 200 may differ).
        before = dict(
            histograms_by_property(
                project=project,
                flt=view.compare_previous,
                name="account",
                top=None,
                values=shown,
            )
        )
    result = []
    for account in shown:
        bins = now_groups[account]
        current = metrics.summarize(kind, bins)
        past = metrics.summarize(kind, before[account]) if account in before else None
        trend = (
            current.score - past.score
            if past is not None and past.score is not None and current.score is not None
            else None
        )
        result.append({"account": account, "summary": current, "previous": past, "trend": trend})

    def risk(row: dict[str, Any]) -> float:
        score: float = row["summary"].score or 0.0
        return score + min(0.0, float(row["trend"] or 0.0))

    result.sort(key=risk)
    return result[:15]


def _group_filter(
    view: DashboardView, prefix: str, request: HttpRequest
) -> tuple[ResponseFilter, str]:
    """Return a compare group's filter: the page's filter plus the group's own conditions
    (``a`` / ``b`` as ``property:op:value``) and optional period (``a_since``/``a_until``)."""
    from dataclasses import replace

    from promoter.dashboard.filters import _date

    conditions = list(view.filter.conditions)
    labels = []
    for text in request.GET.getlist(prefix)[:WHERE_MAX_CONDITIONS]:
        condition = parse_where(text)
        if condition is not None:
            conditions.append(condition)
            labels.append(condition.describe())
    flt = replace(view.filter, conditions=tuple(conditions))
    since_text, until_text = request.GET.get(f"{prefix}_since"), request.GET.get(f"{prefix}_until")
    tz = (view.since.tzinfo if view.since else None) or datetime.UTC
    if since_text and until_text:
        since, until = _date(since_text, tz), _date(until_text, tz)
        if since and until and since <= until:
            flt = replace(flt, since=since, until=until + datetime.timedelta(days=1))
            labels.append(f"{since_text} to {until_text}")
    return flt, " and ".join(labels) or "everyone in the view"


@login_required
@require_GET
def compare(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = view_from_request(request, project=project)
    if view is None:
        return _empty(request, membership, "dashboard/compare.html")
    kind = view.survey.kind
    flt_a, label_a = _group_filter(view, "a", request)
    flt_b, label_b = _group_filter(view, "b", request)
    bins_a = histogram(project=project, flt=flt_a)
    bins_b = histogram(project=project, flt=flt_b)
    try:
        delta = float(request.GET.get("delta", "10"))
    except ValueError:
        delta = 10.0
    delta = delta if delta > 0 else 10.0
    context = _common(view, membership) | {
        "a": {
            "label": label_a,
            "summary": metrics.summarize(kind, bins_a),
            "where": request.GET.getlist("a"),
        },
        "b": {
            "label": label_b,
            "summary": metrics.summarize(kind, bins_b),
            "where": request.GET.getlist("b"),
        },
        "comparison": metrics.compare(kind, bins_a, bins_b),
        "delta": delta,
        "needed": metrics.responses_needed(kind, bins_a, bins_b, delta),
        "a_since": request.GET.get("a_since", ""),
        "a_until": request.GET.get("a_until", ""),
        "b_since": request.GET.get("b_since", ""),
        "b_until": request.GET.get("b_until", ""),
    }
    return render(request, "dashboard/compare.html", context)


def _button_note(project: Any, view: DashboardView) -> dict[str, Any] | None:
    """What the Overview says of the survey's feedback button: whether its answers count in
    the score, and how many the view holds (one query, only for a survey with a button)."""
    if button_of(view.survey.button) is None:
        return None
    through = replace(view.filter, button=True, channels=(Channel.BUTTON,))
    return {
        "counted": not view.filter.leaves_button_out(),
        "n": response_count(project=project, flt=through),
    }


def _listed(view: DashboardView) -> ResponseFilter:
    """The filter of a list of responses: the feedback button's answers show there, whether
    or not they count in the score."""
    return replace(view.filter, button=True)


def _feed(project: Any, view: DashboardView) -> Any:
    return (
        responses_for(project=project, flt=_listed(view))
        .select_related("end_user", "survey")
        .prefetch_related("response_tags__tag", "answers")
        .order_by("-created_at", "-id")
    )


@login_required
@require_GET
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = view_from_request(request, project=project)
    if view is None:
        return _empty(request, membership, "dashboard/feedback.html")
    qs = _feed(project, view)
    if "after" in request.GET:
        # The live stream's poll: responses that arrived after the newest card on the page
        # (or, on an empty page, after it was rendered), and cards whose comment arrived
        # since the last poll. Nothing new: 204, and htmx keeps polling.
        cards, updated, moment = _poll(project, qs, request.GET["after"], request.GET.get("at", ""))
        if not cards and not updated:
            return HttpResponse(status=204)
        context = _common(view, membership) | {
            "cards": cards,
            "updated": updated,
            "live": True,
            "oob": True,
            "newest": cards[0].public_id if cards else request.GET["after"],
            "at": moment.isoformat(),
        }
        return render(request, "dashboard/_feed_poll.html", context)
    paginator = Paginator(qs, FEED_PAGE)
    # The total from the analytics selector (the rollups when they can answer), not COUNT(*).
    paginator.count = response_count(project=project, flt=_listed(view))
    page = paginator.get_page(request.GET.get("page"))
    context = _common(view, membership) | {
        "page": page,
        "cards": list(page.object_list),
        "newest": page.object_list[0].public_id if page.number == 1 and page.object_list else None,
        "at": timezone.now().isoformat(),
    }
    return render(request, "dashboard/feedback.html", context)


def _poll(
    project: Any, qs: Any, after: str, at: str
) -> tuple[list[Response], list[Response], datetime.datetime]:
    """Return the new cards, the shown cards updated since ``at``, and the next ``at``."""
    now = timezone.now()
    try:
        # A "+" left unescaped in a query string arrives as a space.
        moment = datetime.datetime.fromisoformat(at.strip().replace(" ", "+"))
    except ValueError:
        return [], [], now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    cursor = None
    if after:
        with contextlib.suppress(NotFound):
            cursor = response_position_in_project(project=project, public_id=after)
    if cursor is not None:
        newer = Q(created_at__gt=cursor[0]) | Q(created_at=cursor[0], id__gt=cursor[1])
    else:
        newer = Q(created_at__gt=moment)
    cards = list(qs.filter(newer)[:50])
    updated = list(
        qs.filter(updated_at__gt=moment).exclude(newer).exclude(pk__in=[c.pk for c in cards])[:50]
    )
    return cards, updated, now


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def feedback_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse | HttpResponse:
    membership = membership_get_for_user(user=request.user, slug=slug)
    project = membership.project
    view = view_from_request(request, project=project)
    if view is None:
        return HttpResponse("no survey yet\n", content_type="text/plain", status=404)
    writer = csv.writer(_Echo())
    kind = view.survey.kind
    questions = question_ids(project=project, survey=view.survey)

    def rows() -> Any:
        yield writer.writerow(
            ["id", "created_at", "survey", "score", "category", "comment", "person_id",
             "email", "channel", "locale", "sentiment", "tags", "properties",
             *(f"answer:{q}" for q in questions)]
        )  # fmt: skip
        for response in _feed(project, view).iterator(chunk_size=1000):
            person = response.end_user
            answered = {a.question: a.value for a in response.answers.all()}
            yield writer.writerow(
                [
                    response.public_id,
                    response.created_at.isoformat(),
                    csv_safe(view.survey.name),
                    response.score,
                    category_for(kind, response.score),
                    csv_safe(response.comment),
                    csv_safe(person.external_id or "") if person else "",
                    csv_safe(person.email or "") if person else "",
                    csv_safe(response.channel),
                    csv_safe(response.locale),
                    "" if response.sentiment is None else f"{response.sentiment:.4f}",
                    csv_safe(";".join(t.tag.name for t in response.response_tags.all())),
                    csv_safe(json.dumps(response.properties, ensure_ascii=False)),
                    *(
                        csv_safe(str(answer_cell(answered[q]))) if q in answered else ""
                        for q in questions
                    ),
                ]
            )

    stamp = datetime.date.today().isoformat()
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-feedback-{stamp}.csv"'
    return response
