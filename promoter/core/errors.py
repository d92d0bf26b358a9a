"""The one error shape of Promoter's domain code (docs/rest-api.md, "Errors")."""

from __future__ import annotations


class ApplicationError(Exception):
    """A domain rule refused an operation; interfaces render it as a 4xx.

    ``code`` is machine-readable and stable, ``detail`` is for people, ``fields`` maps each
    offending input field to what is wrong with it.
    """

    status = 400

    def __init__(
        self,
        *,
        code: str,
        detail: str,
        fields: dict[str, str] | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.fields = dict(fields or {})
        self.retry_after = retry_after  # seconds, for a 429 or 503
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, object]:
        return {"detail": self.detail, "code": self.code, "fields": self.fields}


# The database did not answer (restarting, unreachable, locked past the timeout): a retry
# later succeeds, so the APIs answer 503 with Retry-After rather than a 500 page.
UNAVAILABLE_RETRY_AFTER = 5


def database_errors() -> tuple[type[Exception], ...]:
    """Return the exceptions that mean "the database is unavailable for now"."""
    from django.db import InterfaceError, OperationalError

    return (OperationalError, InterfaceError)


def database_unavailable() -> ApplicationError:
    """Return the error an API answers when its database did not answer."""
    return ApplicationError(
        code="unavailable",
        detail="The database is unavailable for a moment; retry this call (with the same id) "
        "shortly.",
        status=503,
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )
