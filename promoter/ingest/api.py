"""The widget's public API under ``/i/v1/`` (docs/ingest-api.md).

Public-key auth only, no cookies, no sessions, no CSRF (nothing here acts for a logged-in
user). Each operation: parse, find the project by key, check the origin and the rate limit,
resolve the person, call one service or selector, render.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from ninja import NinjaAPI, Status
from ninja.renderers import JSONRenderer

from promoter import access
from promoter.accounts.models import Project
from promoter.actions.eligibility import offer_claim
from promoter.actions.responses import (
    decline_record,
    display_record,
    response_change,
    response_record,
)
from promoter.core.clients import client_scope
from promoter.core.errors import ApplicationError
from promoter.core.ids import user_hash_for
from promoter.core.inputs import StrictParser
from promoter.core.ninja import error_handlers
from promoter.ingest import schemas as s
from promoter.ingest.cache import KeyConfig, PersonLookup, PersonState, lookup
from promoter.ingest.http import check_origin, edge, rate_limit
from promoter.people.models import EndUser
from promoter.people.services import (
    Identity,
    can_insert_first,
    end_user_find,
    end_user_insert,
    end_user_upsert,
)
from promoter.responses.eligibility import Decision, candidate_surveys, decide, person_with_history
from promoter.responses.models import Channel, Response
from promoter.responses.selectors import ContactHistory
from promoter.surveys.button import button_of
from promoter.surveys.models import Survey
from promoter.surveys.payload import survey_payload
from promoter.surveys.scales import category_for

logger = logging.getLogger(__name__)

# The errors every ingest operation may answer with (docs/ingest-api.md, "Errors").
ERRORS: dict[int, Any] = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    429: s.ErrorOut,
    503: s.ErrorOut,
}


class _BodyParser(StrictParser):
    """Accept a JSON object sent as application/json or text/plain (no CORS pre-flight);
    refuse text no database stores (NUL, lone surrogates) naming the field."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
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


def _unverified_answer(request: HttpRequest, exc: ApplicationError) -> dict[str, Any]:
    """An unverified eligibility call answers "not eligible" too, for widgets that read it."""
    if exc.code == "unverified" and request.path.endswith("/eligibility"):
        return {"eligible": False, "reason": "unverified"}
    return {}


error_handlers(
    api,
    name="ingest",
    not_json=ApplicationError(
        code="invalid_json",
        detail="The body must be a JSON object.",
        fields={"body": "not a JSON object"},
    ),
    extra=_unverified_answer,
)


def _admit(request: HttpRequest, project: Project) -> None:
    """Refuse a browser at an origin the project does not allow, then count the call."""
    check_origin(request, project.allowed_origins or [])
    rate_limit(key=project.public_key, address=client_scope(request))


def _unknown_key() -> ApplicationError:
    return ApplicationError(
        code="unknown_key",
        detail="No project has this public key.",
        fields={"key": "unknown"},
        status=404,
    )


def _config(
    request: HttpRequest, payload: s.IdentityIn, locale: str = ""
) -> tuple[KeyConfig, PersonLookup]:
    """Return what the payload's key stands for and the lookup of the person it names (read
    together from the cache), after the origin check and the rate limit."""
    config, person = lookup(payload.key, _claimed(payload, locale))
    if config is None:
        raise _unknown_key()
    _admit(request, config.project)
    return config, person


def _claimed(payload: s.IdentityIn, locale: str = "") -> Identity | None:
    """Return who the payload says the person is (not verified yet), or None if it does not."""
    user = payload.user or s.UserIn(id=None, signed_up_at=None)
    external_id = user.id if isinstance(user.id, str) else None
    if not (external_id or user.email or payload.anonymous_id):
        return None
    return Identity(
        external_id=external_id,
        email=user.email,
        anonymous_id=payload.anonymous_id,
        signed_up_at=user.signed_up_at,
        properties=user.properties,
        locale=locale,
    )


def _identity(project: Project, payload: s.IdentityIn, locale: str = "") -> Identity:
    """Return who the payload says the person is, checked against the project's secret when
    it verifies identities."""
    identity = _claimed(payload, locale)
    if identity is None:
        raise ApplicationError(
            code="invalid",
            detail="Say who the person is: user.id, user.email or anonymous_id.",
            fields={"user": "needs an id or an e-mail (or send anonymous_id)"},
        )
    if project.require_identity_verification and identity.identified:
        identifier = identity.external_id or identity.email or ""
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


def _config_and_survey(
    request: HttpRequest, payload: s.IdentityIn, survey_id: uuid.UUID, locale: str = ""
) -> tuple[KeyConfig, PersonLookup, Survey]:
    """Return what the payload's key stands for, the person lookup, and the active survey
    ``survey_id``."""
    config, person = _config(request, payload, locale)  # an unknown key first, then origin
    survey = config.survey(survey_id)
    if survey is None:
        raise ApplicationError(
            code="unknown_survey",
            detail="This project has no active survey with this id.",
            fields={"survey": "unknown"},
            status=404,
        )
    return config, person, survey


def _record(
    request: HttpRequest, payload: s.SurveyRefIn, action: Any, **extra: Any
) -> Status[dict[str, Any]]:
    """Record a display or a decline of the payload's survey with ``action``
    (:func:`display_record` or :func:`decline_record`)."""
    config, lookup_, survey = _config_and_survey(request, payload, payload.survey)
    project = config.project
    identity = _identity(project, payload)
    row = action(
        survey=survey,
        person=identity,
        known=_known(project, identity, lookup_),
        looked_up=True,
        channel=payload.channel,
        public_id=payload.id,
        **extra,
    )
    return Status(201, {"id": row.public_id})


def _known(project: Project, identity: Identity, lookup_: PersonLookup) -> EndUser | None:
    """Return the person ``identity`` names as stored now (None: not known yet), writing
    nothing: a person who is cached costs no read, and one who is not is cached for the next
    call (before any write, which makes the entry stale at once)."""
    person = lookup_.person()
    if person is None:
        person = end_user_find(project=project, identity=identity)
        lookup_.store_person(person)
    return person


@api.post(
    "/eligibility",
    response={200: s.EligibilityOut, **ERRORS, 401: s.IneligibleErrorOut},
    summary="Should this person be surveyed now? If so, with which survey",
)
def eligibility(request: HttpRequest, payload: s.EligibilityIn) -> dict[str, Any]:
    config, lookup_ = _config(request, payload, payload.locale)
    answer = _eligibility(payload, config, lookup_)
    answer["watch_pages"] = any(v.pages and not v.trigger_event for v in config.surveys)
    answer["button"] = _button(config, payload)
    return answer


def _button(config: KeyConfig, payload: s.EligibilityIn) -> dict[str, Any] | None:
    """Return the feedback button of the project's oldest active survey that has one on the
    person's channel, with the survey it opens; None when there is none."""
    for survey in config.surveys:
        button = button_of(survey.button)
        if button is not None and payload.channel in (survey.channels or ()):
            return {
                "survey": survey_payload(
                    project=config.project, survey=survey, locale=payload.locale
                ),
                "placement": button["placement"],
                "label": button["label"],
            }
    return None


def _eligibility(
    payload: s.EligibilityIn, config: KeyConfig, lookup_: PersonLookup
) -> dict[str, Any]:
    project = config.project
    identity = _identity(project, payload, locale=payload.locale)
    now = timezone.now()
    surveys = candidate_surveys(
        config.surveys,
        event=payload.event,
        survey_public_id=str(payload.survey) if payload.survey else None,
    )
    decide_for = functools.partial(
        decide,
        project=project,
        surveys=surveys,
        identity=identity,
        channel=payload.channel,
        now=now,
        force=payload.force,
        url=payload.url,
    )
    state = lookup_.get()
    if state is None and lookup_.unseen and can_insert_first(identity):
        # Most likely a new person: decide as for one, and create them (with the offer's
        # hold when they are offered a survey) in one statement, which does nothing when
        # they exist after all; then the usual path below decides.
        decision = decide_for(person=None, history=ContactHistory())
        hold = None
        if decision.survey is not None and not payload.force:
            hold = _hold_until(decision.survey, now)
        person = end_user_insert(project=project, identity=identity, now=now, offered_until=hold)
        if person is not None:
            return _eligibility_answer(project, decision, payload.locale or person.locale)
    if state is None:
        state = PersonState(*person_with_history(project=project, identity=identity))
        lookup_.store(state)  # before any write below, which makes it stale at once
    person, history = state.person, state.history
    decision = decide_for(person=person, history=history)
    person = end_user_upsert(
        project=project, identity=identity, now=now, existing=person, looked_up=True
    )
    if decision.survey is not None and not payload.force:
        held_until = _offer_claim(person, decision.survey, now, history)
        if held_until is not None:
            return {"eligible": False, "reason": "offered", "next_eligible_at": held_until}
    return _eligibility_answer(project, decision, payload.locale or person.locale)


def _eligibility_answer(project: Project, decision: Decision, locale: str) -> dict[str, Any]:
    if decision.survey is None:
        return {
            "eligible": False,
            "reason": decision.reason,
            "next_eligible_at": decision.next_eligible_at,
        }
    return {
        "eligible": True,
        "reason": None,
        "survey": survey_payload(project=project, survey=decision.survey, locale=locale),
    }


def _hold_until(survey: Survey, now: datetime.datetime) -> datetime.datetime | None:
    """Return until when an offer of ``survey`` made ``now`` holds the person (None: offers
    do not hold): INGEST_OFFER_HOLD_SECONDS after the widget's display delay."""
    seconds = settings.INGEST_OFFER_HOLD_SECONDS
    if not seconds:
        return None
    return now + datetime.timedelta(seconds=seconds + survey.delay_seconds)


def _offer_claim(
    person: EndUser, survey: Survey, now: datetime.datetime, history: ContactHistory
) -> datetime.datetime | None:
    """Claim the offer of ``survey`` to ``person`` (:func:`offer_claim`, held until
    :func:`_hold_until`); return None when the claim is ours, else until when another page's
    offer holds them."""
    until = _hold_until(survey, now)
    if until is None:
        return None
    return offer_claim(person=person, until=until, now=now, history=history)


@api.post(
    "/displays",
    response={201: s.CreatedOut, **ERRORS, 409: s.ErrorOut},
    summary="The survey was shown",
)
def displays(request: HttpRequest, payload: s.SurveyRefIn) -> Status[dict[str, Any]]:
    # The offer's hold is renewed once the survey is on screen, so that no other page offers
    # a survey while the person reads and answers it (the hold then lapses by itself).
    seconds = settings.INGEST_OFFER_HOLD_SECONDS
    hold = timezone.now() + datetime.timedelta(seconds=seconds) if seconds else None
    return _record(request, payload, display_record, hold_until=hold)


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
    config, lookup_, survey = _config_and_survey(request, payload, payload.survey, payload.locale)
    project = config.project
    identity = _identity(project, payload, locale=payload.locale)
    # What the key's cached configuration knows spares the lookups of rules there are none of.
    response, created = response_record(
        survey=survey,
        score=payload.score,
        person=identity,
        known=_known(project, identity, lookup_),
        looked_up=True,
        channel=Channel.BUTTON if payload.source == "button" else payload.channel,
        comment=payload.comment,
        locale=payload.locale,
        origin_url=payload.url,
        public_id=payload.id,
        autotag_rules=None if config.has_autotag_rules else [],
        routes=None if config.has_routes else [],
        answers=payload.answers,
        version=payload.version,
    )
    return Status(201 if created else 200, _response_out(response, survey))


@api.patch(
    "/responses/{response_id}",
    response={200: s.ResponseOut, **ERRORS},
    summary="Add the comment a person wrote after their score, or answers to questions",
)
def response_comment(
    request: HttpRequest, response_id: uuid.UUID, payload: s.CommentIn
) -> dict[str, Any]:
    if payload.comment is None and not payload.answers:
        raise ApplicationError(
            code="invalid",
            detail="Send a comment, answers, or both.",
            fields={"comment": "required without answers"},
        )
    config, lookup_ = _config(request, payload)
    project = config.project
    identity = _identity(project, payload)
    known = _known(project, identity, lookup_)
    response = None
    if known is not None:  # a person never seen has no response: nothing to look up
        response = access.response_find_of_person(
            project=project, public_id=response_id, person=known
        )
    if response is None:
        raise ApplicationError(
            code="unknown_response",
            detail="This person has no response with this id.",
            fields={"id": "unknown"},
            status=404,
        )
    with transaction.atomic():
        end_user_upsert(
            project=project, identity=identity, now=timezone.now(), existing=known, looked_up=True
        )
        response_change(
            response=response,
            comment=payload.comment,
            answers=payload.answers,
            version=payload.version,
        )
    return _response_out(response, response.survey)


@api.post(
    "/declines",
    response={201: s.CreatedOut, **ERRORS, 409: s.ErrorOut},
    summary="The person dismissed the survey",
)
def declines(request: HttpRequest, payload: s.SurveyRefIn) -> Status[dict[str, Any]]:
    return _record(request, payload, decline_record)


def urlpatterns() -> list[URLPattern | URLResolver]:
    """Return the API's URL patterns, each wrapped by the public edge (CORS, body cap)."""
    patterns, _app, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = edge(pattern.callback)
        wrapped.append(pattern)
    return wrapped
