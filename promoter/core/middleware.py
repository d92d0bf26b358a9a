"""The Content-Security-Policy of every HTML page Promoter serves (docs/security.md).

Scripts run only from Promoter's own origin: the dashboard has no inline script or event
handler attribute, so a comment that slipped past escaping still could not run. A page that
needs one inline script (the demo page) marks it with ``request.csp_nonce``, made only when a
template asks for it. Inline *styles* stay allowed: Plotly and the widget set element styles,
and a style cannot run code. JSON, CSV and the widget script need no policy and get none, so
the ingest path pays nothing for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

POLICY = (
    "default-src 'self'",
    "script-src 'self'{nonce}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def content_security_policy(nonce: str | None = None) -> str:
    """Return the policy header value, allowing the inline scripts carrying ``nonce``."""
    return "; ".join(POLICY).format(nonce=f" 'nonce-{nonce}'" if nonce else "")


_WITHOUT_NONCE = content_security_policy()


class Nonce:
    """A per-request nonce, drawn only when a template first renders it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = secrets.token_urlsafe(18)
        return self.value


class ContentSecurityPolicyMiddleware:
    """Add ``Content-Security-Policy`` to HTML responses that do not set their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        nonce = Nonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        headers = response.headers
        if not headers.get("Content-Type", "").startswith("text/html"):
            return response
        if "Content-Security-Policy" not in headers:
            value = nonce.value
            headers["Content-Security-Policy"] = (
                content_security_policy(value) if value else _WITHOUT_NONCE
            )
        return response
