"""The use cases of answers: record a response, change it (its comment, score, properties or
person), record a display, record a decline. Imports record responses set-wise through
:mod:`promoter.actions.imports`, under the same checks (:func:`answer_problem`).

Every interface that records an answer calls these, so an answer is checked, stored, tagged
and routed the same way whether it came from the widget, the REST or Delighted API, an
e-mail or a link page.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import transaction
from django.utils import timezone

from promoter.actions.surveys import questions_problem
from promoter.core.errors import ApplicationError
from promoter.integrations.models import Event, Rule
from promoter.integrations.routing import response_event, routes_for
from promoter.people.models import EndUser
from promoter.people.properties import properties_problem
from promoter.people.services import Identity, end_user_changes, end_user_upsert
from promoter.responses.models import (
    Answer,
    AutoTagRule,
    Channel,
    Decline,
    Display,
    Response,
    Tag,
)
from promoter.responses.selectors import answers_of
from promoter.responses.services import (
    answers_store,
    autotag_rules_for,
    clean_comment,
    decline_create,
    display_create,
    response_autotag,
    response_comment_set,
    response_create,
)
from promoter.surveys.button import button_of
from promoter.surveys.models import Survey
from promoter.surveys.questions import QuestionsError, answer_clean, as_asked, shown
from promoter.surveys.selectors import survey_questions_of_version
from promoter.surveys.texts import product_name
from promoter.text.sentiment import sentiment_for

# An answer may be dated this far ahead of the server's clock (clocks differ a little); later
# is a mistake in the caller's dates, refused.
FUTURE_SLACK = datetime.timedelta(minutes=5)
MAX_LOCALE = 35
MAX_URL = 2000

Person = EndUser | Identity | None


def answer_problem(
    *,
    survey: Survey,
    score: int,
    created_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> ApplicationError | None:
    """Return why an answer of ``score`` to ``survey`` dated ``created_at`` is refused, or
    None: a score off the survey's scale, or a date later than now (with FUTURE_SLACK)."""
    low, high = survey.scale
    if isinstance(score, bool) or not low <= score <= high:
        return ApplicationError(
            code="invalid",
            detail=f"Score {score} is outside this survey's scale of {low}-{high}.",
            fields={"score": f"must be between {low} and {high}"},
        )
    if created_at is not None and created_at > (now or timezone.now()) + FUTURE_SLACK:
        return ApplicationError(
            code="invalid",
            detail="created_at is in the future.",
            fields={"created_at": "in the future"},
        )
    return None


def _check_text(value: str, *, field: str, limit: int) -> None:
    if len(value) > limit:
        raise ApplicationError(
            code="invalid",
            detail=f"The {field} has {len(value):,} characters; the limit is {limit:,}.",
            fields={field: f"at most {limit} characters"},
        )


def _check_properties(value: Mapping[str, Any] | None, *, field: str) -> None:
    problem = properties_problem(value) if value else None
    if problem:
        raise ApplicationError(
            code="invalid", detail=f"Invalid input: {field} {problem}.", fields={field: problem}
        )


def _version(survey: Survey, version: int | None) -> tuple[int, list[dict[str, Any]]]:
    """Return the version of ``survey``'s questions an answer names (the live one when
    None) and its questions; refuse a version the survey never had."""
    number = survey.version if version is None else version
    questions = None
    if not isinstance(number, bool) and isinstance(number, int) and number >= 0:
        questions = survey_questions_of_version(survey=survey, number=number)
    if questions is None:
        raise ApplicationError(
            code="invalid",
            detail=f"This survey has no version {version!r} of its questions.",
            fields={"version": "unknown"},
        )
    return number, questions


Answers = list[tuple[dict[str, Any], dict[str, Any]]]  # (question, stored value)


def _check_button(
    survey: Survey,
    person: Person,
    known: EndUser | None,
    public_id: uuid.UUID | None,
    now: datetime.datetime,
) -> None:
    """Refuse an answer through ``survey``'s feedback button when it has none (400), or when
    its person gave ``per_day`` answers through it in the last 24 hours (429; a retry of one
    of them is not counted)."""
    button = button_of(survey.button)
    if button is None:
        raise ApplicationError(
            code="invalid",
            detail="This survey has no feedback button.",
            fields={"source": "this survey has no feedback button"},
        )
    end_user = person if isinstance(person, EndUser) else known
    if end_user is None:
        return
    recent = Response.objects.filter(
        survey=survey,
        end_user=end_user,
        channel=Channel.BUTTON,
        created_at__gte=now - datetime.timedelta(days=1),
    )
    if public_id is not None:
        recent = recent.exclude(public_id=public_id)
    if recent.count() >= button["per_day"]:
        raise ApplicationError(
            code="rate_limited",
            detail=f"At most {button['per_day']} answers a day through the feedback button.",
            fields={"source": "over the feedback button's daily limit"},
            status=429,
        )


def answers_check(
    *,
    survey: Survey,
    questions: list[dict[str, Any]],
    given: Mapping[str, Any] | None,
    score: int,
    properties: Mapping[str, Any],
    earlier: Mapping[str, Mapping[str, Any]] | None = None,
) -> Answers:
    """Return the answers ``given`` (by question id) to ``questions``, checked and in their
    stored form, in the questions' order; ``earlier`` are the stored ones.

    Refused (ApplicationError naming ``answers.<id>``): an id that is no question of the
    version, a value that is no answer to its question (the wrong type, a choice not offered,
    a text too long), and an answer to a question its person was not asked (its conditions
    do not hold for their score, earlier answers or properties).
    """
    if not given:
        return []
    if not isinstance(given, Mapping):
        raise ApplicationError(
            code="invalid",
            detail="answers: must be an object keyed by question id.",
            fields={"answers": "must be an object keyed by question id"},
        )
    by_id = {q["id"]: q for q in questions}
    for key in given:
        if key not in by_id:
            field = f"answers.{str(key)[:40]}"
            raise questions_problem(QuestionsError(field, "is not a question of this survey"))
    known = dict(earlier or {})
    checked: Answers = []
    try:
        for question in questions:
            if question["id"] not in given:
                continue
            field = f"answers.{question['id']}"
            value = answer_clean(question, given[question["id"]], field)
            asked = shown(
                question, kind=survey.kind, score=score, answers=known, properties=properties
            )
            if not asked:
                raise QuestionsError(field, "was not asked: its conditions do not hold")
            known[question["id"]] = value
            checked.append((question, value))
    except QuestionsError as exc:
        raise questions_problem(exc) from None
    return checked


def _answers_store(
    response: Response,
    version: int,
    checked: Answers,
    now: datetime.datetime,
    existing: Mapping[str, Answer] | None = None,
) -> bool:
    if not checked:
        return False
    asked = as_asked([q for q, _value in checked], product=product_name(response.survey.project))
    rows = []
    for question, (_q, value) in zip(asked, checked, strict=True):
        wording = {c["id"]: c["text"] for c in question.get("choices") or []}
        labels = {c: wording[c] for c in value.get("choices") or [] if c in wording}
        rows.append((question["id"], question["type"], question["text"], value, labels))
    return answers_store(
        response=response, version=version, answers=rows, existing=existing, now=now
    )


def _writes_person(person: Person, known: EndUser | None, now: datetime.datetime) -> bool:
    """Whether recording for ``person`` writes the person too (a new or changed one)."""
    if not isinstance(person, Identity):
        return False
    return known is None or bool(end_user_changes(person=known, identity=person, now=now))


def _person(
    survey: Survey, person: Person, known: EndUser | None, looked_up: bool, now: datetime.datetime
) -> EndUser | None:
    if isinstance(person, Identity):
        return end_user_upsert(
            project=survey.project, identity=person, now=now, existing=known, looked_up=looked_up
        )
    return person


def _together(needed: bool) -> AbstractContextManager[Any]:
    """One transaction when a refusal may follow a write, or side effects must go with the
    row; a single INSERT needs none (it saves two round trips on the widget's hot path)."""
    return transaction.atomic() if needed else nullcontext()


def response_record(
    *,
    survey: Survey,
    score: int,
    person: Person,
    channel: str,
    comment: str = "",
    locale: str = "",
    origin_url: str = "",
    properties: Mapping[str, Any] | None = None,
    created_at: datetime.datetime | None = None,
    public_id: uuid.UUID | None = None,
    known: EndUser | None = None,
    looked_up: bool = False,
    autotag_rules: Sequence[AutoTagRule] | None = None,
    routes: Sequence[Rule] | None = None,
    answers: Mapping[str, Any] | None = None,
    version: int | None = None,
    now: datetime.datetime | None = None,
) -> tuple[Response, bool]:
    """Record an answer to ``survey``; return the response and whether it is new.

    ``person`` is a stored person, an :class:`Identity` to find or create (with ``known``
    and ``looked_up=True`` when the caller already looked them up), or None (anonymous).
    ``properties`` are the response's own, over the person's snapshot. ``public_id`` makes
    retries safe: the same id for the same survey and person returns the stored response,
    for another is a 409. ``autotag_rules`` and ``routes`` are looked up when None (the
    widget passes what its cache knows).

    ``answers`` answer the additional questions of ``version`` of its questions (the live
    one when None), by question id (:func:`answers_check`).

    Refused (ApplicationError, nothing written): a score off the scale, a date in the future,
    a comment or locale too long, properties over the limits (promoter/people/properties.py),
    an unknown version, any answer :func:`answers_check` refuses. A new response is tagged by
    the auto-tag rules and routed (``response.created``, then ``response.tagged`` per tag
    added) in its own transaction.
    """
    now = now or timezone.now()
    refused = answer_problem(survey=survey, score=score, created_at=created_at, now=now)
    if refused is not None:
        raise refused
    comment = clean_comment(comment)
    _check_text(locale, field="locale", limit=MAX_LOCALE)
    _check_text(origin_url, field="url", limit=MAX_URL)
    _check_properties(properties, field="properties")
    if isinstance(person, Identity):
        _check_properties(person.properties, field="person.properties")
    if channel == Channel.BUTTON:
        _check_button(survey, person, known, public_id, now)
    number, questions = _version(survey, version)
    checked: Answers = []
    if answers:
        snapshot = {
            **(known.properties if known is not None else {}),
            **(person.properties if isinstance(person, Identity | EndUser) else {}),
            **(properties or {}),
        }
        checked = answers_check(
            survey=survey, questions=questions, given=answers, score=score, properties=snapshot
        )
    if autotag_rules is None:
        autotag_rules = autotag_rules_for(project_id=survey.project_id, survey_id=survey.pk)
    if routes is None:
        routes = routes_for(project_id=survey.project_id, events=[Event.CREATED, Event.TAGGED])
    sentiment = sentiment_for(comment) if comment else None
    side_effects = bool(autotag_rules or routes)
    with _together(side_effects or bool(checked) or _writes_person(person, known, now)):
        end_user = _person(survey, person, known, looked_up, now)
        response, created = response_create(
            public_id=public_id or uuid.uuid4(),
            survey=survey,
            end_user=end_user,
            score=score,
            comment=comment,
            locale=locale,
            channel=channel,
            origin_url=origin_url,
            sentiment=sentiment,
            properties=properties,
            now=created_at or now,
        )
        if created:
            _answers_store(response, number, checked, created_at or now)
        if created and side_effects:
            response_stored(response=response, autotag_rules=autotag_rules, routes=routes)
    return response, created


def response_stored(
    *,
    response: Response,
    autotag_rules: Sequence[AutoTagRule] | None = None,
    routes: Sequence[Rule] | None = None,
) -> None:
    """After a new response is stored (in the caller's transaction): apply the auto-tag
    rules, then route ``response.created`` and a ``response.tagged`` per tag they added."""
    _route(response, Event.CREATED, autotag_rules=autotag_rules, routes=routes, new=True)


def response_changed(*, response: Response) -> None:
    """After a stored response's comment or score changed (in the caller's transaction):
    apply the auto-tag rules, then route ``response.updated`` and ``response.tagged``."""
    _route(response, Event.UPDATED)


def _route(
    response: Response,
    event: str,
    *,
    autotag_rules: Sequence[AutoTagRule] | None = None,
    routes: Sequence[Rule] | None = None,
    new: bool = False,
) -> None:
    added = response_autotag(response=response, new=new, rules=autotag_rules)
    if routes is None:
        routes = routes_for(project_id=response.project_id, events=[event, Event.TAGGED])
    response_event(response=response, event=event, rules=routes)
    for tag in Tag.objects.filter(pk__in=added) if added else ():
        response_event(response=response, event=Event.TAGGED, tag=tag, rules=routes)


def response_change(
    *,
    response: Response,
    comment: str | None = None,
    score: int | None = None,
    properties: Mapping[str, Any] | None = None,
    end_user: EndUser | None = None,
    answers: Mapping[str, Any] | None = None,
    version: int | None = None,
    now: datetime.datetime | None = None,
) -> Response:
    """Change a stored response: its comment (with its sentiment), its score (a change of
    mind), ``properties`` merged into its own, or its person; what is None stays.

    ``answers`` answer (or answer anew) additional questions of ``version`` of the survey's
    questions: when None, the version of the response's stored answers, else the live one
    (:func:`answers_check`, against its score and stored answers).

    Refused (nothing written): a score off the survey's scale, a comment too long,
    properties over the limits, an answer :func:`answers_check` refuses. In one transaction;
    a changed comment, score or answer is tagged by the auto-tag rules and routed
    (``response.updated``, ``response.tagged``).
    """
    now = now or timezone.now()
    survey = response.survey
    if score is not None:
        refused = answer_problem(survey=survey, score=score)
        if refused is not None:
            raise refused
    if comment is not None:
        comment = clean_comment(comment)
    _check_properties(properties, field="properties")
    checked: Answers = []
    stored: dict[str, Answer] = {}
    number = 0
    if answers:
        stored = {a.question: a for a in answers_of([response])[response.pk]}
        if version is None and stored:
            version = next(iter(stored.values())).version
        number, questions = _version(survey, version)
        checked = answers_check(
            survey=survey,
            questions=questions,
            given=answers,
            score=response.score if score is None else score,
            properties={**(response.properties or {}), **(properties or {})},
            earlier={question: a.value for question, a in stored.items()},
        )
    changed: list[str] = []
    with transaction.atomic():
        if score is not None and score != response.score:
            response.score = score
            changed.append("score")
        if properties:
            merged = {**(response.properties or {}), **properties}
            if merged != response.properties:
                response.properties = merged
                changed.append("properties")
        if end_user is not None and end_user.pk != response.end_user_id:
            response.end_user = end_user
            changed.append("end_user")
        if changed:
            response.updated_at = now
            response.save(update_fields=[*changed, "updated_at"])
        before = response.comment
        if comment is not None:
            response_comment_set(
                response=response,
                comment=comment,
                now=now,
                sentiment=sentiment_for(comment) if comment else None,
            )
        answered = _answers_store(response, number, checked, now, stored)
        if answered and not changed:
            response.updated_at = now
            response.save(update_fields=["updated_at"])
        if "score" in changed or response.comment != before or answered:
            response_changed(response=response)
    return response


def display_record(
    *,
    survey: Survey,
    person: EndUser | Identity,
    channel: str,
    public_id: uuid.UUID | None = None,
    known: EndUser | None = None,
    looked_up: bool = False,
    hold_until: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Display:
    """Record that ``survey`` was shown to ``person`` (once per ``public_id``); with
    ``hold_until``, no other survey is offered them until then (eligibility's offer hold,
    renewed while the survey is on screen). An id used for someone else is a 409, and then
    nothing is written, the person included."""
    display: Display = _contact(
        display_create, survey, person, channel, public_id, known, looked_up, now
    )
    if hold_until is not None:
        EndUser.objects.filter(pk=display.end_user_id).update(offered_until=hold_until)
    return display


def decline_record(
    *,
    survey: Survey,
    person: EndUser | Identity,
    channel: str,
    public_id: uuid.UUID | None = None,
    known: EndUser | None = None,
    looked_up: bool = False,
    now: datetime.datetime | None = None,
) -> Decline:
    """Record that ``person`` dismissed ``survey`` (once per ``public_id``): the offer's hold
    ends, so another survey (an event's) may be offered at once. An id used for someone else
    is a 409, and then nothing is written, the person included."""
    decline: Decline = _contact(
        decline_create, survey, person, channel, public_id, known, looked_up, now
    )
    EndUser.objects.filter(pk=decline.end_user_id, offered_until__isnull=False).update(
        offered_until=None
    )
    return decline


def _contact(
    create: Any,
    survey: Survey,
    person: EndUser | Identity,
    channel: str,
    public_id: uuid.UUID | None,
    known: EndUser | None,
    looked_up: bool,
    now: datetime.datetime | None,
) -> Any:
    """Store a display or a decline with ``create``, the person with it when they must be
    written: both or neither."""
    now = now or timezone.now()
    with _together(_writes_person(person, known, now)):
        end_user = _person(survey, person, known, looked_up, now)
        assert end_user is not None
        return create(
            survey=survey, end_user=end_user, channel=channel, now=now, public_id=public_id
        )
