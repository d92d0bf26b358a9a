"""E-mail: notify chosen teammates of a response, through the installation's SMTP server
(``EMAIL_URL``). The comment is escaped in the HTML part; a plain-text part goes with it."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.forms import ValidationError
from django.template.loader import render_to_string

from promoter.core.errors import ApplicationError
from promoter.integrations import payload
from promoter.integrations.transport import Message, Transport, TransportError
from promoter.surveys.scales import category_for

MAX_RECIPIENTS = 20


class EmailTransport(Transport):
    kind = "email"
    fields = (
        (
            "recipients",
            "Teammates",
            "Comma-separated e-mail addresses of members of this project.",
            False,
            True,
        ),
    )

    @classmethod
    def validate(
        cls, config: dict[str, Any], secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        recipients = config.get("recipients", "")
        if isinstance(recipients, str):
            recipients = [r.strip() for r in recipients.replace(";", ",").split(",") if r.strip()]
        cleaned: list[str] = []
        for address in recipients:
            try:
                validate_email(address)
            except ValidationError:
                raise ApplicationError(
                    code="invalid",
                    detail=f"{address!r} is not an e-mail address.",
                    fields={"recipients": "not an e-mail address"},
                ) from None
            if address.lower() not in cleaned:
                cleaned.append(address.lower())
        if not cleaned or len(cleaned) > MAX_RECIPIENTS:
            raise ApplicationError(
                code="invalid",
                detail=f"Name between 1 and {MAX_RECIPIENTS} teammates.",
                fields={"recipients": "required"},
            )
        config["recipients"] = cleaned
        return config, secrets

    def mail(self, message: Message) -> EmailMultiAlternatives:
        response = message.response
        context = {
            "headline": payload.headline(message),
            "response": response,
            "category": str(category_for(response.survey.kind, response.score)),
            "data": payload.response_data(message),
            "message": message,
            "site_name": settings.SITE_NAME,
        }
        mail = EmailMultiAlternatives(
            subject=payload.headline(message)[:150],
            body=render_to_string("integrations/notification.txt", context),
            to=self.config["recipients"],
            headers={"X-Promoter-Delivery": message.id, "Auto-Submitted": "auto-generated"},
        )
        mail.attach_alternative(
            render_to_string("integrations/notification.html", context), "text/html"
        )
        return mail

    def content(self, message: Message) -> Any:
        mail = self.mail(message)
        return {
            "to": mail.to,
            "subject": mail.subject,
            "text": mail.body,
            "html": [str(content) for content, _mimetype in mail.alternatives],
        }

    def notify(self, message: Message) -> int | None:
        connection = get_connection(timeout=settings.OUTBOUND_TIMEOUT_SECONDS)
        try:
            connection.send_messages([self.mail(message)])
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(
                f"the mail server refused the recipients: {', '.join(exc.recipients)}",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise TransportError(
                f"the mail server answered {exc.smtp_code} {text}", permanent=permanent
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"the mail server could not be reached: {exc}") from None
        return None
