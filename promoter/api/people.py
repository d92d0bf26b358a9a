"""People in the REST API. Erasure: ``DELETE /people/{person}`` where ``person`` is the
person's id in Promoter, ``id:<your id>`` or ``email:<address>``."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from promoter.accounts.models import ApiKey
from promoter.api import schemas as s
from promoter.people.erasure import person_erase
from promoter.people.models import EndUser

router = Router(tags=["people"])
ERRORS: dict[int, Any] = {400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut}


class ErasedOut(Schema):
    ok: bool
    responses: int
    rows: int


def person_by_ref(*, api_key: ApiKey, ref: str) -> EndUser:
    """Return the person ``ref`` names in the key's project; 404 for anyone else."""
    people = EndUser.objects.filter(project=api_key.project)
    if ref.startswith("email:"):
        found = people.filter(email__iexact=ref.removeprefix("email:")).first()
    elif ref.startswith("id:"):
        found = people.filter(external_id=ref.removeprefix("id:")).first()
    else:
        try:
            found = people.filter(public_id=uuid.UUID(ref)).first()
        except ValueError:
            found = None
    if found is None:
        raise Http404("No such person.")
    return found


@router.delete(
    "/people/{person}",
    response={200: ErasedOut, **ERRORS},
    summary="Erase a person and everything about them",
)
def person_delete(request: HttpRequest, person: str) -> dict[str, Any]:
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    found = person_by_ref(api_key=api_key, ref=person)
    counts = person_erase(person=found, by=f"api key {api_key.lookup}")
    return {
        "ok": True,
        "responses": counts.get("responses.Response", 0),
        "rows": sum(counts.values()),
    }
