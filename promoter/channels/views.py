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

import contextlib
import functools
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from promoter.access import (
    NotFound,
    email_invitation_get_by_token,
    link_survey_get,
    response_get_in_project,
    response_get_in_survey,
)
from promoter.channels import services
from promoter.channels.models import Invitation
from promoter.channels.questions import asked_answers, page_questions, posted_answers
from promoter.core.clients import client_scope
from promoter.core.errors import ApplicationError
from promoter.core.inputs import unstorable
from promoter.responses.models import Channel, Response
from promoter.surveys.models import Survey
from promoter.surveys.texts import product_name, resolve_texts

LINK_RATE_PER_MINUTE = 20
RESPONSE_SALT = "promoter.channels.link-response"


def _invalid(request: HttpRequest, *, status: int = 404, why: str = "") -> HttpResponse:
    return render(request, "channels/invalid.html", {"why": why}, status=status)


# A language tag as the survey texts are looked up by (en, pt-BR, zh-Hant-TW), as long as the
# responses' locale column holds.
_LOCALE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")
MAX_LOCALE = 35
MAX_EMAIL = 254


class BadParameter(Exception):
    """A parameter of a public page is wrong: a 400 page naming it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} {problem}")
        self.name, self.problem = name, problem


def public_page(
    *methods: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Make a view a public survey page answering ``methods``: exempt from CSRF (the signed
    token or the survey id in the URL is the capability), and refusing with a 400 page, before
    anything is read or written, a parameter no database stores (NUL, a lone surrogate) or one
    the view finds wrong (:class:`BadParameter`): the checks of every API."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            sent = {**dict(request.GET.lists()), **dict(request.POST.lists())}
            found = unstorable(sent)
            try:
                if found is not None:
                    raise BadParameter(found[0].split(".")[0], found[1])
                return view(request, *args, **kwargs)
            except BadParameter as exc:
                return _invalid(
                    request,
                    status=400,
                    why=f"This link is not valid: its {exc.name} {exc.problem}.",
                )

        return csrf_exempt(require_http_methods(list(methods))(checked))

    return decorate


def _locale(request: HttpRequest) -> str:
    """Return the language the page is asked in: ``?locale=`` (refused when it is not a
    language tag), else the browser's first choice (Accept-Language), else ""."""
    given = request.GET.get("locale", "")
    if given:
        if len(given) > MAX_LOCALE or not _LOCALE.match(given):
            raise BadParameter("locale", "must be a language tag such as en or pt-BR")
        return given
    for tag, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")[:200]):
        if tag != "*" and len(tag) <= MAX_LOCALE and _LOCALE.match(tag):
            return tag
    return ""


def _email(request: HttpRequest) -> str:
    """Return the ``?email=`` a link names its person by (lower case), or ""; refused when it
    is not an e-mail address."""
    email = request.GET.get("email", "").strip().lower()
    if not email:
        return ""
    try:
        if len(email) > MAX_EMAIL:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise BadParameter("email", "is not an e-mail address") from None
    return email


def _invitation(token: str) -> Invitation | None:
    try:
        return email_invitation_get_by_token(token=token)
    except NotFound:
        return None


def _invitation_response(invitation: Invitation) -> Response | None:
    """Return the response the invitation's links recorded, if one was."""
    try:
        return response_get_in_project(
            project=invitation.project, public_id=services.response_id_for(invitation)
        )
    except NotFound:
        return None


def _texts(survey: Survey, locale: str) -> dict[str, Any]:
    _chosen, texts = resolve_texts(
        kind=survey.kind,
        scale=survey.scale,
        custom=survey.texts or {},
        locale=locale,
        product=product_name(survey.project),
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
    answer_errors: Mapping[str, str] | None = None,
) -> HttpResponse:
    low, high = survey.scale
    texts = _texts(survey, locale)
    page = page_questions(survey=survey, response=response)
    category = None
    if score is not None:
        from promoter.surveys.scales import category_for

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
        "questions": page.form(
            survey=survey, response=response, score=score, errors=answer_errors or {}
        ),
        "version": page.version,
        "closing": page.closing(survey=survey, response=response, score=score) if saved else None,
    }
    return render(request, "channels/answer.html", context, status=status)


def _answers(
    request: HttpRequest, *, survey: Survey, response: Response | None, score: int | None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Return the answers to additional questions the comment page posted (those on the
    person's path), the version they answer, and the required ones left blank."""
    page = page_questions(survey=survey, response=response)
    if score is None:
        return {}, page.version, {}
    kept, missing = asked_answers(
        survey=survey,
        page=page,
        given=posted_answers(page.questions, request.POST),
        score=score,
        properties=dict(response.properties or {}) if response is not None else {},
    )
    return kept, page.version, missing


def _answer_errors(exc: ApplicationError) -> dict[str, str]:
    """Return the problems of a refused answer by question id (fields ``answers.<id>``)."""
    found: dict[str, str] = {}
    for name, why in (exc.fields or {}).items():
        if name.startswith("answers."):
            found[name.split(".")[1]] = str(why)
    return found


def _closed(survey: Survey, channel: str) -> bool:
    """Return whether ``survey`` no longer takes answers on ``channel``: switched off, or
    that channel turned off in its settings."""
    return not survey.is_active or channel not in (survey.channels or ())


def _closed_page(request: HttpRequest) -> HttpResponse:
    return _invalid(request, status=410, why="This survey is closed. Thank you all the same.")


@public_page("GET", "HEAD", "POST")
def email_answer(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """A score button of an invitation: GET shows the answer page (which records the score
    by POST when a browser opens it); POST records it and opens the comment page. HEAD
    answers like GET and records nothing, not even that the mail was opened."""
    invitation = _invitation(token)
    if invitation is None:
        return _invalid(request, why="This survey link is not valid: it may have been altered.")
    survey = invitation.survey
    chosen = _score(score, survey)
    if chosen is None:
        return _invalid(request, status=400, why="That score is not on this survey's scale.")
    if _closed(survey, Channel.EMAIL):
        return _closed_page(request)
    now = timezone.now()
    if request.method != "POST":
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


def _saved(request: HttpRequest) -> HttpResponse:
    """Redirect to the page just posted to, saying it was saved (POST, redirect, GET: a
    refresh does not send the comment again)."""
    return redirect(f"{request.path}?saved=1")


@public_page("GET", "POST")
def email_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """The comment page of an invitation: add a comment, or change the score."""
    invitation = _invitation(token)
    if invitation is None:
        return _invalid(request, why="This survey link is not valid: it may have been altered.")
    survey = invitation.survey
    if _closed(survey, Channel.EMAIL):
        return _closed_page(request)
    response = _invitation_response(invitation)
    if request.method == "POST":
        score = _score(request.POST.get("score", ""), survey)
        error = ""
        answer_errors: dict[str, str] = {}
        if score is None and request.POST.get("score"):
            error = "That score is not on this survey's scale."
        elif score is None and response is None:
            error = "Choose a score first."
        else:
            answers, version, answer_errors = _answers(
                request,
                survey=survey,
                response=response,
                score=score if score is not None else response.score if response else None,
            )
            if answer_errors:
                error = "Please answer the questions marked below."
            else:
                try:
                    services.answer_comment(
                        invitation=invitation,
                        comment=request.POST.get("comment", ""),
                        score=score,
                        answers=answers,
                        version=version,
                        now=timezone.now(),
                    )
                except ApplicationError as exc:
                    error, answer_errors = exc.detail, _answer_errors(exc)
        if not error:
            return _saved(request)
        return _page(
            request,
            survey=survey,
            locale=invitation.locale,
            score=score if score is not None else (response.score if response else None),
            response=response,
            action=request.path,
            change_score=True,
            status=400,
            error=error,
            answer_errors=answer_errors,
        )
    return _page(
        request,
        survey=survey,
        locale=invitation.locale,
        score=response.score if response else None,
        response=response,
        action=request.path,
        change_score=True,
        saved=response is not None and request.GET.get("saved") == "1",
    )


@public_page("GET", "POST")
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
    key = f"link:rl:{survey.pk}:{client_scope(request)}:{window}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        return cache.incr(key) > LINK_RATE_PER_MINUTE
    except ValueError:
        return False


def _link_survey(survey_id: str) -> Survey | None:
    """Return the survey of a public link while it takes answers there (active, with the
    link channel on), else None."""
    try:
        survey = link_survey_get(public_id=survey_id)
    except NotFound:
        return None
    return None if _closed(survey, Channel.LINK) else survey


def _link_closed(request: HttpRequest) -> HttpResponse:
    return _invalid(request, why="This survey does not exist or is closed.")


@public_page("GET", "POST")
def link_survey(request: HttpRequest, survey_id: str) -> HttpResponse:
    """A survey's public link: anyone answers, anonymously, or as the person ``?email=``
    names when the link may name them (docs/email-surveys.md, "Link surveys")."""
    survey = _link_survey(survey_id)
    if survey is None:
        return _link_closed(request)
    locale = _locale(request)
    email = services.link_person_email(
        survey=survey, email=_email(request), signature=request.GET.get("sig", "")
    )
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
    error, status = "", 400
    if score is None:
        error = "Choose a score."
    else:
        try:
            answer = services.link_answer(
                survey=survey, score=score, email=email, locale=locale, now=timezone.now()
            )
        except ApplicationError as exc:
            error, status = exc.detail, exc.status
    if error:
        return _page(
            request,
            survey=survey,
            locale=locale,
            score=None,
            response=None,
            action=request.get_full_path(),
            status=status,
            error=error,
        )
    token = signing.Signer(salt=RESPONSE_SALT).sign(answer.public_id.hex)
    return redirect("link-survey-comment", survey_id=survey_id, token=token)


@public_page("GET", "POST")
def link_survey_comment(request: HttpRequest, survey_id: str, token: str) -> HttpResponse:
    """The comment page of an answer given on a survey's public link."""
    survey = _link_survey(survey_id)
    try:
        response_id = uuid.UUID(hex=signing.Signer(salt=RESPONSE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        response_id = None
    response = None
    if survey is not None and response_id is not None:
        with contextlib.suppress(NotFound):
            response = response_get_in_survey(survey=survey, public_id=response_id)
    if survey is None or response is None:
        return _invalid(request, why="This link is not valid: it may have been altered.")
    locale = response.locale
    if request.method == "POST":
        answers, version, answer_errors = _answers(
            request, survey=survey, response=response, score=response.score
        )
        try:
            if answer_errors:
                raise ApplicationError(
                    code="invalid",
                    detail="Please answer the questions marked below.",
                    fields={f"answers.{qid}": why for qid, why in answer_errors.items()},
                )
            services.link_comment(
                response=response,
                comment=request.POST.get("comment", ""),
                answers=answers,
                version=version,
                now=timezone.now(),
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
                answer_errors=_answer_errors(exc),
            )
        return _saved(request)
    return _page(
        request,
        survey=survey,
        locale=locale,
        score=response.score,
        response=response,
        action=request.path,
        saved=request.GET.get("saved") == "1",
    )
