"""The use cases of tags that span many responses: tag a filtered view of the dashboard."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.db import transaction

from promoter.accounts.models import Project
from promoter.analytics.selectors import ResponseFilter, responses_for
from promoter.responses.models import ResponseTag, Tag, TagSource
from promoter.responses.services import BULK_BATCH_SIZE, same_project

logger = logging.getLogger(__name__)


def tags_bulk_add(*, project: Project, flt: ResponseFilter, tag: Tag, actor: Any = None) -> int:
    """Attach ``tag`` to every response of ``project`` that ``flt`` selects (the responses a
    dashboard view shows); return how many were not tagged yet.

    Batched INSERTs that skip responses already tagged, in one transaction.
    """
    same_project(tag, project.pk)
    if flt.button is None:  # the responses a view lists: the feedback button's included
        flt = replace(flt, button=True)
    already = ResponseTag.objects.filter(tag=tag).values("response_id")
    with transaction.atomic():
        ids = list(
            responses_for(project=project, flt=flt)
            .exclude(pk__in=already)
            .order_by()
            .values_list("pk", flat=True)
            .distinct()
        )
        user_id = getattr(actor, "pk", None)
        for start in range(0, len(ids), BULK_BATCH_SIZE):
            ResponseTag.objects.bulk_create(
                [
                    ResponseTag(
                        response_id=pk, tag=tag, source=TagSource.MANUAL, created_by_id=user_id
                    )
                    for pk in ids[start : start + BULK_BATCH_SIZE]
                ],
                ignore_conflicts=True,
            )
    logger.info("tag.bulk_added", extra={"tag": tag.pk, "responses": len(ids), "by": user_id})
    return len(ids)
