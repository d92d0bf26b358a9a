"""Reads of the people a project surveys."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from promoter.accounts.models import Project
from promoter.people.models import EndUser


def people_for_project(
    *,
    project: Project,
    email: str | None = None,
    external_id: str | None = None,
    phone: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[EndUser]:
    """Return the people of ``project``, narrowed by each of ``email`` (any letter case),
    ``external_id``, ``phone`` (the ``phone_number`` property) and the dates they were
    added (``until`` included) that is given."""
    people = EndUser.objects.filter(project=project)
    if email:
        people = people.filter(email__iexact=email)
    if external_id:
        people = people.filter(external_id=external_id)
    if phone:
        people = people.filter(properties__phone_number=phone)
    if since:
        people = people.filter(created_at__gte=since)
    if until:
        people = people.filter(created_at__lte=until)
    return people


STATUS_FIELDS = ("unsubscribed_at", "bounced_at")


def people_with_status(
    *,
    project: Project,
    field: str,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[EndUser]:
    """Return the people of ``project`` who unsubscribed (or bounced: ``field`` is one of
    STATUS_FIELDS), between ``since`` and ``until`` (included) when given, in that order."""
    if field not in STATUS_FIELDS:
        raise ValueError(f"not a status: {field}")
    people = EndUser.objects.filter(project=project, **{f"{field}__isnull": False})
    if since:
        people = people.filter(**{f"{field}__gte": since})
    if until:
        people = people.filter(**{f"{field}__lte": until})
    return people.order_by(field, "pk")
