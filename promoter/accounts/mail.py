"""The mail server and sender a project's mail goes through: its own SMTP server when an
admin set one (Settings), else the installation's (``EMAIL_URL``, ``DEFAULT_FROM_EMAIL``)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import get_connection

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


def connection_for(project: Project | None) -> Any:
    """Return an open-on-demand mail connection for ``project`` with the outbound timeout."""
    timeout = settings.OUTBOUND_TIMEOUT_SECONDS
    if project is None or not project.smtp_url:
        return get_connection(timeout=timeout)
    options = email_from_url(project.smtp_url)
    return get_connection(
        backend=str(options["EMAIL_BACKEND"]),
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
