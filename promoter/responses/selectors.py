"""Reads of displays, responses, declines, tags and auto-tag rules."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Max, QuerySet
from django.db.models.functions import Length, Lower
from django.utils.dateparse import parse_datetime

from promoter.accounts.models import Project
from promoter.people.models import EndUser
from promoter.responses.models import (
    Answer,
    AutoTagRule,
    Decline,
    Display,
    Note,
    Response,
    ResponseTag,
    Tag,
)
from promoter.surveys.models import Survey


@dataclass(frozen=True)
class ContactHistory:
    """When a person last answered, declined and was asked, per survey and overall."""

    last_response: dict[int, datetime.datetime] = field(default_factory=dict)  # by survey pk
    last_decline: dict[int, datetime.datetime] = field(default_factory=dict)
    last_contact: datetime.datetime | None = None  # any survey, any channel: display/answer/decline


_HISTORY_SQL: str | None = None


def _history_sql() -> str:
    """Return the one query that reads a person's last response, decline and display per
    survey (each part is served by an (end_user, survey, created_at) index)."""
    global _HISTORY_SQL
    if _HISTORY_SQL is None:
        parts = [
            # Table names come from our models, the id is a parameter: no injection.
            f"SELECT '{tag}', survey_id, MAX(created_at) FROM {model._meta.db_table} "  # noqa: S608
            "WHERE end_user_id = %s GROUP BY survey_id"
            for tag, model in (("r", Response), ("d", Decline), ("s", Display))
        ]
        _HISTORY_SQL = " UNION ALL ".join(parts)
    return _HISTORY_SQL


def _aware(value: object) -> datetime.datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else value  # SQLite: text
    if not isinstance(moment, datetime.datetime):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def contact_history(person: EndUser | None) -> ContactHistory:
    """Return when ``person`` last answered and declined each survey, and was last contacted
    by any survey (shown, answered or declined), in one query."""
    if person is None:
        return ContactHistory()
    responses: dict[int, datetime.datetime] = {}
    declines: dict[int, datetime.datetime] = {}
    latest: datetime.datetime | None = None
    with connection.cursor() as cursor:
        cursor.execute(_history_sql(), [person.pk, person.pk, person.pk])
        rows = cursor.fetchall()
    for tag, survey_id, raw in rows:
        when = _aware(raw)
        if when is None:
            continue
        if tag == "r":
            responses[survey_id] = when
        elif tag == "d":
            declines[survey_id] = when
        if latest is None or when > latest:
            latest = when
    return ContactHistory(last_response=responses, last_decline=declines, last_contact=latest)


def responses_count_since(*, survey_id: int, project_id: int, since: datetime.datetime) -> int:
    """Return how many responses a survey received since ``since`` (for the daily cap)."""
    return Response.objects.filter(
        project_id=project_id, survey_id=survey_id, created_at__gte=since
    ).count()


def response_for_page(*, response: Response) -> Response:
    """Return ``response`` read afresh with what its page and tag editor show: its survey,
    person, assignee, tags (``response_tags``, each with its tag) and answers."""
    return (
        Response.objects.select_related("survey", "end_user", "assignee")
        .prefetch_related("response_tags__tag", "answers")
        .get(pk=response.pk)
    )


# Tags ---------------------------------------------------------------------------------------

AUTOCOMPLETE_LIMIT = 10


def tag_by_name(*, project: Project, name: str) -> Tag | None:
    """Return the tag of ``project`` named ``name`` in any letter case, if there is one.

    Compared in Python: SQLite's LOWER() and LIKE fold ASCII letters only, and "Émail" must
    meet "émail" on both databases. Names of another length cannot match, so the database
    narrows the candidates to a handful first.
    """
    name = " ".join(unicodedata.normalize("NFC", name).split())
    wanted = name.lower()
    candidates = (
        Tag.objects.filter(project=project)
        .annotate(name_length=Length("name"))
        .filter(name_length=len(name))
    )
    for tag in candidates:
        if tag.name.lower() == wanted:
            return tag
    return None


def tags_for_project(*, project: Project) -> list[Tag]:
    """Return the tags of ``project``: each top-level tag by name, followed by its children
    (each top-level tag's ``child_count`` says how many), in one query."""
    tags = list(
        Tag.objects.filter(project=project).select_related("parent").order_by(Lower("name"), "pk")
    )
    children: dict[int, list[Tag]] = {}
    for tag in tags:
        if tag.parent_id is not None:
            children.setdefault(tag.parent_id, []).append(tag)
    ordered = []
    for tag in tags:
        if tag.parent_id is None:
            tag.child_count = len(children.get(tag.pk, []))  # type: ignore[attr-defined]
            ordered.append(tag)
            ordered.extend(children.get(tag.pk, []))
    return ordered


def tags_by_prefix(*, project: Project, prefix: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[Tag]:
    """Return up to ``limit`` tags of ``project`` whose name starts with ``prefix`` in any
    letter case, shortest name first (an empty prefix: the most used tags)."""
    prefix = " ".join(unicodedata.normalize("NFC", prefix).split())
    tags = Tag.objects.filter(project=project)
    if not prefix:
        return list(
            tags.annotate(uses=Count("response_tags")).order_by("-uses", Lower("name"))[:limit]
        )
    if prefix.isascii():
        # LIKE folds ASCII case on both databases and uses no index anyway: one short query.
        found = list(tags.filter(name__istartswith=prefix).order_by(Length("name"), "name")[:limit])
        return found
    # SQLite folds ASCII letters only, so a prefix such as "É" is compared in Python.
    wanted = prefix.lower()
    matches = [
        t
        for t in tags.only("pk", "public_id", "name", "color")
        if t.name.lower().startswith(wanted)
    ]
    matches.sort(key=lambda t: (len(t.name), t.name))
    return matches[:limit]


def autotag_rules_for_project(*, project: Project) -> list[AutoTagRule]:
    """Return the auto-tag rules of ``project`` with their tags and surveys, newest first."""
    return list(
        AutoTagRule.objects.filter(project=project)
        .select_related("tag", "survey")
        .order_by("-created_at", "-pk")
    )


def tag_names_of(responses: Sequence[Response]) -> dict[int, list[str]]:
    """Return the names of the tags of each of ``responses`` (by pk), in one query."""
    found: dict[int, list[str]] = {r.pk: [] for r in responses}
    for link in ResponseTag.objects.filter(response__in=responses).select_related("tag"):
        found[link.response_id].append(link.tag.name)
    return found


def answers_of(responses: Sequence[Response]) -> dict[int, list[Answer]]:
    """Return the answers to additional questions of each of ``responses`` (by pk), in the
    order of their version's questions, in one query."""
    found: dict[int, list[Answer]] = {r.pk: [] for r in responses}
    if not found:
        return found
    for answer in Answer.objects.filter(response__in=list(found)).order_by("pk"):
        found[answer.response_id].append(answer)
    return found


def declines_listed(
    *,
    project: Project,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[Decline]:
    """Return the declines of ``project`` an API client lists, between ``since`` and
    ``until`` when given."""
    qs = Decline.objects.filter(project=project)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs.select_related("survey", "end_user")


def latest_response(*, project: Project) -> Response | None:
    """Return the newest counted response of ``project``, with its survey and person."""
    return (
        Response.objects.filter(project=project, excluded=False)
        .select_related("survey", "survey__project", "end_user")
        .order_by("-created_at", "-pk")
        .first()
    )


def tags_of_response(*, response: Response) -> list[Tag]:
    """Return the tags of ``response``, in the order they were added."""
    links = ResponseTag.objects.filter(response=response).select_related("tag").order_by("pk")
    return [link.tag for link in links]


def notes_of(responses: Sequence[Response]) -> dict[int, list[Note]]:
    """Return the notes of each of ``responses`` (by pk), oldest first, with their authors."""
    found: dict[int, list[Note]] = {r.pk: [] for r in responses}
    for note in (
        Note.objects.filter(response__in=responses).select_related("author").order_by("created_at")
    ):
        found[note.response_id].append(note)
    return found


def last_answers_of(*, person_ids: Sequence[int]) -> dict[int, datetime.datetime]:
    """Return when each of ``person_ids`` last answered (those who ever did)."""
    return dict(
        Response.objects.filter(end_user_id__in=person_ids)
        .values("end_user_id")
        .annotate(at=Max("created_at"))
        .values_list("end_user_id", "at")
    )


def last_answer_at(*, survey: Survey) -> datetime.datetime | None:
    """Return when the newest counted response to ``survey`` was given, if any."""
    return (
        Response.objects.filter(survey=survey, excluded=False)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


RESPONSE_ORDERS = {
    "asc": ("created_at", "pk"),
    "desc": ("-created_at", "-pk"),
    "asc:updated_at": ("updated_at", "pk"),
    "desc:updated_at": ("-updated_at", "-pk"),
}


def responses_dated(
    *,
    project: Project,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    updated_since: datetime.datetime | None = None,
    updated_until: datetime.datetime | None = None,
    person: EndUser | None = None,
    person_email: str | None = None,
    order: str = "asc",
) -> QuerySet[Response]:
    """Return the counted responses of ``project`` created and updated within the dates given
    (all included), of ``person`` or of the person with ``person_email`` when given, in
    ``order`` (one of RESPONSE_ORDERS), with their surveys and people."""
    qs = Response.objects.filter(project=project, excluded=False)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lte=until)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if updated_until:
        qs = qs.filter(updated_at__lte=updated_until)
    if person is not None:
        qs = qs.filter(end_user=person)
    if person_email:
        qs = qs.filter(end_user__email__iexact=person_email)
    return qs.select_related("survey", "end_user").order_by(*RESPONSE_ORDERS[order])
