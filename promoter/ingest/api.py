"""The widget's public API under ``/i/v1/`` (docs/ingest-api.md; STYLE.md #5).

Public-key auth only, no cookies, no sessions, no CSRF (nothing here acts for a logged-in
user). Each operation: parse, find the project by key, check the origin and the rate limit,
resolve the person, call one service or selector, render.
"""

from __future__ import annotations

import hmac
import json
import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from promoter.accounts.models import Project
from promoter.core.errors import ApplicationError
from promoter.core.ids import user_hash_for
from promoter.ingest import schemas as s
from promoter.ingest.http import check_origin, client_address, edge, error_response, rate_limit
from promoter.ingest.selectors import (
    candidate_surveys,
    decide,
    person_with_history,
    surveys_for_key,
)
from promoter.integrations.models import Event
from promoter.integrations.services import response_changed, response_stored, routes_for
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_upsert
from promoter.responses.models import Response, category_for
from promoter.responses.services import (
    autotag_rules_for,
    check_score,
    clean_comment,
    decline_create,
    display_create,
    response_comment_set,
    response_create,
)
from promoter.surveys.models import Survey
from promoter.surveys.texts import resolve_texts
from promoter.text.sentiment import sentiment_for

DEFAULT_LOOK = {
    "primary_color": "#4338ca",
    "text_color": "#111827",
    "background_color": "#ffffff",
    "position": "bottom-right",
}
# The errors every ingest operation may answer with (docs/ingest-api.md, "Errors").
ERRORS: dict[int, Any] = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    429: s.ErrorOut,
}
CATEGORY_BOUNDS = {"nps": (6, 9), "csat": (2, 4), "ces": (3, 5)}


class _BodyParser(Parser):
    """Accept a JSON object sent as application/json or text/plain (no CORS pre-flight)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data


class _Renderer(JSONRenderer):
    json_dumps_params = {"separators": (",", ":")}


api = NinjaAPI(
    title="Promoter ingest API",
    version="1",
    description="The widget's public API: eligibility, displays, responses, declines.",
    urls_namespace="ingest",
    parser=_BodyParser(),
    renderer=_Renderer(),
    docs_url="/docs",
)


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        name = _field_name(list(error.get("loc", ())))
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "is required"
        fields.setdefault(name, message)
    listed = ", ".join(fields)
    return error_response(
        ApplicationError(code="invalid", detail=f"Invalid input: {listed}.", fields=fields)
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        error = ApplicationError(
            code="invalid_json",
            detail="The body must be a JSON object.",
            fields={"body": "not a JSON object"},
        )
    else:
        error = ApplicationError(code="error", detail=str(exc), status=exc.status_code)
    return error_response(error)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    extra: dict[str, Any] = {}
    if exc.code == "unverified" and request.path.endswith("/eligibility"):
        extra = {"eligible": False, "reason": "unverified"}
    response = error_response(exc, **extra)
    if (retry_after := getattr(exc, "retry_after", None)) is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _admit(request: HttpRequest, project: Project) -> None:
    """Refuse a browser at an origin the project does not allow, then count the call."""
    check_origin(request, project.allowed_origins or [])
    rate_limit(key=project.public_key, address=client_address(request))


def _unknown_key() -> ApplicationError:
    return ApplicationError(
        code="unknown_key",
        detail="No project has this public key.",
        fields={"key": "unknown"},
        status=404,
    )


def _project(request: HttpRequest, payload: s.IdentityIn) -> Project:
    """Return the project of the payload's key, after the origin check and the rate limit."""
    project = Project.objects.filter(public_key=payload.key).first()
    if project is None:
        raise _unknown_key()
    _admit(request, project)
    return project


def _identity(project: Project, payload: s.IdentityIn, locale: str = "") -> Identity:
    user = payload.user or s.UserIn(id=None, signed_up_at=None)
    external_id = user.id if isinstance(user.id, str) else None
    if not (external_id or user.email or payload.anonymous_id):
        raise ApplicationError(
            code="invalid",
            detail="Say who the person is: user.id, user.email or anonymous_id.",
            fields={"user": "needs an id or an e-mail (or send anonymous_id)"},
        )
    identity = Identity(
        external_id=external_id,
        email=user.email,
        anonymous_id=payload.anonymous_id,
        signed_up_at=user.signed_up_at,
        properties=user.properties,
        locale=locale,
    )
    if project.require_identity_verification and identity.identified:
        identifier = external_id or user.email or ""
        expected = user_hash_for(secret=project.secret, identifier=identifier)
        given = (payload.user_hash or "").strip().lower()
        if not given or not hmac.compare_digest(given, expected):
            raise ApplicationError(
                code="unverified",
                detail="This project verifies identities: user_hash must be the hex "
                "HMAC-SHA256 of the user's id (else e-mail) keyed with the project secret.",
                fields={"user_hash": "missing" if not given else "does not match"},
                status=401,
            )
    return identity


def _project_and_survey(
    request: HttpRequest, payload: s.IdentityIn, survey_id: uuid.UUID
) -> tuple[Project, Survey]:
    """Return the payload's project and its active survey ``survey_id`` in one query."""
    survey = (
        Survey.objects.select_related("project")
        .filter(project__public_key=payload.key, public_id=survey_id, is_active=True)
        .first()
    )
    if survey is None:
        _project(request, payload)  # an unknown key, a refused origin: say so first
        raise ApplicationError(
            code="unknown_survey",
            detail="This project has no active survey with this id.",
            fields={"survey": "unknown"},
            status=404,
        )
    project = survey.project
    _admit(request, project)
    return project, survey


def _record(request: HttpRequest, payload: s.SurveyRefIn, create: Any) -> Status[dict[str, Any]]:
    """Record a display or a decline (``create`` is its service) of the payload's survey."""
    project, survey = _project_and_survey(request, payload, payload.survey)
    person = _person(project, _identity(project, payload))
    row = create(
        survey=survey,
        end_user=person,
        channel=payload.channel,
        now=timezone.now(),
        public_id=payload.id,
    )
    return Status(201, {"id": row.public_id})


def _person(project: Project, identity: Identity) -> EndUser:
    return end_user_upsert(project=project, identity=identity, now=timezone.now())


def survey_payload(*, project: Project, survey: Survey, locale: str) -> dict[str, Any]:
    """Return what the widget needs to show ``survey`` to a person preferring ``locale``."""
    low, high = survey.scale
    product = str((project.look or {}).get("product_name") or project.name)
    chosen, texts = resolve_texts(
        kind=survey.kind,
        scale=(low, high),
        custom=survey.texts or {},
        locale=locale,
        product=product,
    )
    look = {**DEFAULT_LOOK}
    for source in (project.look or {}, survey.look or {}):
        look.update({k: str(v) for k, v in source.items() if k in DEFAULT_LOOK and v})
    detractor_max, promoter_min = CATEGORY_BOUNDS[survey.kind]
    return {
        "id": survey.public_id,
        "kind": survey.kind,
        "scale": {"min": low, "max": high},
        "categories": {"detractor_max": detractor_max, "promoter_min": promoter_min},
        "locale": chosen,
        "texts": texts,
        "cta_url": survey.cta_url or "",
        "trigger_event": survey.trigger_event or None,
        "delay_seconds": survey.delay_seconds,
        "look": look,
    }


@api.post(
    "/eligibility",
    response={200: s.EligibilityOut, **ERRORS, 401: s.IneligibleErrorOut},
    summary="Should this person be surveyed now? If so, with which survey",
)
def eligibility(request: HttpRequest, payload: s.EligibilityIn) -> dict[str, Any]:
    project, active = surveys_for_key(key=payload.key)
    if project is None:
        raise _unknown_key()
    _admit(request, project)
    identity = _identity(project, payload, locale=payload.locale)
    now = timezone.now()
    surveys = candidate_surveys(
        active,
        event=payload.event,
        survey_public_id=str(payload.survey) if payload.survey else None,
    )
    person, history = person_with_history(project=project, identity=identity)
    decision = decide(
        project=project,
        surveys=surveys,
        identity=identity,
        person=person,
        history=history,
        channel=payload.channel,
        now=now,
        force=payload.force,
    )
    end_user_upsert(project=project, identity=identity, now=now, existing=person, looked_up=True)
    if decision.survey is None:
        return {
            "eligible": False,
            "reason": decision.reason,
            "next_eligible_at": decision.next_eligible_at,
        }
    locale = payload.locale or (person.locale if person else "")
    return {
        "eligible": True,
        "reason": None,
        "survey": survey_payload(project=project, survey=decision.survey, locale=locale),
    }


@api.post(
    "/displays",
    response={201: s.CreatedOut, **ERRORS},
    summary="The survey was shown",
)
def displays(request: HttpRequest, payload: s.SurveyRefIn) -> Status[dict[str, Any]]:
    return _record(request, payload, display_create)


def _response_out(response: Response, survey: Survey) -> dict[str, Any]:
    return {
        "id": response.public_id,
        "survey": survey.public_id,
        "score": response.score,
        "category": category_for(survey.kind, response.score),
        "comment": response.comment,
    }


@api.post(
    "/responses",
    response={200: s.ResponseOut, 201: s.ResponseOut, **ERRORS, 409: s.ErrorOut},
    summary="A person chose a score (and maybe wrote a comment)",
)
def responses(request: HttpRequest, payload: s.ResponseIn) -> Status[dict[str, Any]]:
    project, survey = _project_and_survey(request, payload, payload.survey)
    identity = _identity(project, payload, locale=payload.locale)
    check_score(survey=survey, score=payload.score)
    clean_comment(payload.comment)  # refuse bad input before anything is written
    person = _person(project, identity)
    sentiment = sentiment_for(payload.comment)
    fields: dict[str, Any] = {
        "public_id": payload.id,
        "survey": survey,
        "end_user": person,
        "score": payload.score,
        "comment": payload.comment,
        "locale": payload.locale,
        "channel": payload.channel,
        "origin_url": payload.url,
        "sentiment": sentiment,
    }
    autotag_rules = autotag_rules_for(project_id=project.pk, survey_id=survey.pk)
    routes = routes_for(project_id=project.pk, events=[Event.CREATED, Event.TAGGED])
    if not autotag_rules and not routes:  # the common case: one INSERT, no transaction
        response, created = response_create(**fields, now=timezone.now())
    else:
        # The response, its tags and its deliveries are stored together or not at all.
        with transaction.atomic():
            response, created = response_create(**fields, now=timezone.now())
            if created:
                response_stored(response=response, autotag_rules=autotag_rules, routes=routes)
    return Status(201 if created else 200, _response_out(response, survey))


@api.patch(
    "/responses/{response_id}",
    response={200: s.ResponseOut, **ERRORS},
    summary="Add the comment a person wrote after their score",
)
def response_comment(
    request: HttpRequest, response_id: uuid.UUID, payload: s.CommentIn
) -> dict[str, Any]:
    project = _project(request, payload)
    identity = _identity(project, payload)
    clean_comment(payload.comment)
    person = _person(project, identity)
    response = (
        Response.objects.select_related("survey")
        .filter(project=project, public_id=response_id, end_user=person)
        .first()
    )
    if response is None:
        raise ApplicationError(
            code="unknown_response",
            detail="This person has no response with this id.",
            fields={"id": "unknown"},
            status=404,
        )
    sentiment = sentiment_for(payload.comment)
    with transaction.atomic():
        before = response.comment
        response_comment_set(
            response=response, comment=payload.comment, now=timezone.now(), sentiment=sentiment
        )
        if response.comment != before:
            response_changed(response=response)
    return _response_out(response, response.survey)


@api.post(
    "/declines",
    response={201: s.CreatedOut, **ERRORS},
    summary="The person dismissed the survey",
)
def declines(request: HttpRequest, payload: s.SurveyRefIn) -> Status[dict[str, Any]]:
    return _record(request, payload, decline_create)


def urlpatterns() -> list[URLPattern | URLResolver]:
    """Return the API's URL patterns, each wrapped by the public edge (CORS, body cap)."""
    patterns, _app, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = edge(pattern.callback)
        wrapped.append(pattern)
    return wrapped
