"""Answers: the distribution of each additional question's answers in the dashboard's view.

The survey comes from the URL (``/p/<slug>/surveys/<survey_id>/answers/``), every other
filter from the filter bar (:func:`promoter.dashboard.filters.view_from_request`); the
figures from :func:`promoter.analytics.figures.questions_figure` (the statistics of
:mod:`promoter.analytics.questions`).
"""

from __future__ import annotations

import copy

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from promoter.access import NotFound, survey_get_for_user
from promoter.analytics import questions as stats
from promoter.analytics.figures import questions_figure
from promoter.dashboard.analytics_views import _common
from promoter.dashboard.filters import view_from_request
from promoter.surveys.models import Survey
from promoter.surveys.selectors import surveys_for_project

LATEST_TEXTS = 5


def _pinned(request: HttpRequest, survey: Survey) -> HttpRequest:
    """Return ``request`` with its filter state naming ``survey`` (the URL's)."""
    pinned = copy.copy(request)
    query = request.GET.copy()
    query["survey"] = str(survey.public_id)
    # The stubs type GET as read-only; the filter state only reads it.
    pinned.GET = query  # type: ignore[assignment]
    return pinned


@login_required
@require_GET
def survey_answers(request: HttpRequest, slug: str, survey_id: str) -> HttpResponse:
    survey, membership = survey_get_for_user(user=request.user, slug=slug, public_id=survey_id)
    project = membership.project
    surveys = surveys_for_project(project=project)
    for each in surveys:
        each.project = project  # already loaded: the product's name is read from it
    chosen = request.GET.get("survey", "")
    other = next((s for s in surveys if str(s.public_id) == chosen and s.pk != survey.pk), None)
    if other is not None:
        # The filter bar's survey switch: the same view of the other survey's answers.
        target = reverse("project-survey-answers", args=[project.slug, str(other.public_id)])
        return redirect(f"{target}?{request.GET.urlencode()}")
    view = view_from_request(_pinned(request, survey), project=project, surveys=surveys)
    if view is None:  # (never: the project has this survey)
        raise NotFound("survey")
    responses, figures = questions_figure(project=project, flt=view.filter, latest=LATEST_TEXTS)
    context = _common(view, membership) | {
        "survey": survey,
        "responses": responses,
        "figures": figures,
        "tested": stats.cells_tested(figures),
        "alpha": stats.ALPHA,
        "pmf_benchmark": stats.PMF_BENCHMARK,
    }
    return render(request, "dashboard/question_analytics.html", context)
