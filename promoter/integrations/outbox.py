"""The outbox's workers: claim due deliveries, send them, record each try, retry with backoff
(docs/integrations.md).

Workers claim rows with a conditional UPDATE and a lease (:func:`deliveries_claim`), so no
two send one delivery, and sweep the outbox for due retries, deliveries whose task was lost
and claims whose worker died (:func:`deliveries_process`): a killed worker delays a delivery
but never loses it. Sending is at least once; the delivery's id travels with each try for
de-duplication.

One message per news: a message is built when it is sent, from the response as it is then,
so the deliveries of one response to one destination go one at a time, in the order their
events happened (:func:`deliveries_claim`), and one that would say what the last delivered
one said is skipped (:func:`_attempt`). The widget's score and comment, a moment apart, thus
make one message when both are in before the first is sent (docs/integrations.md). This is
decided when sending rather than by merging a pending delivery into the next at routing
time, because only the sender knows what was said: a first delivery already claimed, waiting
for a retry or sent again after a crash may or may not carry the comment. Every delivery
row stays, so the log shows each event, and at least once holds: a skipped delivery said
nothing that a delivered one had not said.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from promoter.accounts.models import Project
from promoter.integrations import payload
from promoter.integrations.destinations import destination_delete
from promoter.integrations.models import Delivery, DeliveryAttempt, DeliveryStatus, Destination
from promoter.integrations.registry import enabled_kinds, transport_for
from promoter.integrations.transport import Message, Transport, TransportError
from promoter.responses.models import Answer, Response, ResponseTag, Tag
from promoter.responses.selectors import answers_of
from promoter.surveys.models import Survey

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 6 * 3600
MAX_RETRY_AFTER_SECONDS = 24 * 3600
CLAIM_BATCH = 20


@dataclass
class Outcome:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # claims another worker took over after our lease ran out
    skipped: int = 0  # nothing new since the last message to the destination: not sent

    def add(self, other: Outcome) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.lost += other.lost
        self.skipped += other.skipped

    @property
    def total(self) -> int:
        return self.delivered + self.retrying + self.failed + self.lost + self.skipped


UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


def _due(now: datetime.datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )


def _waits_behind_an_earlier_one() -> Exists:
    """Whether an earlier delivery of the same response to the same destination is not
    finished yet (pending, or claimed: maybe being sent right now).

    The later one waits for it, so that once it is due the earlier one's message is recorded
    and it can tell whether it has anything new to say (:func:`_attempt`). Test messages have
    no response and never wait.
    """
    return Exists(
        Delivery.objects.filter(
            response_id=OuterRef("response_id"),
            destination_id=OuterRef("destination_id"),
            pk__lt=OuterRef("pk"),
            status__in=UNFINISHED,
        )
    )


def _last_delivered_digest() -> Subquery:
    """The digest of the last message delivered to the same destination about the same
    response, by another delivery (the last successful try by time: a replay may deliver an
    older delivery after a newer one)."""
    return Subquery(
        DeliveryAttempt.objects.filter(
            delivery__response_id=OuterRef("response_id"),
            delivery__destination_id=OuterRef("destination_id"),
            ok=True,
        )
        .exclude(delivery_id=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("digest")[:1]
    )


def deliveries_claim(
    *, worker: str, limit: int = CLAIM_BATCH, ids: Sequence[int] | None = None
) -> tuple[str, list[Delivery]]:
    """Claim up to ``limit`` due deliveries (of ``ids`` when given) for ``worker``; return the
    claim's token and the claimed rows, oldest first.

    Due: pending with its time come, or claimed by a worker whose lease ran out (it died),
    and not behind an unfinished earlier delivery of its response to its destination (those
    go one at a time, in order). The claim is one conditional UPDATE, so concurrent workers
    never claim the same row. Each row comes with ``previous_digest``, the digest of the last
    message delivered to its destination about its response ("" if none).
    """
    now = timezone.now()
    token = f"{worker[:27]}:{uuid.uuid4().hex[:12]}"
    candidates = Delivery.objects.filter(_due(now)).exclude(_waits_behind_an_earlier_one())
    if ids is not None:
        candidates = candidates.filter(pk__in=list(ids))
    picked = list(candidates.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if not picked:
        return token, []
    lease = now + datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = (
        Delivery.objects.filter(pk__in=picked)
        .filter(_due(now))
        .update(
            status=DeliveryStatus.SENDING,
            lease_until=lease,
            claimed_by=token,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return token, []
    rows: list[Delivery] = list(
        Delivery.objects.filter(pk__in=picked, claimed_by=token, status=DeliveryStatus.SENDING)
        .select_related(
            "destination",
            "destination__project",
            "response",
            "response__survey",
            "response__survey__project",
            "response__end_user",
            "tag",
        )
        .annotate(previous_digest=_last_delivered_digest())
        .order_by("next_attempt_at", "pk")
    )
    return token, rows


def _tags_of(responses: list[Response]) -> dict[int, list[Tag]]:
    tags: dict[int, list[Tag]] = {r.pk: [] for r in responses}
    links = ResponseTag.objects.filter(response__in=responses).select_related("tag")
    for link in links.order_by("tag__name"):
        tags[link.response_id].append(link.tag)
    return tags


def sample_response(project: Project) -> Response:
    """Return an unsaved response to show what a message looks like (test sends, samples)."""
    from promoter.people.models import EndUser

    survey = project.surveys.order_by("created_at", "pk").first() or Survey(
        project=project, name="NPS", kind="nps"
    )
    survey.project = project
    now = timezone.now()
    person = EndUser(
        project=project,
        external_id="test-person-1",
        email="test.person@example.com",
        properties={"plan": "pro", "name": "Test Person"},
        first_seen_at=now,
        last_seen_at=now,
    )
    return Response(
        public_id=uuid.UUID(int=0),
        project=project,
        survey=survey,
        end_user=person,
        score={"nps": 3, "csat": 2, "ces": 2}.get(survey.kind, 3),
        comment="This is a test message from Promoter: the export to CSV keeps timing out.",
        locale="en",
        channel="web",
        properties={"plan": "pro", "country": "FR"},
        sentiment=-0.4,
        created_at=now,
        updated_at=now,
    )


def message_for(
    delivery: Delivery, tags: list[Tag] | None = None, answers: list[Answer] | None = None
) -> Message:
    """Return what ``delivery`` sends (with its response's ``tags`` and ``answers``)."""
    if delivery.response is None:
        return Message(
            id=str(delivery.public_id),
            event=delivery.event,
            response=sample_response(delivery.destination.project),
            tags=[],
            test=True,
        )
    return Message(
        id=str(delivery.public_id),
        event=delivery.event,
        response=delivery.response,
        tags=tags or [],
        tag=delivery.tag,
        answers=answers or [],
    )


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Return the wait before try ``attempts + 1``: base * 2^(attempts-1), capped at 6 hours,
    with ±50% jitter so retries of an outage spread out."""
    base = float(settings.DELIVERY_RETRY_BASE_SECONDS) * (2 ** max(0, attempts - 1))
    jitter: float = (rng or random).uniform(0.5, 1.5)
    wait: float = min(MAX_BACKOFF_SECONDS, base) * jitter
    return wait


def _record(
    delivery: Delivery,
    token: str,
    *,
    started: datetime.datetime,
    status_code: int | None,
    error: TransportError | None,
) -> str:
    """Record one try and move the delivery on; return delivered, retrying, failed or lost."""
    now = timezone.now()
    duration = int((now - started).total_seconds() * 1000)
    mine = Delivery.objects.filter(pk=delivery.pk, claimed_by=token, status=DeliveryStatus.SENDING)
    destination = delivery.destination
    if error is None:
        outcome = "delivered"
        changes: dict[str, Any] = {
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": now,
            "last_status_code": status_code,
            "last_error": "",
            "lease_until": None,
        }
    else:
        code = error.status_code
        out_of_tries = delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS
        if error.permanent or out_of_tries:
            outcome = "failed"
            text = (
                str(error)
                if error.permanent
                else f"gave up after {delivery.attempts} tries: {error}"
            )
            changes = {
                "status": DeliveryStatus.FAILED,
                "last_status_code": code,
                "last_error": text[:500],
                "lease_until": None,
            }
        else:
            outcome = "retrying"
            wait = backoff_seconds(delivery.attempts)
            if error.retry_after is not None:
                wait = min(max(error.retry_after, 1.0), MAX_RETRY_AFTER_SECONDS)
            changes = {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + datetime.timedelta(seconds=wait),
                "last_status_code": code,
                "last_error": str(error)[:500],
                "lease_until": None,
            }
    with transaction.atomic():
        if not mine.update(**changes):
            return "lost"
        DeliveryAttempt.objects.create(
            delivery_id=delivery.pk,
            at=started,
            duration_ms=duration,
            status_code=status_code if error is None else error.status_code,
            ok=error is None,
            permanent=bool(error and error.permanent),
            error="" if error is None else str(error)[:500],
        )
        if error is None and destination.failing_since is not None:
            Destination.objects.filter(pk=destination.pk).update(failing_since=None, last_error="")
        elif error is not None and error.permanent and error.blame_destination:
            Destination.objects.filter(pk=destination.pk, failing_since__isnull=True).update(
                failing_since=now
            )
            Destination.objects.filter(pk=destination.pk).update(last_error=str(error)[:500])
    if (
        error is not None
        and error.status_code == 410
        and destination.config.get("format") == "zapier"
    ):
        # Zapier's REST-hook protocol: the subscriber is gone, unsubscribe it.
        destination_delete(destination=destination)
    log = logger.info if outcome == "delivered" else logger.warning
    log(
        f"delivery.{outcome}",
        extra={"delivery": delivery.pk, "destination": destination.pk, "attempt": delivery.attempts,
               "status_code": changes.get("last_status_code"), "error": changes.get("last_error")},
    )  # fmt: skip
    return outcome


def deliveries_process(
    *, worker: str, ids: Sequence[int] | None = None, limit: int = CLAIM_BATCH
) -> Outcome:
    """Claim and send due deliveries (of ``ids`` when given), ``limit`` at a time, until none
    is left; return what happened to them.

    Failed tries are recorded one by one as they happen; successful ones, and those skipped
    for having nothing new, are recorded together at the end of each claimed batch (one
    transaction instead of one per delivery). A worker killed in between sends those few
    again after their lease: sending is at least once, and the delivery's id lets receivers
    drop the duplicate. A delivery waiting behind one of this batch (same response and
    destination) is left to a later claim: the outbox sweep, or this loop without ``ids``.
    """
    total = Outcome()
    while True:
        token, rows = deliveries_claim(worker=worker, limit=limit, ids=ids)
        if not rows:
            return total
        answered = [d.response for d in rows if d.response is not None]
        tags, answers = _tags_of(answered), answers_of(answered)
        sent: list[_Sent] = []
        for delivery in rows:
            _renew_if_short(rows, token)
            started = timezone.now()
            if delivery.lease_until is not None and delivery.lease_until < started:
                total.lost += 1  # a slow batch outlived its lease: another worker owns it now
                continue
            tried = _attempt(delivery, tags, answers)
            if tried.error is None:
                sent.append(
                    _Sent(delivery, started, timezone.now(), tried.status_code, tried.digest,
                          skipped=tried.skipped)
                )  # fmt: skip
            else:
                outcome = _record(
                    delivery, token, started=started, status_code=None, error=tried.error
                )
                setattr(total, outcome, getattr(total, outcome) + 1)
        delivered, skipped = _record_batch(sent, token)
        total.delivered += delivered
        total.skipped += skipped
        total.lost += len(sent) - delivered - skipped


@dataclass(frozen=True)
class _Sent:
    delivery: Delivery
    started: datetime.datetime
    finished: datetime.datetime
    status_code: int | None
    digest: str
    skipped: bool = False  # not sent: nothing new since the last message delivered


def _record_batch(sent: list[_Sent], token: str) -> tuple[int, int]:
    """Record the outcomes ``sent`` of one claim in one transaction: each delivery still ours
    is marked delivered, with its attempt (and what it said: the digest) logged, or skipped.
    Return how many were delivered and skipped (of those still ours)."""
    if not sent:
        return 0, 0
    now = timezone.now()
    with transaction.atomic():
        mine = set(
            Delivery.objects.select_for_update()
            .filter(
                pk__in=[s.delivery.pk for s in sent],
                claimed_by=token,
                status=DeliveryStatus.SENDING,
            )
            .values_list("pk", flat=True)
        )
        ours = [s for s in sent if s.delivery.pk in mine and not s.skipped]
        skipped = [s for s in sent if s.delivery.pk in mine and s.skipped]
        by_code: dict[int | None, list[int]] = {}
        for s in ours:
            by_code.setdefault(s.status_code, []).append(s.delivery.pk)
        for code, pks in by_code.items():
            Delivery.objects.filter(pk__in=pks).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                last_status_code=code,
                last_error="",
                lease_until=None,
            )
        if skipped:
            # Not a try: give back the attempt the claim counted.
            Delivery.objects.filter(pk__in=[s.delivery.pk for s in skipped]).update(
                status=DeliveryStatus.SKIPPED,
                attempts=F("attempts") - 1,
                last_error="",
                lease_until=None,
            )
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery_id=s.delivery.pk,
                at=s.started,
                duration_ms=int((s.finished - s.started).total_seconds() * 1000),
                status_code=s.status_code,
                ok=True,
                digest=s.digest,
            )
            for s in ours
        )
        recovered = {
            s.delivery.destination_id for s in ours if s.delivery.destination.failing_since
        }
        if recovered:
            Destination.objects.filter(pk__in=recovered).update(failing_since=None, last_error="")
    for s in ours:
        logger.info(
            "delivery.delivered",
            extra={"delivery": s.delivery.pk, "destination": s.delivery.destination_id,
                   "attempt": s.delivery.attempts, "status_code": s.status_code, "error": ""},
        )  # fmt: skip
    for s in skipped:
        logger.info(
            "delivery.skipped",
            extra={"delivery": s.delivery.pk, "destination": s.delivery.destination_id},
        )
    return len(ours), len(skipped)


def _renew_if_short(rows: list[Delivery], token: str) -> None:
    """Extend the lease of a batch's rows not yet recorded when it could run out during the
    next send (a try may take a few requests, each bounded by the outbound timeout)."""
    now = timezone.now()
    worst = datetime.timedelta(seconds=8 * settings.OUTBOUND_TIMEOUT_SECONDS)
    if rows[0].lease_until is None or rows[0].lease_until - now > worst:
        return
    lease = now + max(worst, datetime.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS))
    Delivery.objects.filter(
        pk__in=[d.pk for d in rows], claimed_by=token, status=DeliveryStatus.SENDING
    ).update(lease_until=lease)
    for row in rows:
        row.lease_until = lease


@dataclass(frozen=True)
class _Tried:
    """The outcome of one try: the reply's status, or the error; or nothing sent at all."""

    status_code: int | None = None
    error: TransportError | None = None
    digest: str = ""  # of what the message says (message_digest); "" for test messages
    skipped: bool = False  # not sent: the last message delivered said the same


# Blanked before a message's content is digested: what differs between any two deliveries.
_BLANK_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def message_digest(transport: Transport, message: Message) -> str:
    """Return the SHA-256 of what ``message`` tells the receiver of ``transport``, leaving out
    what differs between any two deliveries (their ids and times, the event's name)."""
    payload.response_data(message)  # built once: the blank copy and the sending share it
    blank = dataclasses.replace(message, id="", event="", at=_BLANK_AT)
    text = json.dumps(transport.content(blank), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _attempt(
    delivery: Delivery, tags: dict[int, list[Tag]], answers: dict[int, list[Answer]]
) -> _Tried:
    """Try to send ``delivery`` once, unless it would say what the last message delivered to
    its destination about its response said (claimed with ``previous_digest``)."""
    destination = delivery.destination
    if destination.kind not in enabled_kinds() or not destination.is_active:
        error = TransportError("the destination is paused or turned off", permanent=True,
                               blame_destination=False)  # fmt: skip
        return _Tried(error=error)
    response_id = delivery.response_id
    message = message_for(
        delivery,
        tags.get(response_id) if response_id else None,
        answers.get(response_id) if response_id else None,
    )
    try:
        transport = transport_for(destination)
        digest = message_digest(transport, message) if delivery.response_id else ""
        # The widget's score and comment make two events a moment apart, and the message of
        # the first, built at send time, often carries the comment already: Slack cannot
        # edit a message, so a second one saying the same is a duplicate in the channel.
        # Deliveries of one response to one destination go in order (deliveries_claim), so
        # the last delivered one is what its receiver saw last.
        if digest and digest == getattr(delivery, "previous_digest", None):
            return _Tried(digest=digest, skipped=True)
        return _Tried(status_code=transport.notify(message), digest=digest)
    except TransportError as exc:
        return _Tried(error=exc)
    except Exception as exc:  # a bug in a transport must not stop the others
        logger.exception("delivery.crashed", extra={"delivery": delivery.pk})
        return _Tried(error=TransportError(f"internal error: {type(exc).__name__}"))
