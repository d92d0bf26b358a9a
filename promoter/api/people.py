"""People in the REST API: list (cursor pages), get, create or update (by your id, else by
e-mail), change, and erase. ``{person}`` is Promoter's id, ``id:<your id>`` or
``email:<address>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from promoter import access
from promoter.accounts.models import ApiKey
from promoter.actions.erasure import person_erase
from promoter.api import schemas as s
from promoter.api.pagination import link_header, paginate
from promoter.core.errors import ApplicationError
from promoter.core.inputs import check_storable
from promoter.people.models import EndUser
from promoter.people.selectors import people_for_project
from promoter.people.services import Identity, end_user_update, end_user_upsert

router = Router(tags=["people"])
# The errors every operation may answer with (docs/rest-api.md, "Errors"): 413 for a body over
# the upload limit, 503 (with Retry-After) while the database does not answer.
ERRORS: dict[int, Any] = {
    400: s.ErrorOut,
    401: s.ErrorOut,
    403: s.ErrorOut,
    404: s.ErrorOut,
    413: s.ErrorOut,
    429: s.ErrorOut,
    503: s.ErrorOut,
}


class ErasedOut(Schema):
    ok: bool
    responses: int
    rows: int


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def person_by_ref(*, api_key: ApiKey, ref: str) -> EndUser:
    """Return the person ``ref`` names in the key's project; 404 for anyone else."""
    check_storable(ref, "person")  # a NUL is refused input (400), not a miss
    return access.person_get_in_project(project=api_key.project, ref=ref)


def person_out(person: EndUser) -> dict[str, Any]:
    return {
        "id": person.public_id,
        "external_id": person.external_id,
        "email": person.email,
        "properties": person.properties or {},
        "locale": person.locale,
        "signed_up_at": person.signed_up_at,
        "first_seen_at": person.first_seen_at,
        "last_seen_at": person.last_seen_at,
        "unsubscribed_at": person.unsubscribed_at,
        "bounced_at": person.bounced_at,
    }


class PeopleFilters(Schema):
    email: str | None = None
    external_id: str | None = None
    cursor: str | None = None
    limit: int | None = Field(None, ge=1, le=500)


@router.get("/people", response={200: s.PeoplePage, **ERRORS}, summary="List people")
def people(
    request: HttpRequest, response: HttpResponse, filters: Query[PeopleFilters]
) -> dict[str, Any]:
    qs = people_for_project(
        project=key_of(request).project, email=filters.email, external_id=filters.external_id
    )
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit)
    link = link_header(request, page)
    if link:
        response["Link"] = link
    return {"items": [person_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get("/people/{person}", response={200: s.PersonOut, **ERRORS}, summary="Get a person")
def person_get(request: HttpRequest, person: str) -> dict[str, Any]:
    return person_out(person_by_ref(api_key=key_of(request), ref=person))


@router.post(
    "/people",
    response={200: s.PersonOut, 201: s.PersonOut, **ERRORS},
    summary="Create a person, or update the one with this id (else e-mail)",
)
def person_upsert(request: HttpRequest, payload: s.PersonIn) -> Status[dict[str, Any]]:
    if not payload.external_id and not payload.email:
        raise ApplicationError(
            code="invalid",
            detail="Name the person by external_id or email.",
            fields={"external_id": "required without email"},
        )
    if payload.email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(payload.email)
        except ValidationError:
            raise ApplicationError(
                code="invalid", detail="Not an e-mail address.", fields={"email": "invalid"}
            ) from None
    project = key_of(request).project
    ref = f"id:{payload.external_id}" if payload.external_id else f"email:{payload.email}"
    existed = access.person_find_in_project(project=project, ref=ref) is not None
    person = end_user_upsert(
        project=project,
        identity=Identity(
            external_id=payload.external_id or None,
            email=payload.email or None,
            properties=payload.properties,
            locale=payload.locale,
            signed_up_at=payload.signed_up_at,
        ),
        now=timezone.now(),
    )
    return Status(200 if existed else 201, person_out(person))


@router.patch(
    "/people/{person}",
    response={200: s.PersonOut, 409: s.ErrorOut, **ERRORS},
    summary="Change a person's e-mail, properties (merged) or locale",
)
def person_patch(request: HttpRequest, person: str, payload: s.PersonPatch) -> dict[str, Any]:
    found = person_by_ref(api_key=key_of(request), ref=person)
    updated = end_user_update(
        person=found, email=payload.email, properties=payload.properties, locale=payload.locale
    )
    return person_out(updated)


@router.delete(
    "/people/{person}",
    response={200: ErasedOut, **ERRORS},
    summary="Erase a person and everything about them",
)
def person_delete(request: HttpRequest, person: str) -> dict[str, Any]:
    api_key = key_of(request)
    found = person_by_ref(api_key=api_key, ref=person)
    counts = person_erase(person=found, by=f"api key {api_key.lookup}")
    return {
        "ok": True,
        "responses": counts.get("responses.Response", 0),
        "rows": sum(counts.values()),
    }
