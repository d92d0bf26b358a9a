"""The mail server and sender a project's mail goes through: its own SMTP server when an
admin set one (Settings), else the installation's (``EMAIL_URL``, ``DEFAULT_FROM_EMAIL``)."""

from __future__ import annotations

import smtplib
import socket
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend

from promoter.accounts.models import Project
from promoter.env import ConfigError, email_from_url


def smtp_url_check(value: str) -> str:
    """Return ``value`` if it is an smtp://, smtp+tls:// or smtps:// URL; raise ValueError."""
    value = value.strip()
    if not value.startswith(("smtp://", "smtp+tls://", "smtps://")):
        raise ValueError("use smtp://user:password@host:25, smtp+tls://…:587 or smtps://…:465")
    try:
        email_from_url(value)
    except ConfigError as exc:
        raise ValueError(str(exc).split(": ", 1)[-1]) from None
    return value


class _GuardedSMTP(smtplib.SMTP):
    """SMTP that connects only to addresses core/http allows (no private ones by default)."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        from promoter.core.http import HttpError, guarded_socket

        try:
            return guarded_socket(host, port, timeout, self.source_address)
        except HttpError as exc:  # an OSError, as callers of smtplib expect
            raise ConnectionRefusedError(str(exc)) from None


class _GuardedSMTPSSL(smtplib.SMTP_SSL, _GuardedSMTP):
    """SMTPS: SMTP_SSL wraps the socket that _GuardedSMTP connected (next in the MRO)."""


class GuardedEmailBackend(EmailBackend):
    """Django's SMTP backend for the mail server an admin typed (a project's ``smtp_url``):
    user input, so it may not point at the private network (SSRF), like every other
    outbound call (``INTEGRATIONS_ALLOW_PRIVATE_IPS`` allows it)."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _GuardedSMTPSSL if self.use_ssl else _GuardedSMTP


def connection_for(project: Project | None) -> Any:
    """Return an open-on-demand mail connection for ``project`` with the outbound timeout."""
    timeout = settings.OUTBOUND_TIMEOUT_SECONDS
    if project is None or not project.smtp_url:
        return get_connection(timeout=timeout)
    options = email_from_url(project.smtp_url)
    return get_connection(
        backend="promoter.accounts.mail.GuardedEmailBackend",
        host=options["EMAIL_HOST"],
        port=options["EMAIL_PORT"],
        username=options["EMAIL_HOST_USER"],
        password=options["EMAIL_HOST_PASSWORD"],
        use_tls=options["EMAIL_USE_TLS"],
        use_ssl=options["EMAIL_USE_SSL"],
        timeout=timeout,
    )


def sender_for(project: Project | None) -> tuple[str, str]:
    """Return the (name, address) mail of ``project`` comes from."""
    name, address = parseaddr(
        (project.email_from if project is not None else "") or settings.DEFAULT_FROM_EMAIL
    )
    return name, address
