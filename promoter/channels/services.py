"""Writes of e-mail and link surveys: scheduling and sending invitations, recording the
answers their links carry, unsubscribes, bounces and autopilot (docs/email-surveys.md).

Sending is claimed by conditional UPDATE like the delivery outbox: a scheduled invitation is
sent by exactly one worker, retried with backoff when the mail server is away, and skipped
(with the reason) when the person may not be surveyed at send time: unsubscribed, bounced,
or held back by the survey's throttles and the project's fatigue guard, exactly as the
widget would be. A sent invitation is recorded as a display on the e-mail channel, so the
widget's throttles count it too.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formataddr, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from promoter.accounts.mail import connection_for, sender_for
from promoter.accounts.models import Project
from promoter.actions.responses import display_record, response_change, response_record
from promoter.channels import links
from promoter.channels.models import (
    Autopilot,
    AutopilotMember,
    Invitation,
    InvitationSource,
    InvitationStatus,
)
from promoter.channels.selectors import invitation_sent_since
from promoter.core.errors import ApplicationError
from promoter.core.zones import zone
from promoter.people.models import EndUser
from promoter.people.services import Identity, end_user_find, end_user_upsert
from promoter.responses.eligibility import rules_for
from promoter.responses.models import Channel, Response
from promoter.responses.selectors import contact_history
from promoter.surveys.eligibility import Person, evaluate
from promoter.surveys.models import Survey
from promoter.surveys.texts import product_name, resolve_texts

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=5)
MAX_SEND_ATTEMPTS = 6
CLAIM_BATCH = 20
RESPONSE_NAMESPACE = uuid.UUID("5b0f0c1e-51a4-4f0e-8d43-7f3a9c2b6d10")


def response_id_for(invitation: Invitation) -> uuid.UUID:
    """Return the id of the response an invitation's links record: the same for every click,
    so clicking twice (or two buttons) never makes two responses."""
    return uuid.uuid5(RESPONSE_NAMESPACE, str(invitation.public_id))


# Scheduling ---------------------------------------------------------------------------------


def invitation_schedule(
    *,
    project: Project,
    survey: Survey,
    identity: Identity,
    source: str,
    properties: Mapping[str, Any] | None = None,
    send_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Invitation:
    """Schedule an e-mail survey for the person ``identity`` names (an e-mail is required);
    return the invitation. A person with an invitation still waiting for this survey gets
    that one moved to ``send_at`` instead of a second one. An invitation to send now that
    may not go (:func:`why_not_now`) is skipped at once, with the reason."""
    invitation, _skip = _schedule(
        project=project,
        survey=survey,
        identity=identity,
        source=source,
        properties=properties,
        send_at=send_at,
        now=now or timezone.now(),
    )
    return invitation


def _schedule(
    *,
    project: Project,
    survey: Survey,
    identity: Identity,
    source: str,
    properties: Mapping[str, Any] | None,
    send_at: datetime.datetime | None,
    now: datetime.datetime,
) -> tuple[Invitation, Skip | None]:
    if survey.project_id != project.pk:
        raise ApplicationError(code="not_found", detail="No such survey.", status=404)
    if not identity.email:
        raise ApplicationError(
            code="invalid",
            detail="An e-mail survey needs the person's e-mail address.",
            fields={"email": "required"},
        )
    when = send_at or now
    skip = None
    with transaction.atomic():
        person = end_user_upsert(project=project, identity=identity, now=now)
        waiting = (
            Invitation.objects.select_for_update()
            .filter(survey=survey, end_user=person, status=InvitationStatus.SCHEDULED)
            .first()
        )
        if waiting is not None:
            waiting.scheduled_at = when
            waiting.properties = {**waiting.properties, **dict(properties or {})}
            waiting.save(update_fields=["scheduled_at", "properties"])
            invitation = waiting
        else:
            invitation = Invitation.objects.create(
                project=project,
                survey=survey,
                end_user=person,
                source=source,
                properties=dict(properties or {}),
                locale=identity.locale or person.locale,
                scheduled_at=when,
                created_at=now,
            )
        if when <= now:
            invitation.survey, invitation.end_user, invitation.project = survey, person, project
            skip = why_not_now(invitation, now)
            if skip is None:
                _send_on_commit(invitation.pk)
            else:
                invitation.status, invitation.reason = InvitationStatus.SKIPPED, skip.detail[:300]
                invitation.save(update_fields=["status", "reason"])
    logger.info(
        "invitation.scheduled",
        extra={"invitation": invitation.pk, "survey": survey.pk, "source": source},
    )
    return invitation, skip


@dataclass(frozen=True)
class Scheduled:
    """What :func:`invitations_schedule_many` did: the invitations that wait to be sent (or
    are being sent now), and per reason how many people were skipped at once."""

    invitations: list[Invitation]
    skipped: dict[str, int]

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def invitations_schedule_many(
    *,
    project: Project,
    survey: Survey,
    rows: list[Any],
    source: str,
    send_at: datetime.datetime | None = None,
) -> Scheduled:
    """Schedule an invitation per row of :func:`promoter.channels.people_csv.parse`, all or
    none; those to send now that may not go are skipped at once and counted by reason."""
    now = timezone.now()
    scheduled: list[Invitation] = []
    skipped: dict[str, int] = {}
    with transaction.atomic():
        for row in rows:
            invitation, skip = _schedule(
                project=project,
                survey=survey,
                identity=Identity(
                    email=row.email,
                    external_id=row.external_id or None,
                    name=row.name,
                    locale=row.locale,
                ),
                source=source,
                properties=row.properties,
                send_at=send_at,
                now=now,
            )
            if skip is None:
                scheduled.append(invitation)
            else:
                skipped[skip.label] = skipped.get(skip.label, 0) + 1
    return Scheduled(invitations=scheduled, skipped=skipped)


def _send_on_commit(invitation_id: int) -> None:
    from promoter.channels.tasks import invitation_send  # tasks import these services

    def enqueue() -> None:
        try:
            invitation_send.enqueue(invitation_id)
        except Exception:  # the queue is down: the workers' sweep sends it anyway
            logger.exception("invitation.enqueue_failed", extra={"invitation": invitation_id})

    transaction.on_commit(enqueue)


def invitation_sent_before_promoter(
    *, project: Project, survey: Survey, person: EndUser, at: datetime.datetime
) -> Invitation | None:
    """Record an invitation sent before Promoter (Delighted's ``last_sent_at``), so the
    throttles count it, once: nothing when one was sent at or after ``at``, or ``at`` is in
    the future."""
    if invitation_sent_since(person_id=person.pk, since=at) or at > timezone.now():
        return None
    return Invitation.objects.create(
        project=project,
        survey=survey,
        end_user=person,
        source=InvitationSource.API,
        status=InvitationStatus.SENT,
        reason="sent before Promoter (last_sent_at)",
        scheduled_at=at,
        sent_at=at,
        created_at=at,
    )


def invitations_cancel(*, end_user: EndUser, survey: Survey | None = None) -> int:
    """Cancel the invitations still waiting to be sent to ``end_user`` (of ``survey``)."""
    waiting = Invitation.objects.filter(end_user=end_user, status=InvitationStatus.SCHEDULED)
    if survey is not None:
        waiting = waiting.filter(survey=survey)
    return waiting.update(status=InvitationStatus.CANCELED, reason="canceled")


# Sending ------------------------------------------------------------------------------------


def _due(now: datetime.datetime) -> Q:
    return Q(status=InvitationStatus.SCHEDULED, scheduled_at__lte=now) | Q(
        status=InvitationStatus.SENDING, lease_until__lt=now
    )


@dataclass
class SendCounts:
    sent: int = 0
    skipped: int = 0
    bounced: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.skipped + self.bounced + self.retrying + self.failed


def invitations_send_due(*, worker: str, ids: list[int] | None = None) -> SendCounts:
    """Claim and send the invitations whose time has come (of ``ids`` when given)."""
    counts = SendCounts()
    while True:
        now = timezone.now()
        token = f"{worker[:27]}:{uuid.uuid4().hex[:12]}"
        candidates = Invitation.objects.filter(_due(now))
        if ids is not None:
            candidates = candidates.filter(pk__in=ids)
        picked = list(candidates.order_by("scheduled_at", "pk").values_list("pk", flat=True)[:20])
        if not picked:
            return counts
        claimed = (
            Invitation.objects.filter(pk__in=picked)
            .filter(_due(now))
            .update(
                status=InvitationStatus.SENDING,
                lease_until=now + LEASE,
                reason=token,
                attempts=F("attempts") + 1,
            )
        )
        if not claimed:
            continue
        rows = Invitation.objects.filter(
            pk__in=picked, status=InvitationStatus.SENDING, reason=token
        ).select_related("survey", "end_user", "project")
        for invitation in rows:
            outcome = invitation_deliver(invitation=invitation, token=token)
            setattr(counts, outcome, getattr(counts, outcome) + 1)


@dataclass(frozen=True)
class Skip:
    """Why a person may not be surveyed by e-mail now: ``label`` groups the reasons (for
    counts), ``detail`` says it of this person (shown on the invitation)."""

    label: str
    detail: str


# The eligibility rule that failed, said as the reason people were skipped.
SKIP_LABELS = {
    "disabled": "the survey is off for e-mail",
    "targeting": "not targeted by the survey",
    "not_yet": "signed up too recently",
    "throttled_response": "answered it recently",
    "throttled_decline": "dismissed it recently",
    "fatigue": "surveyed recently (fatigue guard)",
    "sampled_out": "outside the sample",
    "daily_cap": "the daily cap is reached",
}


def why_not_now(invitation: Invitation, now: datetime.datetime) -> Skip | None:
    """Return why the person may not be surveyed by e-mail now, or None when they may."""
    person = invitation.end_user
    if person.unsubscribed_at is not None:
        return Skip("unsubscribed", "unsubscribed")
    if person.bounced_at is not None:
        return Skip("their address bounced", "their address bounced")
    if not person.email:
        return Skip("no e-mail address", "no e-mail address")
    survey = invitation.survey
    history = contact_history(person)
    # The survey must still take e-mail answers (active, e-mail channel on: its answer pages
    # refuse otherwise), and its throttles and the fatigue guard hold.
    verdict = evaluate(
        rules=rules_for(survey),
        person=Person(
            key=f"id:{person.external_id}" if person.external_id else f"email:{person.email}",
            properties={**person.properties, **invitation.properties},
            signed_up_at=person.signed_up_at,
            last_response_at=history.last_response.get(survey.pk),
            last_decline_at=history.last_decline.get(survey.pk),
            last_surveyed_at=history.last_contact,
        ),
        now=now,
        channel="email",
        fatigue_days=invitation.project.fatigue_days,
    )
    if verdict.eligible:
        return None
    failed = next((c for c in verdict.checks if not c.passed), None)
    if failed is None:
        return Skip("not eligible", "not eligible")
    return Skip(SKIP_LABELS.get(failed.rule, failed.rule), failed.detail)


def _finish(invitation: Invitation, token: str, **changes: Any) -> bool:
    changes.setdefault("lease_until", None)
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.SENDING, reason=token
        ).update(**changes)
    )


def invitation_deliver(*, invitation: Invitation, token: str) -> str:
    """Send one claimed invitation; return sent, skipped, bounced, retrying or failed."""
    now = timezone.now()
    skip = why_not_now(invitation, now)
    if skip is not None:
        _finish(invitation, token, status=InvitationStatus.SKIPPED, reason=skip.detail[:300])
        logger.info(
            "invitation.skipped", extra={"invitation": invitation.pk, "reason": skip.detail}
        )
        return "skipped"
    message_id = make_msgid(domain=_mail_domain())
    mail = invitation_mail(invitation, message_id=message_id)
    try:
        connection_for(invitation.project).send_messages([mail])
    except smtplib.SMTPRecipientsRefused:
        with transaction.atomic():
            _finish(invitation, token, status=InvitationStatus.BOUNCED, reason="refused")
            EndUser.objects.filter(pk=invitation.end_user_id, bounced_at__isnull=True).update(
                bounced_at=now
            )
        return "bounced"
    except (smtplib.SMTPException, OSError) as exc:
        if invitation.attempts >= MAX_SEND_ATTEMPTS:
            _finish(invitation, token, status=InvitationStatus.FAILED, reason=str(exc)[:300])
            return "failed"
        wait = datetime.timedelta(seconds=30 * 2 ** (invitation.attempts - 1))
        _finish(
            invitation,
            token,
            status=InvitationStatus.SCHEDULED,
            scheduled_at=now + wait,
            reason=f"retrying: {exc}"[:300],
        )
        return "retrying"
    with transaction.atomic():
        _finish(
            invitation,
            token,
            status=InvitationStatus.SENT,
            sent_at=now,
            message_id=message_id,
            reason="",
        )
        # The e-mail is a contact: the widget's throttles and the fatigue guard count it.
        display_record(
            survey=invitation.survey, person=invitation.end_user, channel=Channel.EMAIL, now=now
        )
    logger.info("invitation.sent", extra={"invitation": invitation.pk})
    return "sent"


def _mail_domain() -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.SITE_URL).hostname or "promoter.local"


def invitation_mail(invitation: Invitation, *, message_id: str) -> EmailMultiAlternatives:
    """Return the e-mail of an invitation: the question with one signed link per score."""
    survey, person, project = invitation.survey, invitation.end_user, invitation.project
    _locale, texts = resolve_texts(
        kind=survey.kind,
        scale=survey.scale,
        custom=survey.texts or {},
        locale=invitation.locale or person.locale,
        product=product_name(project),
    )
    token = links.token_for(invitation.public_id)
    low, high = survey.scale
    context = {
        "texts": texts,
        "survey": survey,
        "project": project,
        "scores": [(n, links.score_url(token, n)) for n in range(low, high + 1)],
        "unsubscribe_url": links.unsubscribe_url(token),
        "site_name": settings.SITE_NAME,
    }
    name, address = sender_for(project)
    mail = EmailMultiAlternatives(
        subject=texts["question"][:200],
        from_email=formataddr((name or project.name, address)),
        body=render_to_string("channels/invitation.txt", context),
        to=[formataddr((person.display_name, person.email or ""))],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{links.unsubscribe_url(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Promoter-Invitation": str(invitation.public_id),
        },
    )
    mail.attach_alternative(render_to_string("channels/invitation.html", context), "text/html")
    return mail


# Answers ------------------------------------------------------------------------------------


def answer_record(*, invitation: Invitation, score: int, now: datetime.datetime) -> Response:
    """Record the score a person chose in their invitation (a click, or a change on the
    comment page); the same response however often they click, its score changed when they
    click another."""
    with transaction.atomic():
        response, created = response_record(
            survey=invitation.survey,
            score=score,
            person=invitation.end_user,
            channel=Channel.EMAIL,
            locale=invitation.locale,
            properties=invitation.properties,
            public_id=response_id_for(invitation),
            now=now,
        )
        if created:
            Invitation.objects.filter(pk=invitation.pk).update(response=response)
        elif response.score != score:
            response_change(response=response, score=score, now=now)
    return response


def answer_comment(
    *,
    invitation: Invitation,
    comment: str,
    score: int | None,
    now: datetime.datetime,
    answers: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Response:
    """Record the comment, the answers to additional questions of ``version`` (and maybe a
    changed score) from the invitation's comment page; all or nothing."""
    with transaction.atomic():
        current = Response.objects.filter(public_id=response_id_for(invitation)).first()
        if current is None:
            current = answer_record(invitation=invitation, score=score or -1, now=now)
            score = None
        return response_change(
            response=current,
            comment=comment,
            score=score,
            answers=answers or None,
            version=version,
            now=now,
        )


def invitation_opened(*, invitation: Invitation, now: datetime.datetime) -> None:
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)


def link_person_email(*, survey: Survey, email: str, signature: str) -> str:
    """Return the e-mail a survey's public link may name its person by, or "" for an
    anonymous answer: none when the survey takes anonymous link answers only, and only with
    a valid signature (:func:`links.link_signature`) when the project verifies identities."""
    if not email or survey.link_anonymous:
        return ""
    project = survey.project
    if project.require_identity_verification:
        expected = links.link_signature(
            secret=project.secret, survey_id=survey.public_id, email=email
        )
        if not hmac.compare_digest(signature.strip().lower(), expected):
            return ""
    return email


def link_answer(
    *,
    survey: Survey,
    score: int,
    email: str = "",
    locale: str = "",
    now: datetime.datetime,
) -> Response:
    """Record a score given on a survey's public link: anonymous, or as ``email`` (which
    :func:`link_person_email` allowed). A person who answered this survey within its re-survey
    delay is refused (409) and nothing is written."""
    person = None
    if email:
        person = Identity(email=email, locale=locale)
        _check_link_throttle(survey=survey, identity=person, now=now)
    response, _ = response_record(
        survey=survey, score=score, person=person, channel=Channel.LINK, locale=locale, now=now
    )
    return response


def _check_link_throttle(*, survey: Survey, identity: Identity, now: datetime.datetime) -> None:
    """Refuse (409) a link answer from a person who answered ``survey`` within its re-survey
    delay: the same throttle as the widget's and the e-mail invitations'."""
    person = end_user_find(project=survey.project, identity=identity)
    if person is None or survey.resurvey_after_days <= 0:
        return
    last = contact_history(person).last_response.get(survey.pk)
    if last is None:
        return
    again = last + datetime.timedelta(days=survey.resurvey_after_days)
    if now < again:
        tz = zone(survey.project.timezone)
        answered, next_day = last.astimezone(tz).date(), again.astimezone(tz).date()
        raise ApplicationError(
            code="throttled",
            detail=f"You answered this survey on {answered:%B} {answered.day}, "
            f"{answered.year}. Thank you! It takes a new answer from you from "
            f"{next_day:%B} {next_day.day}, {next_day.year}.",
            fields={"email": "answered lately"},
            status=409,
        )


def link_comment(
    *,
    response: Response,
    comment: str,
    now: datetime.datetime,
    answers: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Response:
    """Record the comment and the answers to additional questions of ``version`` given on a
    public link's comment page; all or nothing."""
    return response_change(
        response=response, comment=comment, answers=answers or None, version=version, now=now
    )


# Unsubscribes and bounces -------------------------------------------------------------------


def unsubscribe(*, end_user: EndUser, now: datetime.datetime | None = None) -> bool:
    """Stop every e-mail survey to ``end_user``; return whether they were subscribed. Their
    answers stay. Honoured by every invitation, autopilot and the API."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = EndUser.objects.filter(pk=end_user.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        )
        invitations_cancel(end_user=end_user)
    if changed:
        logger.info("person.unsubscribed", extra={"person": end_user.pk})
    return bool(changed)


def bounce_record(*, end_user: EndUser, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        EndUser.objects.filter(pk=end_user.pk, bounced_at__isnull=True).update(bounced_at=now)
    )


# Autopilot ----------------------------------------------------------------------------------


def autopilot_configure(*, survey: Survey, interval_days: int, is_active: bool) -> Autopilot:
    """Turn e-mail autopilot of ``survey`` on or off, re-surveying every ``interval_days``."""
    if not 1 <= interval_days <= 3650:
        raise ApplicationError(
            code="invalid",
            detail="Re-survey every 1 to 3650 days.",
            fields={"interval_days": "between 1 and 3650"},
        )
    autopilot, _ = Autopilot.objects.update_or_create(
        survey=survey,
        defaults={
            "project_id": survey.project_id,
            "interval_days": interval_days,
            "is_active": is_active,
        },
    )
    return autopilot


def autopilot_member_add(
    *,
    autopilot: Autopilot,
    identity: Identity,
    properties: Mapping[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> AutopilotMember:
    """Add the person to ``autopilot`` (first survey at the next sweep), or replace their
    properties when they are in it already."""
    now = now or timezone.now()
    if not identity.email:
        raise ApplicationError(
            code="invalid",
            detail="Autopilot e-mails people: give their e-mail address.",
            fields={"email": "required"},
        )
    with transaction.atomic():
        person = end_user_upsert(project=autopilot.project, identity=identity, now=now)
        member, created = AutopilotMember.objects.get_or_create(
            autopilot=autopilot,
            end_user=person,
            defaults={
                "properties": dict(properties or {}),
                "next_invite_at": now,
                "created_at": now,
            },
        )
        if not created and properties is not None:
            member.properties = dict(properties)
            member.save(update_fields=["properties"])
    return member


def autopilot_member_remove(*, autopilot: Autopilot, end_user: EndUser) -> bool:
    """Remove the person from ``autopilot`` and cancel its waiting invitation; they stay a
    person with their answers."""
    with transaction.atomic():
        deleted, _ = AutopilotMember.objects.filter(autopilot=autopilot, end_user=end_user).delete()
        invitations_cancel(end_user=end_user, survey=autopilot.survey)
    return deleted > 0


def autopilot_schedule_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Schedule an invitation for each autopilot member whose time has come and move their
    next time on by the interval; return how many. Safe with many workers: a member is
    moved on by a conditional UPDATE before it is scheduled."""
    now = now or timezone.now()
    due = list(
        AutopilotMember.objects.filter(
            next_invite_at__lte=now, autopilot__is_active=True, autopilot__survey__is_active=True
        )
        .select_related("autopilot", "autopilot__survey", "autopilot__project", "end_user")
        .order_by("next_invite_at")[:limit]
    )
    scheduled = 0
    for member in due:
        autopilot = member.autopilot
        following = now + datetime.timedelta(days=autopilot.interval_days)
        with transaction.atomic():
            mine = AutopilotMember.objects.filter(
                pk=member.pk, next_invite_at=member.next_invite_at
            ).update(next_invite_at=following)
            if not mine:
                continue  # another worker took it
            person = member.end_user
            invitation_schedule(
                project=autopilot.project,
                survey=autopilot.survey,
                identity=Identity(
                    external_id=person.external_id, email=person.email, locale=person.locale
                ),
                source=InvitationSource.AUTOPILOT,
                properties=member.properties,
                now=now,
            )
            scheduled += 1
    return scheduled
