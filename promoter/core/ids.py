"""Public ids and keys: random, prefixed by kind, never integer primary keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """Return ``length`` characters drawn from [A-Za-z0-9] by a CSPRNG."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_public_key() -> str:
    """Return a project's embeddable widget key: ``pk_`` and 24 random characters."""
    return "pk_" + random_token(24)


def new_project_secret() -> str:
    """Return the secret a customer's server uses to sign user ids (identity verification)."""
    return "ps_" + random_token(40)


def hash_secret(secret: str) -> str:
    """Return the stored form of a high-entropy secret (SHA-256 hex; no salt needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, hashed: str) -> bool:
    """Compare ``secret`` to its stored hash in constant time."""
    return hmac.compare_digest(hash_secret(secret), hashed)


def user_hash_for(*, secret: str, identifier: str) -> str:
    """Return the identity-verification hash of a person: hex HMAC-SHA256(secret, id or e-mail).

    The customer's server computes the same value and passes it to the widget, so nobody can
    answer as someone else by editing the page.
    """
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
