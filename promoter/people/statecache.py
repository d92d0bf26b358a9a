"""The tokens of a person's cached survey state (see :mod:`promoter.core.tokencache`).

The ingest API caches, per identity the widget sends, the person it resolves to and their
contact history. Such an entry depends on every person that carries one of the identity's
identifiers (external id, e-mail, visitor id) and on the project's people as a whole, so it is
stamped with one token per identifier and one per project; their contact history also with one
history token per identifier. Every write of a person renews both kinds of tokens of that
person's identifiers (before and after the change); a display, response or decline renews the
history tokens only; bulk writes (imports, seeding) renew the project's token.
"""

from __future__ import annotations

from collections.abc import Iterable

from promoter.core import tokencache


def _identifier_key(project_id: int, kind: str, value: str, what: str) -> str:
    return f"ingest:{what}:{project_id}:{tokencache.digest(f'{kind}:{value}')}"


def project_token_key(project_id: int) -> str:
    """Return the key of the token of all of ``project_id``'s people."""
    return f"ingest:pt:{project_id}:all"


def identifier_token_keys(
    project_id: int,
    *,
    external_id: str | None = None,
    email: str | None = None,
    anonymous_id: str | None = None,
    history: bool = False,
) -> list[str]:
    """Return the token keys of the given identifiers (empty ones are skipped): of the people
    carrying them, or with ``history`` of what those people were shown, answered, declined."""
    keys = []
    for kind, value in (("id", external_id), ("email", email), ("anon", anonymous_id)):
        if value:
            keys.append(_identifier_key(project_id, kind, value, "ph" if history else "pt"))
    return keys


def _renew(project_id: int, people: Iterable[object], *, person: bool) -> None:
    if not tokencache.enabled():
        return
    keys: list[str] = []
    for row in people:
        for history in (True, False) if person else (True,):
            keys += identifier_token_keys(
                project_id,
                external_id=getattr(row, "external_id", None),
                email=getattr(row, "email", None),
                anonymous_id=getattr(row, "anonymous_id", None),
                history=history,
            )
    tokencache.renew(keys)


def people_changed(project_id: int, people: Iterable[object]) -> None:
    """Make cached state naming any of ``people`` stale once the transaction commits.

    ``people`` are EndUser rows or anything with ``external_id``, ``email`` and
    ``anonymous_id`` attributes (pass the old identifiers too when they changed).
    """
    _renew(project_id, people, person=True)


def history_changed(project_id: int, people: Iterable[object]) -> None:
    """Make the cached contact history of ``people`` stale once the transaction commits (a
    display, response or decline was stored); what is cached about the people stays."""
    _renew(project_id, people, person=False)


def person_ids_changed(project_id: int, person_ids: Iterable[int]) -> None:
    """Like :func:`history_changed` for people known only by primary key (one query)."""
    if not tokencache.enabled():
        return
    from promoter.people.models import EndUser

    rows = EndUser.objects.filter(pk__in=list(person_ids)).only(
        "external_id", "email", "anonymous_id"
    )
    history_changed(project_id, list(rows))


def project_people_changed(project_id: int) -> None:
    """Make all cached state of ``project_id``'s people stale (after bulk writes)."""
    if tokencache.enabled():
        tokencache.renew([project_token_key(project_id)])
