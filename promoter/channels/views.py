"""The public pages of e-mail and link surveys: the answer page a score button opens, the
comment page, one-click unsubscribe, and a survey's shareable link.

These pages are reached from mail clients and shared links, without a login: the signed
token in the URL is the capability, so they are exempt from CSRF (as a login form is not).
A link that was altered gets a clear page and a 404, never someone else's survey.

Mail security scanners open every link of a message: a GET never records anything. The
answer page records the score by a POST, sent by the page itself when a browser opens it
(or by its button without JavaScript).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from promoter.channels import links, services
from promoter.channels.models import Invitation
from promoter.core.clients import client_address
from promoter.core.errors import ApplicationError
from promoter.responses.models import Response
from promoter.surveys.models import Survey
from promoter.surveys.texts import resolve_texts

LINK_RATE_PER_MINUTE = 20
RESPONSE_SALT = "promoter.channels.link-response"


def _invalid(request: HttpRequest, *, status: int = 404, why: str = "") -> HttpResponse:
    return render(request, "channels/invalid.html", {"why": why}, status=status)


def _invitation(token: str) -> Invitation | None:
    public_id = links.invitation_id_from(token)
    if public_id is None:
        return None
    return (
        Invitation.objects.select_related("survey", "project", "end_user")
        .filter(public_id=public_id)
        .first()
    )


def _texts(survey: Survey, locale: str) -> dict[str, Any]:
    _chosen, texts = resolve_texts(
        kind=survey.kind,
        scale=survey.scale,
        custom=survey.texts or {},
        locale=locale,
        product=survey.project.name,
    )
    return texts


def _score(value: Any, survey: Survey) -> int | None:
    try:
        score = int(str(value))
    except ValueError:
        return None
    low, high = survey.scale
    return score if low <= score <= high else None


def _page(
    request: HttpRequest,
    *,
    survey: Survey,
    locale: str,
    score: int | None,
    response: Response | None,
    action: str,
    auto_submit: bool = False,
    change_score: bool = False,
    saved: bool = False,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    low, high = survey.scale
    texts = _texts(survey, locale)
    category = None
    if score is not None:
        from promoter.responses.models import category_for

        category = str(category_for(survey.kind, score))
    context = {
        "survey": survey,
        "texts": texts,
        "scores": list(range(low, high + 1)),
        "score": score,
        "followup": texts["followup"].get(category, "") if category else "",
        "response": response,
        "action": action,
        "auto_submit": auto_submit,
        "change_score": change_score,
        "saved": saved,
        "error": error,
    }
    return render(request, "channels/answer.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_answer(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """A score button of an invitation: GET shows the answer page (which records the score
    by POST when a browser opens it); POST records it and opens the comment page."""
    invitation = _invitation(token)
    if invitation is None:
        return _invalid(request, why="This survey link is not valid: it may have been altered.")
    survey = invitation.survey
    chosen = _score(score, survey)
    if chosen is None:
        return _invalid(request, status=400, why="That score is not on this survey's scale.")
    now = timezone.now()
    if request.method == "GET":
        services.invitation_opened(invitation=invitation, now=now)
        return _page(
            request,
            survey=survey,
            locale=invitation.locale,
            score=chosen,
            response=None,
            action=request.path,
            auto_submit=True,
        )
    services.answer_record(invitation=invitation, score=chosen, now=now)
    return redirect("email-answer-page", token=token)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """The comment page of an invitation: add a comment, or change the score."""
    invitation = _invitation(token)
    if invitation is None:
        return _invalid(request, why="This survey link is not valid: it may have been altered.")
    survey = invitation.survey
    response = Response.objects.filter(public_id=services.response_id_for(invitation)).first()
    if request.method == "POST":
        score = _score(request.POST.get("score", ""), survey)
        if score is None and response is None:
            return _page(
                request,
                survey=survey,
                locale=invitation.locale,
                score=None,
                response=None,
                action=request.path,
                change_score=True,
                status=400,
                error="Choose a score first.",
            )
        try:
            response = services.answer_comment(
                invitation=invitation,
                comment=request.POST.get("comment", ""),
                score=score,
                now=timezone.now(),
            )
        except ApplicationError as exc:
            return _page(
                request,
                survey=survey,
                locale=invitation.locale,
                score=score,
                response=response,
                action=request.path,
                change_score=True,
                status=400,
                error=exc.detail,
            )
        return _page(
            request,
            survey=survey,
            locale=invitation.locale,
            score=response.score,
            response=response,
            action=request.path,
            change_score=True,
            saved=True,
        )
    return _page(
        request,
        survey=survey,
        locale=invitation.locale,
        score=response.score if response else None,
        response=response,
        action=request.path,
        change_score=True,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (scanners open links); POST unsubscribes (also RFC 8058's
    one-click POST from the mail client's own Unsubscribe button)."""
    invitation = _invitation(token)
    if invitation is None:
        return _invalid(request, why="This unsubscribe link is not valid.")
    person = invitation.end_user
    done = False
    if request.method == "POST":
        services.unsubscribe(end_user=person)
        done = True
    return render(
        request,
        "channels/unsubscribe.html",
        {
            "project": invitation.project,
            "email": person.email,
            "done": done or person.unsubscribed_at is not None,
        },
    )


def _rate_limited(request: HttpRequest, survey: Survey) -> bool:
    window = int(time.time() // 60)
    key = f"link:rl:{survey.pk}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        return cache.incr(key) > LINK_RATE_PER_MINUTE
    except ValueError:
        return False


def _link_survey(survey_id: str) -> Survey | None:
    try:
        public_id = uuid.UUID(survey_id)
    except ValueError:
        return None
    return (
        Survey.objects.select_related("project").filter(public_id=public_id, is_active=True).first()
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def link_survey(request: HttpRequest, survey_id: str) -> HttpResponse:
    """A survey's public link: anyone answers (``?email=`` names the person)."""
    survey = _link_survey(survey_id)
    if survey is None:
        return _invalid(request, why="This survey does not exist or is closed.")
    email = request.GET.get("email", "").strip()[:254]
    locale = request.GET.get("locale", "") or request.headers.get("Accept-Language", "")[:5]
    if request.method == "GET":
        return _page(
            request,
            survey=survey,
            locale=locale,
            score=None,
            response=None,
            action=request.get_full_path(),
        )
    if _rate_limited(request, survey):
        response = _invalid(request, status=429, why="Too many answers from here: try later.")
        response["Retry-After"] = "60"
        return response
    score = _score(request.POST.get("score", ""), survey)
    if score is None:
        return _page(
            request,
            survey=survey,
            locale=locale,
            score=None,
            response=None,
            action=request.get_full_path(),
            status=400,
            error="Choose a score.",
        )
    try:
        answer = services.link_answer(
            survey=survey, score=score, email=email, locale=locale, now=timezone.now()
        )
    except ApplicationError as exc:
        return _page(
            request,
            survey=survey,
            locale=locale,
            score=score,
            response=None,
            action=request.get_full_path(),
            status=400,
            error=exc.detail,
        )
    token = signing.Signer(salt=RESPONSE_SALT).sign(answer.public_id.hex)
    return redirect("link-survey-comment", survey_id=survey_id, token=token)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def link_survey_comment(request: HttpRequest, survey_id: str, token: str) -> HttpResponse:
    survey = _link_survey(survey_id)
    try:
        response_id = uuid.UUID(hex=signing.Signer(salt=RESPONSE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        response_id = None
    response = (
        Response.objects.filter(public_id=response_id, survey=survey).first()
        if survey is not None and response_id is not None
        else None
    )
    if survey is None or response is None:
        return _invalid(request, why="This link is not valid: it may have been altered.")
    locale = response.locale
    if request.method == "POST":
        try:
            services.link_comment(
                response=response, comment=request.POST.get("comment", ""), now=timezone.now()
            )
        except ApplicationError as exc:
            return _page(
                request,
                survey=survey,
                locale=locale,
                score=response.score,
                response=response,
                action=request.path,
                status=400,
                error=exc.detail,
            )
        return _page(
            request,
            survey=survey,
            locale=locale,
            score=response.score,
            response=response,
            action=request.path,
            saved=True,
        )
    return _page(
        request,
        survey=survey,
        locale=locale,
        score=response.score,
        response=response,
        action=request.path,
    )
