"""Delighted's v1 API, answered by Promoter (docs/delighted-compat.md).

Delighted shut down on 30 June 2026. Code written against its API and its official clients
(Python, Ruby, Node, PHP) migrates by changing one base URL to ``…/delighted/v1/``. This
module speaks that wire format (docs/delighted-compat.md):
Basic auth with the API key as user name (with or without the colon), paths with or without
``.json``, JSON or form bodies, integer Unix timestamps, string ids, top-level arrays for
lists, 200/201/202 with a JSON body on success and ``{"status", "message", "errors"}`` on
failure. Everything is done by Promoter's own services, so a call here is the same as the
matching action in the dashboard or the REST API.

One Delighted project is one survey; here it is the project's NPS survey (its oldest active
one), else its oldest active survey.
"""

from __future__ import annotations

import datetime
import functools
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from promoter import access
from promoter.accounts.models import ApiKey, Project
from promoter.actions.erasure import person_erase
from promoter.actions.responses import response_change, response_record
from promoter.analytics.figures import overview_figure
from promoter.analytics.selectors import ResponseFilter
from promoter.api.auth import authenticate
from promoter.api.compat import params as p
from promoter.api.compat.params import Invalid
from promoter.api.pagination import paginate
from promoter.channels import services as channels
from promoter.channels.models import (
    Autopilot,
    AutopilotMember,
    InvitationSource,
)
from promoter.channels.selectors import (
    autopilot_members,
    autopilot_of,
    invitation_waiting,
    invitations_last_sent,
    invitations_next_scheduled,
)
from promoter.core.errors import ApplicationError, database_errors, database_unavailable
from promoter.people.models import EndUser
from promoter.people.selectors import people_for_project, people_with_status
from promoter.people.services import Identity, end_user_update, end_user_upsert
from promoter.responses.models import Answer, Channel, Response
from promoter.responses.selectors import (
    RESPONSE_ORDERS,
    answers_of,
    last_answer_at,
    last_answers_of,
    notes_of,
    responses_dated,
    tag_names_of,
)
from promoter.surveys.models import Survey, SurveyKind
from promoter.surveys.selectors import survey_first_active

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
PER_PAGE_DEFAULT, PER_PAGE_MAX = 20, 100
DEFAULT_AUTOPILOT_DAYS = 90
# Delighted's metrics without since/until: the 30 days up to the most recent response.
METRICS_DEFAULT_WINDOW = datetime.timedelta(days=30)


class Failure(Exception):
    def __init__(self, status: int, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(MESSAGES.get(status, "Error"))
        self.status = status
        self.errors = dict(errors or {})
        self.retry_after: int | None = None


def failure_response(exc: Failure) -> JsonResponse:
    body: dict[str, Any] = {"status": exc.status, "message": MESSAGES.get(exc.status, "Error")}
    if exc.errors:
        body["errors"] = exc.errors
    response = JsonResponse(body, status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="promoter"'
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def not_found(what: str) -> Failure:
    return Failure(404, {what: ["not found"]})


def _from_application_error(exc: ApplicationError) -> Failure:
    status = 422 if exc.status == 400 else exc.status
    errors = {name: [message] for name, message in exc.fields.items()}
    if not errors and status in (403, 409, 422):
        errors = {"base": [exc.detail]}
    failure = Failure(status, errors)
    failure.retry_after = exc.retry_after
    return failure


View = Callable[..., Any]  # (request, project, params, **path) -> (status, body)


def endpoint(**methods: View) -> Callable[..., HttpResponse]:
    """Build a view answering each HTTP method with its handler ``(request, project,
    params, **path) -> (status, body)``, in Delighted's shapes, after authenticating."""

    @csrf_exempt
    def view(request: HttpRequest, **path: str) -> HttpResponse:
        handler = methods.get(request.method.lower() if request.method else "")
        try:
            api_key: ApiKey = authenticate(request)
            if handler is None:
                raise Failure(405, {"method": [f"{request.method} is not allowed here"]})
            params = p.request_params(request)
            p.check_storable({**params, **path})
            status, body = handler(request, api_key.project, params, **path)
        except ApplicationError as exc:
            return failure_response(_from_application_error(exc))
        except Invalid as exc:
            return failure_response(Failure(422, exc.errors))
        except p.TooLarge as exc:
            return failure_response(Failure(413, {"body": [f"must be at most {exc.limit} bytes"]}))
        except database_errors() as exc:
            logger.warning("delighted: the database did not answer: %s", exc)
            return failure_response(_from_application_error(database_unavailable()))
        except Failure as exc:
            response = failure_response(exc)
            if exc.status == 405:
                response["Allow"] = ", ".join(view.allowed_methods)  # type: ignore[attr-defined]
            return response
        response = JsonResponse(body, status=status, safe=False)
        if isinstance(body, Paged) and body.next_url:
            response["Link"] = f'<{body.next_url}>; rel="next"'
        return response

    view.allowed_methods = tuple(method.upper() for method in methods)  # type: ignore[attr-defined]
    return view


class Paged(list[Any]):
    """A page of a cursor-paginated list, with the URL of the next page (or None)."""

    next_url: str | None = None


# Conversions ------------------------------------------------------------------------------


def unix(moment: datetime.datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def survey_of(project: Project) -> Survey:
    survey = survey_first_active(project=project, kind=SurveyKind.NPS)
    if survey is None:
        raise Failure(422, {"base": ["This project has no active survey: add one in Promoter"]})
    return survey


def _page_args(params: Mapping[str, Any]) -> tuple[int, int]:
    per_page = p.integer(params, "per_page", low=1, high=PER_PAGE_MAX) or PER_PAGE_DEFAULT
    page = p.integer(params, "page", low=1, high=1_000_000) or 1
    return page, per_page


def _next_url(request: HttpRequest, params: Mapping[str, Any], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    query = request.GET.copy()
    query["cursor"] = cursor
    # The body's filters (a client that sent them as JSON) travel in the link too.
    for name in ("per_page", "since", "until", "email", "phone_number", "person_id"):
        if name in params and name not in query and isinstance(params[name], str | int):
            query[name] = str(params[name])
    for name in ("person_email", "person_phone_number"):
        if name in params and name not in query and isinstance(params[name], str | int):
            query[name] = str(params[name])
    return f"{request.build_absolute_uri(request.path)}?{query.urlencode()}"


def _cursor_page(
    request: HttpRequest, params: Mapping[str, Any], qs: QuerySet[Any]
) -> tuple[list[Any], str | None]:
    per_page = p.integer(params, "per_page", low=1, high=PER_PAGE_MAX) or PER_PAGE_DEFAULT
    cursor = p.text(params, "cursor", max_length=500)
    try:
        page = paginate(qs, cursor=cursor, limit=per_page)
    except ApplicationError:
        raise Invalid({"cursor": "is invalid"}) from None
    return page.items, _next_url(request, params, page.next_cursor)


def person_name(person: EndUser) -> str | None:
    return person.display_name or None


def person_phone(person: EndUser) -> str | None:
    phone = (person.properties or {}).get("phone_number")
    return str(phone) if phone not in (None, "") else None


def person_brief(person: EndUser) -> dict[str, Any]:
    return {
        "id": str(person.public_id),
        "email": person.email,
        "name": person_name(person),
        "created_at": unix(person.created_at),
        "phone_number": person_phone(person),
    }


def people_out(people: list[EndUser]) -> list[dict[str, Any]]:
    """Delighted's person objects, with survey history read in three grouped queries."""
    ids = [person.pk for person in people]
    sent = invitations_last_sent(person_ids=ids)
    answered = last_answers_of(person_ids=ids)
    scheduled = invitations_next_scheduled(person_ids=ids)
    return [
        {
            **person_brief(person),
            "last_sent_at": unix(sent.get(person.pk)),
            "last_responded_at": unix(answered.get(person.pk)),
            "next_survey_scheduled_at": unix(scheduled.get(person.pk)),
        }
        for person in people
    ]


def person_by_id(project: Project, value: Any) -> EndUser | None:
    """The person a Delighted identifier names: an id, ``email:…`` or ``phone_number:…``."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or isinstance(value, bool | list | dict):
        return None
    value = str(value)
    if value.startswith("id:"):  # not a Delighted identifier
        return None
    return access.person_find_in_project(project=project, ref=value, by_phone=True)


def _email(params: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = p.text(params, name, max_length=254)
    if not value:
        if required:
            raise Invalid({name: "can't be blank"})
        return None
    try:
        validate_email(value)
    except ValidationError:
        raise Invalid({name: "is invalid"}) from None
    return value


# People -----------------------------------------------------------------------------------


def people_list(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    email = p.text(params, "email", max_length=254)
    phone = p.text(params, "phone_number", max_length=40)
    if email and phone:
        raise Invalid({"email": "give email or phone_number, not both"})
    qs = people_for_project(
        project=project,
        email=email,
        phone=phone,
        since=p.timestamp(params, "since"),
        until=p.timestamp(params, "until"),
    )
    rows, next_url = _cursor_page(request, params, qs)
    page = Paged(people_out(rows))
    page.next_url = next_url
    return 200, page


def people_create(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    """Create or update a person by e-mail and schedule an e-mail survey for them."""
    channel = p.text(params, "channel", max_length=10) or "email"
    if channel != "email":
        raise Invalid({"channel": "only email is supported: Promoter sends no SMS"})
    email = _email(params, "email", required=True)
    assert email is not None
    new_email = _email(params, "email_update", required=False)
    name = p.text(params, "name")
    phone = p.text(params, "phone_number", max_length=40)
    properties = p.mapping(params, "properties") or {}
    delay = p.integer(params, "delay", low=0, high=366 * 86400) or 0
    send = p.boolean(params, "send")
    last_sent_at = p.timestamp(params, "last_sent_at")
    person_properties = dict(properties)
    if phone is not None:
        person_properties["phone_number"] = phone
    survey = survey_of(project)
    now = timezone.now()
    identity = Identity(
        email=email,
        name=name or "",
        properties=person_properties,
        locale=str(properties.get("locale", ""))[:35],
    )
    scheduled_at = None
    with transaction.atomic():
        person = end_user_upsert(project=project, identity=identity, now=now)
        if new_email and new_email.lower() != (person.email or "").lower():
            person = end_user_update(person=person, email=new_email)
        if last_sent_at is not None:
            channels.invitation_sent_before_promoter(
                project=project, survey=survey, person=person, at=last_sent_at
            )
        if send is not False:
            invitation = channels.invitation_schedule(
                project=project,
                survey=survey,
                identity=Identity(
                    external_id=person.external_id, email=person.email, locale=identity.locale
                ),
                source=InvitationSource.API,
                properties=properties,
                send_at=now + datetime.timedelta(seconds=delay),
                now=now,
            )
            scheduled_at = invitation.scheduled_at
    person.refresh_from_db()
    return 200, {**person_brief(person), "survey_scheduled_at": unix(scheduled_at)}


def person_delete(
    request: HttpRequest, project: Project, params: dict[str, Any], identifier: str
) -> Any:
    person = person_by_id(project, identifier)
    if person is None:
        raise not_found("person")
    person_erase(person=person, by="delighted api")
    return 202, {"ok": True}


def pending_delete(
    request: HttpRequest, project: Project, params: dict[str, Any], email: str
) -> Any:
    identifier = email if ":" in email else f"email:{email}"
    person = person_by_id(project, identifier)
    if person is None:
        raise not_found("person")
    channels.invitations_cancel(end_user=person)
    return 200, {"ok": True}


# Survey responses -------------------------------------------------------------------------


def response_permalink(request: HttpRequest, project: Project, response: Response) -> str:
    return request.build_absolute_uri(
        reverse("project-response", args=[project.slug, str(response.public_id)])
    )


# Delighted's question types for ours (a closing message takes no answer).
DELIGHTED_TYPES = {
    "text": "free_response",
    "rating": "scale",
    "single_choice": "select_one",
    "yes_no": "select_one",
    "pmf": "select_one",
    "multiple_choice": "select_many",
}


def additional_answer(answer: Answer) -> dict[str, Any]:
    """Return ``answer`` in Delighted's ``additional_answers`` wire format: ``value`` holds
    the four kinds, all but its question's null; a choice is ``{id, text}`` (the Other box is
    the choice ``other`` with the text written)."""
    kind = DELIGHTED_TYPES.get(answer.type, "free_response")
    value = answer.value
    labels = answer.labels or {}
    picked = [{"id": c, "text": labels.get(c, c)} for c in value.get("choices") or []]
    if value.get("other"):
        picked.append({"id": "other", "text": str(value["other"])})
    said: dict[str, Any] = {"free_response": None, "scale": None, "select_one": None,
                            "select_many": None}  # fmt: skip
    if kind == "free_response":
        said["free_response"] = value.get("text")
    elif kind == "scale":
        said["scale"] = value.get("rating")
    elif kind == "select_one":
        said["select_one"] = picked[0] if picked else None
    else:
        said["select_many"] = picked
    return {
        "id": str(answer.pk),
        "value": said,
        "question": {"id": answer.question, "type": kind, "text": answer.text},
    }


def responses_out(
    request: HttpRequest, project: Project, rows: list[Response], expand: list[str]
) -> list[dict[str, Any]]:
    tags = tag_names_of(rows)
    answers = answers_of(rows)
    notes = {
        pk: [
            {
                "id": str(note.public_id),
                "text": note.body,
                "user_email": note.author.email if note.author else None,
                "created_at": unix(note.created_at),
            }
            for note in found
        ]
        for pk, found in notes_of(rows).items()
    }
    people: dict[int, dict[str, Any]] = {}
    if "person" in expand:
        found = list({r.end_user_id: r.end_user for r in rows if r.end_user}.values())
        people = {
            row_person.pk: out for row_person, out in zip(found, people_out(found), strict=True)
        }
    out = []
    for r in rows:
        person: Any = None
        if r.end_user is not None:
            person = people.get(r.end_user.pk) or str(r.end_user.public_id)
        out.append(
            {
                "id": str(r.public_id),
                "person": person,
                "survey_type": r.survey.kind,
                "score": r.score,
                "comment": r.comment or None,
                "permalink": response_permalink(request, project, r),
                "created_at": unix(r.created_at),
                "updated_at": unix(r.updated_at),
                "person_properties": r.properties or None,
                "notes": notes[r.pk],
                "tags": sorted(tags[r.pk]),
                "additional_answers": [additional_answer(a) for a in answers[r.pk]],
            }
        )
    return out


def _expand(params: Mapping[str, Any]) -> list[str]:
    return p.strings(params, "expand")


def _no_trends(params: Mapping[str, Any]) -> None:
    if params.get("trend") not in (None, ""):
        raise Invalid({"trend": "is not supported: Promoter has no trends, use since/until"})


def responses_list(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    _no_trends(params)
    page, per_page = _page_args(params)
    dates = {
        name: p.timestamp(params, name)
        for name in ("since", "until", "updated_since", "updated_until")
    }
    person_id = p.text(params, "person_id")
    person = person_by_id(project, person_id) if person_id else None
    order = p.text(params, "order", max_length=20) or "asc"
    if order not in RESPONSE_ORDERS:
        raise Invalid({"order": "must be asc, desc, asc:updated_at or desc:updated_at"})
    start = (page - 1) * per_page
    if person_id and person is None:
        return 200, []
    qs = responses_dated(
        project=project,
        person=person,
        person_email=p.text(params, "person_email", max_length=254),
        order=order,
        **dates,
    )
    rows = list(qs[start : start + per_page])
    return 200, responses_out(request, project, rows, _expand(params))


def _response(project: Project, response_id: str) -> Response:
    try:
        return access.response_get_in_project(project=project, public_id=response_id)
    except access.NotFound:
        raise not_found("survey_response") from None


def response_get(
    request: HttpRequest, project: Project, params: dict[str, Any], response_id: str
) -> Any:
    found = _response(project, response_id)
    return 200, responses_out(request, project, [found], _expand(params))[0]


def _score(params: Mapping[str, Any], survey: Survey, *, required: bool) -> int | None:
    low, high = survey.scale
    if params.get("score") in (None, "") and required:
        raise Invalid({"score": "can't be blank"})
    return p.integer(params, "score", low=low, high=high)


def responses_create(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    """Add a response by a person (their id, or ``email:…``), e.g. history from elsewhere."""
    if params.get("person") in (None, ""):
        raise Invalid({"person": "can't be blank"})
    person = person_by_id(project, params.get("person"))
    if person is None:
        raise Invalid({"person": "is invalid: no such person"})
    survey = survey_of(project)
    score = _score(params, survey, required=True)
    assert score is not None
    stored, _ = response_record(
        survey=survey,
        score=score,
        person=person,
        channel=Channel.API,
        comment=p.text(params, "comment", max_length=20_000) or "",
        properties=p.mapping(params, "person_properties") or {},
        created_at=p.timestamp(params, "created_at"),
    )
    return 200, responses_out(request, project, [_response(project, str(stored.public_id))], [])[0]


def response_update(
    request: HttpRequest, project: Project, params: dict[str, Any], response_id: str
) -> Any:
    """Change score, comment, person_properties (merged) or person; other keys are read-only
    (the Python client sends back the whole object) and ignored."""
    found = _response(project, response_id)
    person = None
    if params.get("person") not in (None, ""):
        person = person_by_id(project, params["person"])
        if person is None:
            raise Invalid({"person": "is invalid: no such person"})
    response_change(
        response=found,
        score=_score(params, found.survey, required=False),
        comment=p.text(params, "comment", max_length=20_000) if "comment" in params else None,
        properties=p.mapping(params, "person_properties"),
        end_user=person,
    )
    return 200, responses_out(request, project, [_response(project, response_id)], [])[0]


# Metrics ----------------------------------------------------------------------------------


def _round(value: float) -> int:
    """Round half away from zero, as people do (Python's round() goes to even)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def metrics(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    """NPS and counts over ``since``..``until`` (inclusive); without either, over the 30
    days up to the most recent response, as Delighted did. ``groups[]`` other than core
    are not kept by Promoter and are ignored."""
    _no_trends(params)
    survey = survey_of(project)
    since, until = p.timestamp(params, "since"), p.timestamp(params, "until")
    if since is None and until is None:
        last = last_answer_at(survey=survey)
        if last is not None:
            since, until = last - METRICS_DEFAULT_WINDOW, last
    # The selectors' until is exclusive; Delighted's is inclusive to the second.
    end = until + datetime.timedelta(seconds=1) if until is not None else None
    flt = ResponseFilter(survey=survey, since=since, until=end)
    summary = overview_figure(project=project, flt=flt).summary

    def percent(value: float | None) -> int:
        return _round(value) if value is not None else 0

    return 200, {
        "nps": _round(summary.score) if summary.score is not None else 0,
        "promoter_count": summary.promoters,
        "promoter_percent": percent(summary.promoter_percent),
        "passive_count": summary.passives,
        "passive_percent": percent(summary.passive_percent),
        "detractor_count": summary.detractors,
        "detractor_percent": percent(summary.detractor_percent),
        "response_count": summary.n,
    }


# Unsubscribes and bounces -----------------------------------------------------------------


def unsubscribe_create(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
    email = _email(params, "person_email", required=True)
    now = timezone.now()
    with transaction.atomic():
        person = end_user_upsert(project=project, identity=Identity(email=email), now=now)
        channels.unsubscribe(end_user=person, now=now)
    return 200, {"ok": True}


def _status_list(field: str, out_name: str) -> View:
    def listing(request: HttpRequest, project: Project, params: dict[str, Any]) -> Any:
        page, per_page = _page_args(params)
        qs = people_with_status(
            project=project,
            field=field,
            since=p.timestamp(params, "since"),
            until=p.timestamp(params, "until"),
        )
        start = (page - 1) * per_page
        rows = qs[start : start + per_page]
        return 200, [
            {
                "person_id": str(person.public_id),
                "email": person.email,
                "name": person_name(person),
                out_name: unix(getattr(person, field)),
            }
            for person in rows
        ]

    return listing


# Autopilot --------------------------------------------------------------------------------


def _platform(platform: str) -> None:
    if platform == "sms":
        raise Failure(422, {"platform": ["sms is not supported: Promoter sends no SMS"]})
    if platform != "email":
        raise not_found("platform")


def autopilot_get(
    request: HttpRequest, project: Project, params: dict[str, Any], platform: str
) -> Any:
    if platform not in ("email", "sms"):
        raise not_found("platform")
    autopilot = autopilot_of(survey=survey_of(project)) if platform == "email" else None
    if autopilot is None:
        return 200, {
            "platform_id": platform,
            "active": False,
            "frequency": DEFAULT_AUTOPILOT_DAYS * 86400,
            "created_at": None,
            "updated_at": None,
        }
    return 200, {
        "platform_id": platform,
        "active": autopilot.is_active,
        "frequency": autopilot.interval_days * 86400,
        "created_at": unix(autopilot.created_at),
        "updated_at": unix(autopilot.created_at),
    }


def _autopilot(project: Project, *, create: bool) -> Autopilot | None:
    survey = survey_of(project)
    autopilot = autopilot_of(survey=survey)
    if autopilot is None and create:
        # Members can be added before autopilot is turned on in Promoter, as in Delighted.
        autopilot = channels.autopilot_configure(
            survey=survey, interval_days=DEFAULT_AUTOPILOT_DAYS, is_active=False
        )
    return autopilot


def _member_person(project: Project, params: Mapping[str, Any]) -> EndUser | None:
    given = [n for n in ("person_id", "person_email", "person_phone_number") if params.get(n)]
    if len(given) != 1:
        raise Invalid({"person_email": "give exactly one of person_id, person_email"})
    name = given[0]
    value = p.text(params, name, max_length=254)
    prefix = {"person_id": "", "person_email": "email:", "person_phone_number": "phone_number:"}
    return person_by_id(project, f"{prefix[name]}{value}")


def membership_out(member: AutopilotMember, people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    waiting = invitation_waiting(person_id=member.end_user_id, survey_id=member.autopilot.survey_id)
    following = {
        "id": str(waiting.public_id) if waiting else None,
        "created_at": unix(waiting.created_at if waiting else member.created_at),
        "survey_scheduled_at": unix(waiting.scheduled_at if waiting else member.next_invite_at),
        "properties": member.properties or {},
    }
    return {
        "created_at": unix(member.created_at),
        "updated_at": unix(member.created_at),
        "person": people[member.end_user_id],
        "next_survey_request": following,
    }


def memberships_list(
    request: HttpRequest, project: Project, params: dict[str, Any], platform: str
) -> Any:
    _platform(platform)
    autopilot = _autopilot(project, create=False)
    qs = autopilot_members(autopilot=autopilot)
    if any(params.get(n) for n in ("person_id", "person_email", "person_phone_number")):
        person = _member_person(project, params)
        qs = qs.filter(end_user=person) if person else qs.none()
    rows, next_url = _cursor_page(request, params, qs)
    found = [m.end_user for m in rows]
    people = {person.pk: out for person, out in zip(found, people_out(found), strict=True)}
    page = Paged(membership_out(m, people) for m in rows)
    page.next_url = next_url
    return 200, page


def membership_add(
    request: HttpRequest, project: Project, params: dict[str, Any], platform: str
) -> Any:
    _platform(platform)
    properties = p.mapping(params, "properties")
    name = p.text(params, "person_name")
    if params.get("person_id"):
        person = _member_person(project, params)
        if person is None:
            raise Invalid({"person_id": "is invalid: no such person"})
        email = person.email
        if not email:
            raise Invalid({"person_id": "this person has no e-mail address"})
    else:
        email = _email(params, "person_email", required=True)
    autopilot = _autopilot(project, create=True)
    assert autopilot is not None
    with transaction.atomic():
        member = channels.autopilot_member_add(
            autopilot=autopilot,
            identity=Identity(email=email, name=name or ""),
            properties=properties,
        )
    member.end_user.refresh_from_db()
    return 200, {"person": person_brief(member.end_user), "properties": member.properties or {}}


def membership_remove(
    request: HttpRequest, project: Project, params: dict[str, Any], platform: str
) -> Any:
    _platform(platform)
    person = _member_person(project, params)
    autopilot = _autopilot(project, create=False)
    if person is None or autopilot is None:
        raise not_found("person")
    if not channels.autopilot_member_remove(autopilot=autopilot, end_user=person):
        raise not_found("person")
    return 200, {"person": person_brief(person)}


# Routes -----------------------------------------------------------------------------------

people = endpoint(get=people_list, post=people_create)
person = endpoint(delete=person_delete)
pending_survey_requests = endpoint(delete=pending_delete)
survey_responses = endpoint(get=responses_list, post=responses_create)
survey_response = endpoint(get=response_get, put=response_update)
metrics_view = endpoint(get=metrics)
unsubscribes = endpoint(
    get=_status_list("unsubscribed_at", "unsubscribed_at"), post=unsubscribe_create
)
bounces = endpoint(get=_status_list("bounced_at", "bounced_at"))
autopilot = endpoint(get=autopilot_get)
autopilot_memberships = endpoint(
    get=memberships_list, post=membership_add, delete=membership_remove
)


@functools.cache
def urlpatterns() -> list[Any]:
    """The routes, each with and without ``.json`` (clients send both)."""
    from django.urls import re_path

    json = r"(?:\.json)?$"
    return [
        re_path(r"^people" + json, people, name="people"),
        re_path(
            r"^people/(?P<email>[^/]+)/survey_requests/pending" + json,
            pending_survey_requests,
            name="pending",
        ),
        re_path(r"^people/(?P<identifier>[^/]+?)" + json, person, name="person"),
        re_path(r"^survey_responses" + json, survey_responses, name="survey-responses"),
        re_path(
            r"^survey_responses/(?P<response_id>[^/]+?)" + json,
            survey_response,
            name="survey-response",
        ),
        re_path(r"^metrics" + json, metrics_view, name="metrics"),
        re_path(r"^unsubscribes" + json, unsubscribes, name="unsubscribes"),
        re_path(r"^bounces" + json, bounces, name="bounces"),
        re_path(
            r"^autopilot/(?P<platform>[a-z]+)/memberships" + json,
            autopilot_memberships,
            name="autopilot-memberships",
        ),
        re_path(r"^autopilot/(?P<platform>[a-z]+)" + json, autopilot, name="autopilot"),
        re_path(r"^(?P<path>(?s:.*))$", json_404, name="unknown"),  # any path, newlines too
    ]


@csrf_exempt  # API clients send no CSRF token: an unknown path is a JSON 404 for any method
def json_404(request: HttpRequest, path: str = "") -> HttpResponse:
    return failure_response(not_found("path"))
