"""The one base of every transport, the message they send and how HTTP replies are judged.

Each kind has its package, ``integrations/<kind>/``: ``form.py``, the settings its
destinations take (:class:`Field`) and their check; ``transport.py``, a ``Transport``
subclass that cleans those settings (``clean``) and sends one message (``notify``); its own
templates, if any, and its tests. ``notify`` returns the HTTP status of the reply that
completed it and raises :class:`TransportError` otherwise: ``permanent`` errors stop the
retries (a revoked Slack hook, a bad API key), others are retried with backoff, after
``retry_after`` seconds when the receiver said so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, NamedTuple

from django.utils import timezone

from promoter.core.errors import ApplicationError
from promoter.core.http import HttpError, HttpReply
from promoter.responses.models import Answer, Response, Tag


class TransportError(Exception):
    """A message was not delivered.

    ``permanent``: retrying cannot help. ``blame_destination``: the destination itself is
    broken (a revoked hook, a bad key), so the Integrations page flags it until fixed; False
    when only this message cannot be sent (a person without an e-mail for a Zendesk ticket).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        status_code: int | None = None,
        retry_after: float | None = None,
        blame_destination: bool = True,
    ) -> None:
        super().__init__(message[:500])
        self.permanent = permanent
        self.status_code = status_code
        self.retry_after = retry_after
        self.blame_destination = blame_destination


@dataclass
class Message:
    """What one delivery sends: an event on a response (a sample one for a test)."""

    id: str  # the delivery's public id, sent so receivers can drop duplicates
    event: str
    response: Response
    tags: list[Tag]
    tag: Tag | None = None  # the tag just added, for response.tagged
    at: datetime.datetime = field(default_factory=timezone.now)
    test: bool = False
    answers: list[Answer] = field(default_factory=list)  # to additional questions
    # The response as integrations send it, built once per message (payload.response_data):
    # the outbox digests what a message says and then sends it, and building it twice (the
    # dashboard address above all) was a third of a delivery's time.
    data: dict[str, Any] | None = field(default=None, repr=False, compare=False)


# A destination's ``config`` (shown) or ``secrets`` (never shown): what its form cleaned.
Settings = dict[str, Any]


class Field(NamedTuple):
    """One setting of a destination's form."""

    name: str
    label: str
    help: str
    secret: bool = False  # stored write-only: used, never rendered back
    required: bool = False


class Transport:
    """Sends messages to one destination (``config`` shown, ``secrets`` never shown)."""

    kind: ClassVar[str]
    # The settings its destinations take: its kind's form (``<kind>/form.py``).
    fields: ClassVar[tuple[Field, ...]] = ()

    def __init__(self, *, config: dict[str, Any], secrets: dict[str, Any]) -> None:
        self.config = config
        self.secrets = secrets

    @classmethod
    def clean(
        cls, data: dict[str, Any], *, current_secrets: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the (config, secrets) that form ``data`` describes, or raise
        ApplicationError naming the field. A blank secret keeps ``current_secrets``'s."""
        config: dict[str, Any] = {}
        secrets: dict[str, Any] = {}
        current = current_secrets or {}
        for name, label, _help, secret, required in cls.fields:
            value = str(data.get(name, "") or "").strip()
            if secret and not value:
                value = str(current.get(name, ""))
            if required and not value:
                raise ApplicationError(
                    code="invalid", detail=f"{label} is required.", fields={name: "required"}
                )
            (secrets if secret else config)[name] = value
        return cls.validate(config, secrets)

    @classmethod
    def validate(
        cls, config: dict[str, Any], secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Check and normalize cleaned settings (subclasses add their rules)."""
        return config, secrets

    def notify(self, message: Message) -> int | None:
        raise NotImplementedError

    def content(self, message: Message) -> Any:
        """Return, as JSON data, what ``message`` tells its receiver, for the outbox to skip a
        message that says what the last one to this destination said.

        The outbox calls it with ``message``'s id, event and time blanked, so it leaves out
        what differs between any two deliveries: keep everything else the receiver sees,
        since what is left out never counts as news (docs/integrations.md).
        """
        raise NotImplementedError


def require_url(value: str, field_name: str, label: str, *, hosts: tuple[str, ...] = ()) -> str:
    """Return ``value`` if it is an http(s) URL (on one of ``hosts`` when given)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApplicationError(
            code="invalid",
            detail=f"{label} must be an http:// or https:// URL.",
            fields={field_name: "not a URL"},
        )
    return value


def api_url_field(regions: dict[str, str], *, api: str) -> Field:
    """Return the form field ``api_url``: the address of ``api``, by the name of one of its
    ``regions`` or in full (cleaned by :func:`api_url`)."""
    names = ", ".join(regions)
    return Field("api_url", "API address", f"{names}, or the full address of {api} (default: us).")


def api_url(value: str | None, regions: dict[str, str]) -> str:
    """Return the API address that a form's ``api_url`` names: a region of ``regions`` by its
    name (``us`` when blank), or a full http(s) URL."""
    api = (value or "us").strip()
    return require_url(regions.get(api.lower(), api).rstrip("/"), "api_url", "The API address")


def retry_after_seconds(value: str | None, *, now: datetime.datetime | None = None) -> float | None:
    """Parse a Retry-After header: seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - (now or timezone.now())).total_seconds())


def judge(reply: HttpReply, *, service: str) -> int:
    """Return the status of a successful reply; raise TransportError for any other.

    429, 408 and 5xx are transient (429 and 503 honour Retry-After); 3xx (redirects are
    never followed) and other 4xx are permanent.
    """
    status = reply.status
    if 200 <= status < 300:
        return status
    detail = reply.text(200)
    message = f"{service} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429 or status == 408 or status >= 500:
        raise TransportError(
            message,
            status_code=status,
            retry_after=retry_after_seconds(reply.headers.get("retry-after")),
        )
    if 300 <= status < 400:
        message += " (a redirect; Promoter does not follow redirects: use the final URL)"
    raise TransportError(message, permanent=True, status_code=status)


def no_reply(exc: HttpError) -> TransportError:
    """Return the TransportError for a request that got no reply."""
    return TransportError(str(exc), permanent=not exc.transient)
