"""Writes of displays, responses, declines, tags and auto-tag rules."""

from __future__ import annotations

import datetime
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.core.db import insert_guard
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.people.statecache import history_changed
from promoter.responses.autotag import PHRASE_MAX_CHARS, PHRASES_MAX, phrases_clean, rule_matches
from promoter.responses.models import (
    Answer,
    AutoTagRule,
    Channel,
    Decline,
    Display,
    Response,
    ResponseTag,
    Tag,
    TagSource,
)
from promoter.responses.selectors import tag_by_name
from promoter.surveys.models import Survey
from promoter.surveys.scales import score_bound

if TYPE_CHECKING:  # analytics reads responses: a type-only import keeps the layering
    pass

logger = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 5000


def clean_comment(comment: str) -> str:
    """Return ``comment`` trimmed and without NUL characters, or raise if it is too long."""
    comment = comment.replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ApplicationError(
            code="invalid",
            detail=f"The comment is {len(comment):,} characters long; the limit is "
            f"{COMMENT_MAX_CHARS:,}.",
            fields={"comment": f"at most {COMMENT_MAX_CHARS} characters"},
        )
    return comment


def _record_once(model: type[Display] | type[Decline], row: Display | Decline) -> Any:
    """Insert ``row``; if its client-generated id is already stored, return the stored one."""
    try:
        with insert_guard():
            row.save(force_insert=True)
    except IntegrityError:
        existing = model.objects.filter(public_id=row.public_id).first()
        if existing is None:
            raise
        if (existing.survey_id, existing.end_user_id) != (row.survey_id, row.end_user_id):
            raise ApplicationError(
                code="conflict",
                detail="This id was already used for another survey or person.",
                fields={"id": "already used"},
                status=409,
            ) from None
        return existing
    history_changed(row.project_id, [row.end_user])  # their throttles and fatigue moved
    return row


def display_create(
    *,
    survey: Survey,
    end_user: EndUser,
    channel: str,
    now: datetime.datetime,
    public_id: uuid.UUID | None = None,
) -> Display:
    """Record that ``survey`` was shown to ``end_user`` (once per client-generated id)."""
    row = Display(
        public_id=public_id or uuid.uuid4(),
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        channel=channel,
        created_at=now,
    )
    display: Display = _record_once(Display, row)
    return display


def decline_create(
    *,
    survey: Survey,
    end_user: EndUser,
    channel: str,
    now: datetime.datetime,
    public_id: uuid.UUID | None = None,
) -> Decline:
    """Record that ``end_user`` dismissed ``survey`` (once per client-generated id)."""
    row = Decline(
        public_id=public_id or uuid.uuid4(),
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        channel=channel,
        created_at=now,
    )
    decline: Decline = _record_once(Decline, row)
    return decline


def answers_store(
    *,
    response: Response,
    version: int,
    answers: Sequence[tuple[str, str, str, dict[str, Any], dict[str, str]]],
    existing: Mapping[str, Answer] | None = None,
    now: datetime.datetime,
) -> bool:
    """Store ``answers`` (question id, type, text as read, stored value, the picked choices'
    wording as read) of ``response``,
    given with ``version`` of its questions; ``existing`` holds its stored answers when it
    may have some (None: a new response, none). New answers cost one INSERT together; an
    answer given anew replaces the stored one. Return whether anything changed."""
    new: list[Answer] = []
    changed = False
    for question, kind, text, value, labels in answers:
        stored = (existing or {}).get(question)
        if stored is None:
            new.append(
                Answer(
                    response=response,
                    survey_id=response.survey_id,
                    question=question,
                    version=version,
                    type=kind,
                    text=text[:500],
                    value=value,
                    labels=labels,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif stored.value != value:
            Answer.objects.filter(pk=stored.pk).update(value=value, labels=labels, updated_at=now)
            stored.value, stored.labels, stored.updated_at = value, labels, now
            changed = True
    if new:
        Answer.objects.bulk_create(new)
    return changed or bool(new)


def response_create(
    *,
    public_id: uuid.UUID,
    survey: Survey,
    end_user: EndUser | None,
    score: int,
    comment: str = "",
    locale: str = "",
    channel: str = Channel.WEB,
    origin_url: str = "",
    sentiment: float | None = None,
    properties: Mapping[str, Any] | None = None,
    now: datetime.datetime,
) -> tuple[Response, bool]:
    """Store a response with the client-generated ``public_id``; return it and whether it is new.

    A retry with the same ``public_id`` (the client never saw our reply) returns the stored
    response and stores nothing. The same id used for another survey or person is refused.
    The person's properties are copied onto the response, so segments show who they were then,
    with ``properties`` (the response's own) over them. The checks are the caller's: the
    actions (promoter.actions.responses) call this.
    """
    response = Response(
        public_id=public_id,
        project_id=survey.project_id,
        survey=survey,
        end_user=end_user,
        score=score,
        comment=comment,
        locale=locale[:35],
        channel=channel,
        origin_url=origin_url[:2000],
        properties={
            **(end_user.properties if end_user is not None else {}),
            **(properties or {}),
        },
        sentiment=sentiment if comment else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with insert_guard():
            response.save(force_insert=True)
    except IntegrityError:
        existing = Response.objects.filter(public_id=public_id).first()
        if existing is None:
            raise
        same = (
            existing.project_id == survey.project_id
            and existing.survey_id == survey.pk
            and existing.end_user_id == (end_user.pk if end_user is not None else None)
        )
        if not same:
            raise ApplicationError(
                code="conflict",
                detail="This response id was already used for another survey or person.",
                fields={"id": "already used"},
                status=409,
            ) from None
        existing.survey = survey
        return existing, False
    if end_user is not None:
        history_changed(survey.project_id, [end_user])  # their throttles and fatigue moved
    return response, True


def response_comment_set(
    *,
    response: Response,
    comment: str,
    now: datetime.datetime,
    sentiment: float | None = None,
) -> Response:
    """Set the comment a person sent after their score, with its sentiment (-1 to +1) when
    the caller computed it (text analytics sits above this app)."""
    comment = clean_comment(comment)
    if comment != response.comment:
        response.comment = comment
        response.sentiment = sentiment if comment else None
        response.updated_at = now
        response.save(update_fields=["comment", "sentiment", "updated_at"])
    return response


# Tags ---------------------------------------------------------------------------------------

TAG_NAME_MAX_CHARS = 60
BULK_BATCH_SIZE = 1000
BACKFILL_BATCH_SIZE = 1000
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def tag_name_clean(name: str) -> str:
    """Return ``name`` as tags store it: Unicode-normalized, trimmed, inner whitespace collapsed.

    Raises ApplicationError (400) when nothing is left or it is longer than 60 characters.
    """
    cleaned = " ".join(unicodedata.normalize("NFC", str(name)).split())
    if not cleaned:
        raise ApplicationError(
            code="invalid", detail="A tag needs a name.", fields={"name": "required"}
        )
    if len(cleaned) > TAG_NAME_MAX_CHARS:
        raise ApplicationError(
            code="invalid",
            detail=f"A tag name has at most {TAG_NAME_MAX_CHARS} characters.",
            fields={"name": f"at most {TAG_NAME_MAX_CHARS} characters"},
        )
    return cleaned


def tag_get_or_create(*, project: Project, name: str, created_by: Any = None) -> Tag:
    """Return the tag of ``project`` called ``name`` in any letter case, creating it if needed.

    The name is cleaned first (see :func:`tag_name_clean`), so "Pricing" and " pricing " are
    one tag; the first spelling stays. A concurrent creation of the same name returns the
    winner's tag.
    """
    cleaned = tag_name_clean(name)
    existing = tag_by_name(project=project, name=cleaned)
    if existing is not None:
        return existing
    tag = Tag(project=project, name=cleaned)
    try:
        with insert_guard():
            tag.save(force_insert=True)
    except IntegrityError:
        existing = tag_by_name(project=project, name=cleaned)
        if existing is None:
            raise
        return existing
    logger.info(
        "tag.created",
        extra={"project": project.pk, "tag": tag.pk, "by": getattr(created_by, "pk", None)},
    )
    return tag


def same_project(tag: Tag, project_id: int) -> None:
    """Raise a not-found unless ``tag`` belongs to the project ``project_id``."""
    if tag.project_id != project_id:
        # Never a hint that the other project's tag exists.
        raise ApplicationError(code="not_found", detail="No such tag.", status=404)


def response_tag_add(
    *, response: Response, tag: Tag, source: str = TagSource.MANUAL, actor: Any = None
) -> bool:
    """Attach ``tag`` to ``response``; return whether it was new (adding twice is harmless)."""
    same_project(tag, response.project_id)
    link = ResponseTag(response=response, tag=tag, source=source, created_by=actor)
    try:
        with insert_guard():
            link.save(force_insert=True)
    except IntegrityError:
        if ResponseTag.objects.filter(response=response, tag=tag).exists():
            return False
        raise
    return True


def response_tag_add_named(*, response: Response, name: str, actor: Any = None) -> tuple[Tag, bool]:
    """Find or create the tag called ``name`` in the response's project and attach it; return
    the tag and whether the response did not carry it yet."""
    with transaction.atomic():
        tag = tag_get_or_create(project=response.project, name=name, created_by=actor)
        added = response_tag_add(response=response, tag=tag, actor=actor)
    return tag, added


def response_tag_remove(*, response: Response, tag: Tag, actor: Any = None) -> bool:
    """Detach ``tag`` from ``response``; return whether it was attached."""
    same_project(tag, response.project_id)
    deleted, _ = ResponseTag.objects.filter(response=response, tag=tag).delete()
    return deleted > 0


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename ``tag``; refuse (409) a name another tag of the project has in any letter case."""
    cleaned = tag_name_clean(name)
    other = tag_by_name(project=tag.project, name=cleaned)
    if other is not None and other.pk != tag.pk:
        raise ApplicationError(
            code="conflict",
            detail=f"There is already a tag called {other.name!r}: merge the two instead.",
            fields={"name": "already used"},
            status=409,
        )
    if cleaned != tag.name:
        tag.name = cleaned
        tag.save(update_fields=["name"])
    return tag


def tag_set_color(*, tag: Tag, color: str) -> Tag:
    """Set the colour of ``tag`` (``#rrggbb``)."""
    if not _COLOR.fullmatch(color):
        raise ApplicationError(
            code="invalid", detail="A colour is written #rrggbb.", fields={"color": "#rrggbb"}
        )
    if color.lower() != tag.color:
        tag.color = color.lower()
        tag.save(update_fields=["color"])
    return tag


def tag_set_parent(*, tag: Tag, parent: Tag | None) -> Tag:
    """Make ``parent`` the parent of ``tag`` (None: a top-level tag).

    Tags nest one level deep, which also rules out cycles: a parent is a top-level tag other
    than ``tag``, and a tag with children cannot get a parent. A parent's figures include its
    children's responses.
    """
    if parent is not None:
        same_project(parent, tag.project_id)
        if parent.pk == tag.pk:
            raise ApplicationError(
                code="invalid", detail="A tag cannot be its own parent.", fields={"parent": "self"}
            )
        if parent.parent_id is not None:
            raise ApplicationError(
                code="invalid",
                detail=f"{parent.name!r} is itself under another tag: tags nest one level deep.",
                fields={"parent": "not a top-level tag"},
            )
        if Tag.objects.filter(parent=tag).exists():
            raise ApplicationError(
                code="invalid",
                detail=f"{tag.name!r} has tags under it: tags nest one level deep.",
                fields={"parent": "this tag has children"},
            )
    parent_id = parent.pk if parent is not None else None
    if parent_id != tag.parent_id:
        tag.parent = parent
        tag.save(update_fields=["parent"])
    return tag


def tag_merge(*, source: Tag, target: Tag) -> Tag:
    """Fold ``source`` into ``target``, then delete ``source``; return ``target``.

    Responses tagged ``source`` carry ``target`` (once, keeping who tagged them and how);
    ``source``'s children and auto-tag rules move to ``target`` (to its parent when ``target``
    is itself a child, so tags still nest one level deep). All or nothing.
    """
    same_project(target, source.project_id)
    if source.pk == target.pk:
        raise ApplicationError(
            code="invalid", detail="A tag cannot be merged into itself.", fields={"into": "self"}
        )
    with transaction.atomic():
        # Lock both rows so a concurrent merge or rename of either waits for this one.
        locked = {
            t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
        }
        if len(locked) != 2:
            raise ApplicationError(code="not_found", detail="No such tag.", status=404)
        source, target = locked[source.pk], locked[target.pk]
        has_target = ResponseTag.objects.filter(tag=target).values("response_id")
        ResponseTag.objects.filter(tag=source).exclude(response_id__in=has_target).update(
            tag=target
        )
        if target.parent_id == source.pk:
            target.parent_id = source.parent_id
            target.save(update_fields=["parent"])
        new_parent = target.parent_id or target.pk
        Tag.objects.filter(parent=source).exclude(pk=target.pk).update(parent_id=new_parent)
        AutoTagRule.objects.filter(tag=source).update(tag=target)
        source_pk = source.pk
        source.delete()  # cascades to the links that were duplicates
    logger.info("tag.merged", extra={"source": source_pk, "target": target.pk})
    return target


def tag_delete(*, tag: Tag) -> int:
    """Delete ``tag``, its links to responses and its auto-tag rules; return how many
    responses carried it. Tags under it move to the top level. All or nothing."""
    with transaction.atomic():
        carried = ResponseTag.objects.filter(tag=tag).count()
        Tag.objects.filter(parent=tag).update(parent=None)
        tag_pk = tag.pk
        tag.delete()  # cascades to its links and rules
    logger.info("tag.deleted", extra={"tag": tag_pk, "responses": carried})
    return carried


# Auto-tag rules -----------------------------------------------------------------------------


def autotag_rule_create(
    *,
    project: Project,
    tag: Tag,
    phrases: Sequence[str] = (),
    score_min: int | None = None,
    score_max: int | None = None,
    survey: Survey | None = None,
    actor: Any = None,
) -> AutoTagRule:
    """Create an active rule adding ``tag`` to responses whose comment contains one of
    ``phrases`` and whose score is within [score_min, score_max] (each condition optional,
    at least one set). It applies to new responses; :func:`rule_backfill_request` applies it
    to history.
    """
    same_project(tag, project.pk)
    if survey is not None and survey.project_id != project.pk:
        raise ApplicationError(code="not_found", detail="No such survey.", status=404)
    cleaned = phrases_clean(phrases)
    too_long = [p for p in cleaned if len(p) > PHRASE_MAX_CHARS]
    if too_long:
        raise ApplicationError(
            code="invalid",
            detail=f"A phrase has at most {PHRASE_MAX_CHARS} characters.",
            fields={"phrases": f"at most {PHRASE_MAX_CHARS} characters each"},
        )
    if len(cleaned) > PHRASES_MAX:
        raise ApplicationError(
            code="invalid",
            detail=f"A rule has at most {PHRASES_MAX} phrases.",
            fields={"phrases": f"at most {PHRASES_MAX}"},
        )
    scale = survey.scale if survey is not None else (0, 10)  # without a survey: any scale
    low = score_bound(score_min, field="score_min", scale=scale)
    high = score_bound(score_max, field="score_max", scale=scale)
    if low is not None and high is not None and low > high:
        raise ApplicationError(
            code="invalid",
            detail="The lowest score is above the highest.",
            fields={"score_min": "at most score_max"},
        )
    if not cleaned and low is None and high is None:
        raise ApplicationError(
            code="invalid",
            detail="A rule needs words or phrases, a score range, or both.",
            fields={"phrases": "required without a score range"},
        )
    return AutoTagRule.objects.create(
        project=project,
        tag=tag,
        phrases=cleaned,
        score_min=low,
        score_max=high,
        survey=survey,
        created_by=actor,
    )


def autotag_rule_set_active(*, rule: AutoTagRule, is_active: bool) -> AutoTagRule:
    """Pause or resume ``rule`` for new responses (tags it added stay)."""
    if rule.is_active != is_active:
        rule.is_active = is_active
        rule.save(update_fields=["is_active"])
    return rule


def autotag_rule_delete(*, rule: AutoTagRule) -> None:
    """Delete ``rule``; the tags it added stay."""
    rule.delete()


def _applies(rule: AutoTagRule, response: Response) -> bool:
    if rule.survey_id is not None and rule.survey_id != response.survey_id:
        return False
    return rule_matches(
        phrases=rule.phrases,
        score_min=rule.score_min,
        score_max=rule.score_max,
        score=response.score,
        comment=response.comment,
    )


def rules_apply(*, response: Response, rules: Sequence[AutoTagRule] | None = None) -> list[int]:
    """Add the tag of each rule that ``response`` matches; return those tags' ids.

    ``rules`` defaults to the project's active rules (one query). Tags already on the response
    stay as they are; nothing is ever removed.
    """
    if rules is None:
        rules = list(
            AutoTagRule.objects.filter(project_id=response.project_id, is_active=True).filter(
                Q(survey__isnull=True) | Q(survey_id=response.survey_id)
            )
        )
    tag_ids = sorted({rule.tag_id for rule in rules if _applies(rule, response)})
    if tag_ids:
        ResponseTag.objects.bulk_create(
            [ResponseTag(response=response, tag_id=pk, source=TagSource.RULE) for pk in tag_ids],
            ignore_conflicts=True,
        )
    return tag_ids


def autotag_rules_for(*, project_id: int, survey_id: int) -> list[AutoTagRule]:
    """Return the active auto-tag rules that apply to responses of ``survey_id``."""
    return list(
        AutoTagRule.objects.filter(project_id=project_id, is_active=True).filter(
            Q(survey__isnull=True) | Q(survey_id=survey_id)
        )
    )


def response_autotag(
    *, response: Response, new: bool = False, rules: Sequence[AutoTagRule] | None = None
) -> list[int]:
    """Apply the project's active auto-tag rules (or ``rules``) to ``response``; return the
    ids of the tags it did not carry before (``new``: it was just stored, so it carries none).

    Call it after a response is stored and again after its comment arrives: one SELECT of
    the rules and, only when one matches, an INSERT (after a SELECT unless ``new``).
    """
    if rules is None:
        rules = autotag_rules_for(project_id=response.project_id, survey_id=response.survey_id)
    matched = {rule.tag_id for rule in rules if _applies(rule, response)}
    if not matched:
        return []
    carried = (
        set()
        if new
        else set(
            ResponseTag.objects.filter(response=response, tag_id__in=matched).values_list(
                "tag_id", flat=True
            )
        )
    )
    rules_apply(response=response, rules=rules)
    return sorted(matched - carried)


def rule_backfill_request(*, rule: AutoTagRule) -> AutoTagRule:
    """Reset ``rule``'s back-fill progress and enqueue the back-fill once the transaction
    commits. A new request supersedes a running one (that one stops at its next batch)."""
    from promoter.responses.tasks import rule_backfill_task  # tasks import these services

    now = timezone.now()
    rule.backfill_requested_at = now
    rule.backfill_total = None
    rule.backfill_done = 0
    rule.backfill_matched = 0
    rule.backfill_finished_at = None
    rule.save(
        update_fields=[
            "backfill_requested_at",
            "backfill_total",
            "backfill_done",
            "backfill_matched",
            "backfill_finished_at",
        ]
    )
    transaction.on_commit(lambda: rule_backfill_task.enqueue(rule.pk, now.isoformat()))
    return rule


def rule_backfill(
    *,
    rule: AutoTagRule,
    token: datetime.datetime | None = None,
    batch_size: int = BACKFILL_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> int | None:
    """Apply ``rule`` to the project's stored responses in batches; return how many match.

    Progress is written to the rule after each batch (``backfill_total``, ``backfill_done``,
    ``backfill_matched``, then ``backfill_finished_at``) and reported to ``progress(done,
    total)``. ``token`` is the ``backfill_requested_at`` of the request being served; when it
    is None this call makes its own request (a foreground run). If another request supersedes
    this one, it stops and returns None. Responses stored meanwhile are tagged on arrival.
    """
    if token is None:
        token = timezone.now()
        AutoTagRule.objects.filter(pk=rule.pk).update(
            backfill_requested_at=token,
            backfill_total=None,
            backfill_done=0,
            backfill_matched=0,
            backfill_finished_at=None,
        )
    mine = AutoTagRule.objects.filter(pk=rule.pk, backfill_requested_at=token)
    candidates = Response.objects.filter(project_id=rule.project_id)
    if rule.survey_id is not None:
        candidates = candidates.filter(survey_id=rule.survey_id)
    if rule.score_min is not None:
        candidates = candidates.filter(score__gte=rule.score_min)
    if rule.score_max is not None:
        candidates = candidates.filter(score__lte=rule.score_max)
    if rule.phrases:
        candidates = candidates.exclude(comment="")
    elif rule.score_min is None and rule.score_max is None:
        candidates = candidates.none()
    last_pk = candidates.order_by("-pk").values_list("pk", flat=True).first() or 0
    candidates = candidates.filter(pk__lte=last_pk)
    total = candidates.count()
    if not mine.update(backfill_total=total):
        return None
    done = matched = 0
    after = 0
    while True:
        rows = list(
            candidates.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "score", "comment")[:batch_size]
        )
        if not rows:
            break
        after = rows[-1][0]
        hits = [
            pk
            for pk, score, comment in rows
            if rule_matches(
                phrases=rule.phrases,
                score_min=rule.score_min,
                score_max=rule.score_max,
                score=score,
                comment=comment,
            )
        ]
        done += len(rows)
        matched += len(hits)
        with transaction.atomic():
            if not mine.update(backfill_done=done, backfill_matched=matched):
                logger.info("autotag.backfill_superseded", extra={"rule": rule.pk})
                return None
            ResponseTag.objects.bulk_create(
                [ResponseTag(response_id=pk, tag_id=rule.tag_id, source=TagSource.RULE)
                 for pk in hits],
                ignore_conflicts=True,
            )  # fmt: skip
        if progress is not None:
            progress(done, total)
    if not mine.update(backfill_finished_at=timezone.now()):
        return None
    logger.info("autotag.backfill_finished", extra={"rule": rule.pk, "matched": matched})
    return matched
