"""Signed links of e-mail surveys: one token per invitation, in every score button, the
comment page and the unsubscribe link. A token that was altered is refused."""

from __future__ import annotations

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
