"""E-mail: notify chosen teammates of a response, through the installation's SMTP server
(``EMAIL_URL``). The comment is escaped in the HTML part; a plain-text part goes with it.

The mail's templates are this kind's own, in ``templates/`` beside this module.
"""

from __future__ import annotations

import functools
import smtplib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import Context, Engine, Template
from django.template.loaders.filesystem import Loader

from promoter.integrations import payload
from promoter.integrations.email import form
from promoter.integrations.transport import Message, Transport, TransportError
from promoter.surveys.scales import category_for

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _template(name: str) -> Template:
    # A kind's package is not an app: Django's app loaders do not look in its templates.
    return Loader(Engine.get_default(), dirs=[TEMPLATES]).get_template(name)


def render(name: str, context: dict[str, Any]) -> str:
    """Render this kind's template ``name`` as ``render_to_string`` would."""
    return _template(name).render(Context(context, autoescape=Engine.get_default().autoescape))


class EmailTransport(Transport):
    kind = "email"
    fields = form.FIELDS
    validate = staticmethod(form.validate)

    def mail(self, message: Message) -> EmailMultiAlternatives:
        response = message.response
        context = {
            "headline": payload.headline(message),
            "response": response,
            "category": str(category_for(response.survey.kind, response.score)),
            "data": payload.response_data(message),
            "answers": payload.answer_lines(message),
            "message": message,
            "site_name": settings.SITE_NAME,
        }
        mail = EmailMultiAlternatives(
            subject=payload.headline(message)[:150],
            body=render("notification.txt", context),
            to=self.config["recipients"],
            headers={"X-Promoter-Delivery": message.id, "Auto-Submitted": "auto-generated"},
        )
        mail.attach_alternative(render("notification.html", context), "text/html")
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
