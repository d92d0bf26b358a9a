"""Reads of displays, responses, declines, tags and auto-tag rules."""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count
from django.db.models.functions import Length, Lower
from django.http import Http404
from django.utils.dateparse import parse_datetime

from promoter.accounts.models import Project
from promoter.people.models import EndUser
from promoter.responses.models import AutoTagRule, Decline, Display, Response, Tag


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


def _aware(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a datetime column as text
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


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


# Tags ---------------------------------------------------------------------------------------
#
# The getters below take a project the caller already got from ``accounts.access`` (which
# checked the membership and role) and raise Http404 for ids outside it, like
# ``access.survey_get_in_project``.

AUTOCOMPLETE_LIMIT = 10


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("Not found") from None


def response_get_in_project(*, project: Project, public_id: str) -> Response:
    """Return the response ``public_id`` of ``project``, else Http404."""
    try:
        return Response.objects.select_related("survey", "project").get(
            project=project, public_id=_uuid_or_404(public_id)
        )
    except Response.DoesNotExist:
        raise Http404("No such response") from None


def tag_get_in_project(*, project: Project, public_id: str) -> Tag:
    """Return the tag ``public_id`` of ``project``, else Http404."""
    try:
        return Tag.objects.select_related("project").get(
            project=project, public_id=_uuid_or_404(public_id)
        )
    except Tag.DoesNotExist:
        raise Http404("No such tag") from None


def autotag_rule_get_in_project(*, project: Project, public_id: str) -> AutoTagRule:
    """Return the auto-tag rule ``public_id`` of ``project``, else Http404."""
    try:
        return AutoTagRule.objects.select_related("tag", "project").get(
            project=project, public_id=_uuid_or_404(public_id)
        )
    except AutoTagRule.DoesNotExist:
        raise Http404("No such rule") from None


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
