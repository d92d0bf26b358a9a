"""Signed links of e-mail surveys: one token per invitation, in every score button, the
comment page and the unsubscribe link. A token that was altered is refused."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "promoter.channels.invitation"


def token_for(invitation_public_id: uuid.UUID) -> str:
    """Return the signed token of an invitation (URL-safe, no expiry: a mail may be old)."""
    return signing.Signer(salt=SALT).sign(invitation_public_id.hex)


def invitation_id_from(token: str) -> uuid.UUID | None:
    """Return the invitation id a token signs, or None when it was altered or is not one."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
        return uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError):
        return None


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def score_url(token: str, score: int) -> str:
    return absolute(reverse("email-answer", args=[token, score]))


def answer_url(token: str) -> str:
    return absolute(reverse("email-answer-page", args=[token]))


def unsubscribe_url(token: str) -> str:
    return absolute(reverse("email-unsubscribe", args=[token]))


def link_signature(*, secret: str, survey_id: uuid.UUID | str, email: str) -> str:
    """Return the signature that lets a survey's public link name its person: hex
    HMAC-SHA256 of ``<survey id>:<e-mail in lower case>`` keyed with the project secret.

    A project that verifies identities accepts ``?email=`` on a link only with ``&sig=`` of
    this value, computed on the customer's server (docs/email-surveys.md), so nobody can
    answer as someone else by editing the link."""
    message = f"{survey_id}:{email.strip().lower()}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def link_url(survey_public_id: uuid.UUID, *, email: str = "", secret: str = "") -> str:
    """Return the public link of a survey, naming the person ``email`` when given (signed
    with ``secret`` when given)."""
    from urllib.parse import urlencode

    url = absolute(reverse("link-survey", args=[str(survey_public_id)]))
    if not email:
        return url
    query = {"email": email}
    if secret:
        query["sig"] = link_signature(secret=secret, survey_id=survey_public_id, email=email)
    return f"{url}?{urlencode(query)}"
