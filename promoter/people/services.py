"""Writes for the people a project surveys."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connections, router
from django.db.models import Q, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from promoter.accounts.models import Project
from promoter.core.db import insert_guard
from promoter.people.models import EndUser
from promoter.people.statecache import people_changed

# A known person's last_seen_at is refreshed at most this often, so page views do not write.
LAST_SEEN_RESOLUTION = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Identity:
    """Who is asking, as the widget, a mobile app or an API call describes them."""

    external_id: str | None = None
    email: str | None = None
    anonymous_id: str | None = None
    signed_up_at: datetime.datetime | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    locale: str = ""
    name: str = ""  # the person's name, when a list of people or an API gives it

    @property
    def identified(self) -> bool:
        return bool(self.external_id or self.email)

    @property
    def key(self) -> str:
        """Return the stable key used for sampling (the same person rolls the same dice)."""
        if self.external_id:
            return f"id:{self.external_id}"
        if self.email:
            return f"email:{self.email}"
        return f"anon:{self.anonymous_id}"


def end_users_matching(*, project: Project, identity: Identity) -> QuerySet[EndUser]:
    """Return the query for the person ``identity`` names: by id, else e-mail, else visitor id.

    With both an id and an e-mail, a person known only by that e-mail (say, from an e-mail
    survey) matches too, so they adopt the id: one person across web, mobile and e-mail.
    """
    people = EndUser.objects.filter(project=project)
    if identity.external_id and identity.email:
        return people.filter(
            Q(external_id=identity.external_id) | Q(external_id__isnull=True, email=identity.email)
        )
    if identity.external_id:
        return people.filter(external_id=identity.external_id)
    if identity.email:
        return people.filter(email=identity.email)
    return people.filter(anonymous_id=identity.anonymous_id)


def pick(candidates: list[EndUser], identity: Identity) -> EndUser | None:
    """Return the best of the people ``end_users_matching`` found: exact id beats e-mail."""
    if not candidates:
        return None
    if identity.external_id:
        for person in candidates:
            if person.external_id == identity.external_id:
                return person
    if identity.email and not identity.external_id:
        # An e-mail alone: prefer the person known only by it, then the most recent.
        candidates = sorted(
            candidates, key=lambda p: (p.external_id is None, p.last_seen_at), reverse=True
        )
    return candidates[0]


def end_user_find(*, project: Project, identity: Identity) -> EndUser | None:
    """Return the person ``identity`` names in ``project`` (None: not known yet), as
    :func:`end_users_matching` finds them and :func:`pick` chooses: one query."""
    return pick(list(end_users_matching(project=project, identity=identity)), identity)


def end_user_changes(
    *, person: EndUser, identity: Identity, now: datetime.datetime
) -> dict[str, Any]:
    """Return the fields :func:`end_user_upsert` would write for the known ``person`` named
    by ``identity`` ``now`` (empty: it writes nothing)."""
    changes: dict[str, Any] = {}
    if identity.external_id and person.external_id != identity.external_id:
        changes["external_id"] = identity.external_id
    if identity.email and person.email != identity.email:
        changes["email"] = identity.email
    if identity.signed_up_at and person.signed_up_at != identity.signed_up_at:
        changes["signed_up_at"] = identity.signed_up_at
    if identity.properties:
        merged = {**(person.properties or {}), **identity.properties}
        if merged != person.properties:
            changes["properties"] = merged
    if identity.locale and person.locale != identity.locale:
        changes["locale"] = identity.locale
    if identity.name and person.name != identity.name[:255]:
        changes["name"] = identity.name[:255]
    if changes or now - person.last_seen_at >= LAST_SEEN_RESOLUTION:
        changes["last_seen_at"] = now
    return changes


def end_user_upsert(
    *,
    project: Project,
    identity: Identity,
    now: datetime.datetime,
    existing: EndUser | None = None,
    looked_up: bool = False,
) -> EndUser:
    """Return the person ``identity`` names, created or updated as needed.

    A known person is written only when something about them changed (id, e-mail, sign-up
    date, properties, which are merged, or locale) or their ``last_seen_at`` is older than
    :data:`LAST_SEEN_RESOLUTION`; a page view of an unchanged person costs one read, no write.
    Pass ``existing`` with ``looked_up=True`` when the caller already ran the lookup.
    """
    person = existing
    if not looked_up:
        person = end_user_find(project=project, identity=identity)
    if person is None:
        person = _new_person(project, identity, now)
        try:
            with insert_guard():
                person.save(force_insert=True)
        except IntegrityError:
            # Another request created them between our read and our insert: use theirs.
            found = end_user_find(project=project, identity=identity)
            if found is None:
                raise
            return end_user_upsert(
                project=project, identity=identity, now=now, existing=found, looked_up=True
            )
        people_changed(project.pk, [person])
        return person
    changes = end_user_changes(person=person, identity=identity, now=now)
    if changes:
        before = _Identifiers(person.external_id, person.email, person.anonymous_id)
        for name, value in changes.items():
            setattr(person, name, value)
        EndUser.objects.filter(pk=person.pk).update(**changes)
        people_changed(project.pk, [before, person])
    return person


def _new_person(
    project: Project,
    identity: Identity,
    now: datetime.datetime,
    offered_until: datetime.datetime | None = None,
) -> EndUser:
    return EndUser(
        project=project,
        external_id=identity.external_id or None,
        email=identity.email or None,
        anonymous_id=None if identity.identified else identity.anonymous_id,
        signed_up_at=identity.signed_up_at,
        properties=dict(identity.properties),
        locale=identity.locale,
        name=identity.name[:255],
        first_seen_at=now,
        last_seen_at=now,
        offered_until=offered_until,
    )


def can_insert_first(identity: Identity) -> bool:
    """Return whether :func:`end_user_insert` may stand for the lookup of ``identity``: it
    names a person by one unique key (an id, or a visitor id) and no e-mail, whose match
    rules (a person known by e-mail adopts the id) no unique constraint expresses; and the
    database returns columns from an INSERT (PostgreSQL; SQLite from 3.35)."""
    features = connections[router.db_for_write(EndUser)].features
    return (
        not identity.email
        and bool(identity.external_id or identity.anonymous_id)
        and features.can_return_columns_from_insert
    )


def end_user_insert(
    *,
    project: Project,
    identity: Identity,
    now: datetime.datetime,
    offered_until: datetime.datetime | None = None,
) -> EndUser | None:
    """Create the person ``identity`` names in one statement, or return None when they exist.

    One ``INSERT … ON CONFLICT DO NOTHING … RETURNING`` stands for the lookup and the insert
    of :func:`end_user_upsert`, for a caller who expects a new person (their cache tokens were
    never minted): a person that exists after all costs this one statement more, then the
    usual lookup. Only for an identity :func:`can_insert_first` accepts. ``offered_until``
    writes eligibility's offer hold in the same statement.
    """
    if not can_insert_first(identity):
        raise ValueError("end_user_insert needs an identity with one unique key")
    person = _new_person(project, identity, now, offered_until)
    alias = router.db_for_write(EndUser)
    query = InsertQuery(EndUser, on_conflict=OnConflict.IGNORE)
    query.insert_values(
        [f for f in EndUser._meta.local_concrete_fields if not f.primary_key], [person]
    )
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = [EndUser._meta.pk]
    [(sql, params)] = compiler.as_sql()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    person.pk = row[0]
    person._state.adding, person._state.db = False, alias
    people_changed(project.pk, [person])
    return person


@dataclass(frozen=True)
class _Identifiers:
    external_id: str | None
    email: str | None
    anonymous_id: str | None


def end_user_update(
    *,
    person: EndUser,
    email: str | None = None,
    properties: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> EndUser:
    """Change a person's e-mail (a new address clears a bounce), merge ``properties`` into
    theirs and set their locale. An e-mail another person of the project has is refused."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from promoter.core.errors import ApplicationError

    changes: dict[str, Any] = {}
    if email is not None and email != person.email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                code="invalid", detail="Not an e-mail address.", fields={"email": "invalid"}
            ) from None
        taken = (
            EndUser.objects.filter(project_id=person.project_id, email__iexact=email)
            .exclude(pk=person.pk)
            .exists()
        )
        if taken:
            raise ApplicationError(
                code="conflict",
                detail="Another person of this project has this e-mail address.",
                fields={"email": "taken"},
                status=409,
            )
        changes["email"], changes["bounced_at"] = email, None
    if properties:
        merged = {**(person.properties or {}), **properties}
        if merged != person.properties:
            changes["properties"] = merged
    if locale is not None and locale != person.locale:
        changes["locale"] = locale[:35]
    before = _Identifiers(person.external_id, person.email, person.anonymous_id)
    for name, value in changes.items():
        setattr(person, name, value)
    if changes:
        person.save(update_fields=list(changes))
        people_changed(person.project_id, [before, person])
    return person
