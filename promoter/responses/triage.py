"""Closing the loop on a response: notes with @mentions, assignment, open/closed, and e-mail
replies to the person, each recorded in the response's history (who, what, when).

Replies go through the installation's mail server (``EMAIL_URL``) from ``DEFAULT_FROM_EMAIL``
in the teammate's name, with the teammate's address as Reply-To, so the person's answer
lands in the teammate's own inbox; later replies on one response thread under the first.
"""

from __future__ import annotations

import datetime
import logging
import re
import smtplib
from dataclasses import dataclass
from email.utils import formataddr, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks

from promoter.accounts.mail import connection_for, sender_for
from promoter.accounts.models import Membership, Project, User
from promoter.core.errors import ApplicationError
from promoter.responses.models import (
    Activity,
    ActivityKind,
    Category,
    Note,
    Reply,
    ReplyStatus,
    Response,
    Status,
)
from promoter.surveys.scales import THRESHOLDS, category_for

logger = logging.getLogger(__name__)

NOTE_MAX_CHARS = 5000
REPLY_MAX_CHARS = 10000
_MENTION = re.compile(r"(?<![\w.])@([\w.+-]+)")


def _activity(response: Response, actor: Any, kind: str, **detail: Any) -> Activity:
    return Activity.objects.create(
        response=response,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        detail=detail,
        created_at=timezone.now(),
    )


def _members(project: Project) -> list[User]:
    return list(User.objects.filter(memberships__project=project).order_by("pk"))


def mentioned(*, project: Project, body: str) -> list[User]:
    """Return the members of ``project`` that ``body`` @mentions, by the part of their e-mail
    before the @ or their first name, in any letter case."""
    handles = {m.lower() for m in _MENTION.findall(body)}
    if not handles:
        return []
    found = []
    for user in _members(project):
        names = {user.email.split("@", 1)[0].lower(), user.email.lower()}
        if user.first_name:
            names.add(user.first_name.lower())
        if names & handles:
            found.append(user)
    return found


def note_add(*, response: Response, author: User, body: str) -> Note:
    """Add an internal note; e-mail the teammates it @mentions (never the person)."""
    body = body.strip()
    if not body:
        raise ApplicationError(code="invalid", detail="Write a note.", fields={"body": "required"})
    if len(body) > NOTE_MAX_CHARS:
        raise ApplicationError(
            code="invalid",
            detail=f"A note has at most {NOTE_MAX_CHARS} characters.",
            fields={"body": "too long"},
        )
    project = response.survey.project
    people = [u for u in mentioned(project=project, body=body) if u.pk != author.pk]
    with transaction.atomic():
        note = Note.objects.create(
            response=response, author=author, body=body, mentions=[u.pk for u in people]
        )
        _activity(response, author, ActivityKind.NOTE, note=str(note.public_id))
    if people:
        transaction.on_commit(lambda: _tell_mentioned(note, people))
    return note


def response_url(*, response: Response) -> str:
    """Return the absolute address of ``response``'s own page, for links in messages.

    Never its card in the Feedback stream: the stream shows only the newest responses, so
    a link to an older one would open a page without it.
    """
    path = reverse("project-response", args=[response.survey.project.slug, response.public_id])
    return settings.SITE_URL.rstrip("/") + path


def _tell_mentioned(note: Note, people: list[User]) -> None:
    response = note.response
    author = note.author.get_full_name() or note.author.email if note.author else "A teammate"
    body = (
        f"{author} mentioned you in a note on a response ({response.score}):\n\n"
        f"{note.body}\n\nOpen it: {response_url(response=response)}\n"
    )
    try:
        EmailMultiAlternatives(
            subject=f"{author} mentioned you on a response",
            body=body,
            to=[u.email for u in people],
        ).send()
    except (smtplib.SMTPException, OSError):
        logger.exception("note.mention_mail_failed", extra={"note": note.pk})


def response_assign(*, response: Response, assignee: User | None, actor: User) -> Response:
    """Assign ``response`` to a member of its project (None: nobody)."""
    if (
        assignee is not None
        and not Membership.objects.filter(project_id=response.project_id, user=assignee).exists()
    ):
        raise ApplicationError(
            code="invalid",
            detail="Assign to a member of this project.",
            fields={"assignee": "not a member"},
        )
    if response.assignee_id == (assignee.pk if assignee else None):
        return response
    with transaction.atomic():
        response.assignee = assignee
        response.save(update_fields=["assignee"])
        if assignee is None:
            _activity(response, actor, ActivityKind.UNASSIGNED)
        else:
            _activity(response, actor, ActivityKind.ASSIGNED, to=assignee.email)
    return response


def response_set_status(*, response: Response, status: str, actor: User | None) -> Response:
    """Close or reopen ``response``."""
    if status not in Status.values:
        raise ApplicationError(
            code="invalid", detail="Open or closed?", fields={"status": "open or closed"}
        )
    changed = Response.objects.filter(pk=response.pk).exclude(status=status).update(status=status)
    if changed:
        response.status = status
        kind = ActivityKind.CLOSED if status == Status.CLOSED else ActivityKind.REOPENED
        _activity(response, actor, kind)
    return response


# Replies --------------------------------------------------------------------------------------

TEMPLATES: dict[str, tuple[str, str]] = {
    Category.PROMOTER: (
        "Thank you for your feedback",
        "Hi {name},\n\nThank you for recommending {product}: it means a lot to the team."
        " Would you share it in a short review? It helps others find us.\n\n{teammate}",
    ),
    Category.PASSIVE: (
        "Thank you for your feedback",
        "Hi {name},\n\nThank you for your feedback on {product}. What one thing would make it"
        " a 10 for you?\n\n{teammate}",
    ),
    Category.DETRACTOR: (
        "Sorry about your experience with {product}",
        "Hi {name},\n\nI'm sorry {product} let you down, and thank you for telling us."
        " Could we talk for 15 minutes this week so I understand what went wrong?\n\n{teammate}",
    ),
}


def reply_template(*, response: Response, author: User) -> tuple[str, str]:
    """Return the suggested (subject, body) of a reply, by the response's category."""
    category = category_for(response.survey.kind, response.score)
    subject, body = TEMPLATES[category]
    person = response.end_user
    name = person.display_name.split(" ")[0] if person is not None else ""
    values = {
        "name": name or "there",
        "product": response.survey.project.name,
        "teammate": author.get_full_name() or author.email,
    }
    return subject.format(**values), body.format(**values)


def reply_send(*, response: Response, author: User, subject: str, body: str) -> Reply:
    """E-mail ``body`` to the person who answered; record it (sent or failed) in the
    response's history. Raises ApplicationError when the person has no e-mail address."""
    person = response.end_user
    to = (person.email or "") if person is not None else ""
    if not to:
        raise ApplicationError(
            code="invalid",
            detail="This person left no e-mail address: they cannot be answered by e-mail.",
            fields={"to": "unknown"},
        )
    subject, body = " ".join(subject.split())[:200], body.strip()
    if not subject or not body:
        raise ApplicationError(
            code="invalid",
            detail="A reply needs a subject and a message.",
            fields={"subject" if not subject else "body": "required"},
        )
    if len(body) > REPLY_MAX_CHARS:
        raise ApplicationError(
            code="invalid", detail="That message is too long.", fields={"body": "too long"}
        )
    project = response.survey.project
    _name, sender = sender_for(project)
    teammate = author.get_full_name() or author.email
    domain = sender.split("@", 1)[-1] or "promoter.local"
    message_id = make_msgid(domain=domain)
    first = response.replies.filter(status=ReplyStatus.SENT).order_by("created_at").first()
    headers = {"Message-ID": message_id, "Reply-To": formataddr((teammate, author.email))}
    if first is not None:
        headers["In-Reply-To"] = first.message_id
        headers["References"] = first.message_id
    mail = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=formataddr((f"{teammate} ({project.name})", sender)),
        to=[to],
        headers=headers,
    )
    html = linebreaks(escape(body))
    mail.attach_alternative(f'<div style="font-family:Arial,sans-serif">{html}</div>', "text/html")
    status, error = ReplyStatus.SENT, ""
    try:
        connection_for(project).send_messages([mail])
    except (smtplib.SMTPException, OSError) as exc:
        status, error = ReplyStatus.FAILED, str(exc)[:300]
        logger.warning("reply.failed", extra={"response": response.pk, "error": error})
    with transaction.atomic():
        reply = Reply.objects.create(
            response=response,
            author=author,
            to_email=to,
            subject=subject,
            body=body,
            message_id=message_id,
            status=status,
            error=error,
            created_at=timezone.now(),
        )
        _activity(response, author, ActivityKind.REPLY, reply=str(reply.public_id), status=status)
    return reply


# The Follow-up inbox --------------------------------------------------------------------------


def followup_queryset(*, project: Project) -> QuerySet[Response]:
    """Return the open responses that wait for someone: detractors, and comments nobody has
    replied to, oldest first."""
    detractor = Q(pk__in=[])
    for kind, (detractor_max, _promoter_min) in THRESHOLDS.items():
        detractor |= Q(survey__kind=kind, score__lte=detractor_max)
    answered = Reply.objects.filter(response=OuterRef("pk"), status=ReplyStatus.SENT)
    unanswered_comment = ~Q(comment="") & ~Exists(answered)
    return (
        Response.objects.filter(project=project, status=Status.OPEN, excluded=False)
        .filter(detractor | unanswered_comment)
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class InboxCounts:
    total: int
    unassigned: int
    by_assignee: list[tuple[User, int]]


def followup_counts(*, project: Project) -> InboxCounts:
    """Return how many responses wait, in all, unassigned and per assignee (two queries)."""
    rows = list(
        followup_queryset(project=project).order_by().values("assignee_id").annotate(n=Count("id"))
    )
    per = {row["assignee_id"]: row["n"] for row in rows}
    users = {u.pk: u for u in User.objects.filter(pk__in=[k for k in per if k is not None])}
    by = sorted(
        ((users[k], n) for k, n in per.items() if k is not None and k in users),
        key=lambda pair: (-pair[1], pair[0].email),
    )
    return InboxCounts(total=sum(per.values()), unassigned=per.get(None, 0), by_assignee=by)


def history(*, response: Response) -> list[Activity]:
    return list(response.activities.select_related("actor").order_by("created_at", "pk"))


def age(response: Response, now: datetime.datetime | None = None) -> datetime.timedelta:
    return (now or timezone.now()) - response.created_at
