"""Erasure of a person (the right to be forgotten): the person, every response with its
notes, replies, tags, history and deliveries, their displays, declines, invitations and
autopilot memberships, all in one transaction. What remains is an :class:`Erasure` row
with counts and the person's random id, never their name, e-mail, id or words."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.analytics import rollups
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser, Erasure
from promoter.people.statecache import people_changed
from promoter.responses.models import Response

logger = logging.getLogger(__name__)


def person_find_for_erasure(*, project: Project, email: str = "", external_id: str = "") -> EndUser:
    """Return the person of ``project`` with this e-mail or your id; 404 when none."""
    people = EndUser.objects.filter(project=project)
    if external_id:
        found = people.filter(external_id=external_id).first()
    elif email:
        found = people.filter(email__iexact=email.strip()).first()
    else:
        raise ApplicationError(
            code="invalid", detail="Name the person by e-mail or id.", fields={"email": "required"}
        )
    if found is None:
        raise ApplicationError(code="not_found", detail="No such person here.", status=404)
    return found


def person_erase(*, person: EndUser, by: str) -> Mapping[str, int]:
    """Delete ``person`` and everything about them; return the rows deleted per model."""
    project_id, public_id = person.project_id, person.public_id
    with transaction.atomic():
        people_changed(project_id, [person])  # their cached state goes when the rows go
        days = {
            moment.date()
            for moment in Response.objects.filter(end_user=person).values_list(
                "created_at", flat=True
            )
        }
        _total, counts = person.delete()
        # Their property values must not outlive them in rollup rows counting zero.
        rollups.prune(project_id, days)
        Erasure.objects.create(
            project_id=project_id,
            person=public_id,
            by=by[:100],
            counts=dict(counts),
            erased_at=timezone.now(),
        )
    logger.info(
        "person.erased",
        extra={
            "project": project_id,
            "person": str(public_id),
            "by": by,
            "rows": sum(counts.values()),
        },
    )
    return counts
