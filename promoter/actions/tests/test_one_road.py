"""Every interface that records a response takes the one road (promoter.actions): the same
inputs sent through the widget API, the REST API, the Delighted API, an e-mail invitation's
pages, a survey's public link and an import give the same stored row, or the same refusal,
each in its own wire format (a 400 or 422 naming the field, a 400 page, a row problem).

The inputs: a valid answer; a score off the scale; a time in the future; an over-long
comment; properties of the wrong shape. An interface whose wire format cannot say an input
(the widget, e-mail and link pages take no time: an answer is dated when it arrives; a CSV
cell or a link cannot hold a nested object) is left out of that row of the table, by name.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from promoter.accounts.services import api_key_create
from promoter.actions.imports import import_table, read_table
from promoter.channels import links
from promoter.channels.models import InvitationSource
from promoter.channels.services import invitation_schedule
from promoter.people.services import Identity, end_user_upsert
from promoter.responses.models import Response
from promoter.surveys.models import Survey
from promoter.text.sentiment import sentiment_for

COMMENT = "Exports are too slow"
LONG = "x" * 5001
NESTED = {"plan": {"tier": "pro"}}
FUTURE = datetime.timedelta(days=365)
INTERFACES = ("widget", "rest", "delighted", "email", "link", "import")


@dataclass(frozen=True)
class Answer:
    score: int = 3
    comment: str = COMMENT
    properties: Any = None  # the answer's properties, where the wire format takes some
    later: datetime.timedelta | None = None  # dated this far in the future


@dataclass
class Place:
    world: Any
    survey: Survey
    secret: str


@pytest.fixture
def place(world, settings) -> Place:
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    end_user_upsert(
        project=world.alpha,
        identity=Identity(external_id="u-1", email="jane@example.com", properties={"plan": "pro"}),
        now=timezone.now(),
    )
    return Place(
        world=world,
        survey=Survey.objects.get(project=world.alpha, kind="nps"),
        secret=api_key_create(project=world.alpha, name="k").secret,
    )


# Each interface records ``answer`` for Jane; it returns (refused, the field it names or "").


def widget(place: Place, answer: Answer) -> tuple[bool, str]:
    user: dict[str, Any] = {"id": "u-1"}
    if answer.properties is not None:
        user["properties"] = answer.properties
    body = {
        "key": place.world.alpha.public_key, "survey": str(place.survey.public_id),
        "id": str(uuid.uuid4()), "user": user, "score": answer.score, "comment": answer.comment,
    }  # fmt: skip
    reply = Client().post("/i/v1/responses", json.dumps(body), content_type="text/plain")
    return _json_refusal(reply, 400)


def rest(place: Place, answer: Answer) -> tuple[bool, str]:
    person: dict[str, Any] = {"external_id": "u-1"}
    if answer.properties is not None:
        person["properties"] = answer.properties
    body: dict[str, Any] = {
        "survey": str(place.survey.public_id), "score": answer.score,
        "comment": answer.comment, "person": person,
    }  # fmt: skip
    if answer.later is not None:
        body["created_at"] = (timezone.now() + answer.later).isoformat()
    reply = Client().post(
        "/api/v1/responses", json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {place.secret}",
    )  # fmt: skip
    return _json_refusal(reply, 400)


def delighted(place: Place, answer: Answer) -> tuple[bool, str]:
    body: dict[str, Any] = {
        "person": "email:jane@example.com", "score": answer.score, "comment": answer.comment,
    }  # fmt: skip
    if answer.properties is not None:
        body["person_properties"] = answer.properties
    if answer.later is not None:
        body["created_at"] = int((timezone.now() + answer.later).timestamp())
    token = base64.b64encode(f"{place.secret}:".encode()).decode()
    reply = Client().post(
        "/delighted/v1/survey_responses.json", json.dumps(body),
        content_type="application/json", HTTP_AUTHORIZATION=f"Basic {token}",
    )  # fmt: skip
    if reply.status_code == 200:
        return False, ""
    assert reply.status_code == 422, reply.content
    return True, next(iter(reply.json()["errors"]))


def email(place: Place, answer: Answer) -> tuple[bool, str]:
    invitation = invitation_schedule(
        project=place.world.alpha, survey=place.survey, identity=Identity(external_id="u-1",
        email="jane@example.com"), source=InvitationSource.API,
    )  # fmt: skip
    token = links.token_for(invitation.public_id)
    client = Client()
    reply = client.post(f"/e/{token}/{answer.score}/")
    if reply.status_code == 400:
        return True, "score"
    assert reply.status_code == 302, reply.content
    page = client.post(reply["Location"], {"score": str(answer.score), "comment": answer.comment})
    if page.status_code == 400:
        return True, "comment"
    assert page.status_code == 302, page.content
    return False, ""


def link(place: Place, answer: Answer) -> tuple[bool, str]:
    client = Client()
    reply = client.post(
        f"/l/{place.survey.public_id}/?email=jane@example.com", {"score": str(answer.score)}
    )
    if reply.status_code == 400:
        return True, "score"
    assert reply.status_code == 302, reply.content
    page = client.post(reply["Location"], {"comment": answer.comment})
    if page.status_code == 400:
        return True, "comment"
    assert page.status_code == 302, page.content
    return False, ""


def imported(place: Place, answer: Answer) -> tuple[bool, str]:
    when = timezone.now() - datetime.timedelta(minutes=1)
    if answer.later is not None:
        when = timezone.now() + answer.later
    data = io.StringIO()
    data.write("External ID,Email,Score,Comment,Response Timestamp\n")
    data.write(f'u-1,jane@example.com,{answer.score},"{answer.comment}",{when.isoformat()}\n')
    table = read_table(data.getvalue().encode(), "answers.csv")
    outcome = import_table(survey=place.survey, table=table)
    if outcome.imported:
        return False, ""
    (problem,) = outcome.checker.problems
    for field, words in (("score", "score"), ("created_at", "future"), ("comment", "comment")):
        if words in problem:
            return True, field
    raise AssertionError(problem)


def _json_refusal(reply: Any, status: int) -> tuple[bool, str]:
    if reply.status_code in (200, 201):
        return False, ""
    assert reply.status_code == status, reply.content
    (field,) = reply.json()["fields"]
    return True, field


RECORD = {
    "widget": widget, "rest": rest, "delighted": delighted, "email": email, "link": link,
    "import": imported,
}  # fmt: skip
CHANNEL = {
    "widget": "web", "rest": "api", "delighted": "api", "email": "email", "link": "link",
    "import": "import",
}  # fmt: skip

# (label, answer, the refused field in the action's words or None, the interfaces that cannot
# say the input). The interfaces name a field by its path in their format: the person's
# properties are user.properties, person.properties or person_properties.
CASES = [
    ("valid", Answer(), None, ()),
    ("score off the scale", Answer(score=11), "score", ()),
    ("time in the future", Answer(later=FUTURE), "created_at", ("widget", "email", "link")),
    ("over-long comment", Answer(comment=LONG), "comment", ()),
    ("properties of the wrong shape", Answer(properties=NESTED), "properties",
     ("email", "link", "import")),
]  # fmt: skip
PROPERTY_FIELDS = {"user.properties", "person.properties", "person_properties", "properties"}


PARAMS = [
    pytest.param(interface, answer, field, id=f"{interface}-{label}")
    for label, answer, field, unsaid in CASES
    for interface in INTERFACES
    if interface not in unsaid
]


@pytest.mark.parametrize(("interface", "answer", "field"), PARAMS)
def test_every_interface_stores_the_same_row_or_refuses_the_same(place, interface, answer, field):
    refused, named = RECORD[interface](place, answer)
    if field is None:
        assert not refused
        stored = Response.objects.select_related("end_user", "survey").get()
        row = (
            stored.survey.kind, stored.score, stored.category, stored.comment, stored.sentiment,
            stored.properties.get("plan"), stored.end_user.external_id, stored.end_user.email,
            stored.channel,
        )  # fmt: skip
        assert row == (
            "nps", 3, "detractor", COMMENT, sentiment_for(COMMENT), "pro", "u-1",
            "jane@example.com", CHANNEL[interface],
        )  # fmt: skip
        return
    assert refused, f"{interface} took {answer}"
    if interface in ("email", "link") and field == "comment":
        # These pages take the score, then the comment (a second use case: changing the
        # response); the comment is refused, and the response keeps none.
        assert list(Response.objects.values_list("score", "comment")) == [(answer.score, "")]
    else:
        assert not Response.objects.exists()
    if field == "properties":
        assert named in PROPERTY_FIELDS, named
    else:
        assert named == field, (interface, named)


def test_the_table_covers_every_interface_and_names_its_holes():
    assert set(RECORD) == set(INTERFACES) == set(CHANNEL)
    holes = {(label, i) for label, _a, _f, unsaid in CASES for i in unsaid}
    # Only a time (which only the APIs and imports take) and nested properties (which no
    # page or CSV cell can hold) are unsaid somewhere.
    assert {label for label, _i in holes} == {"time in the future", "properties of the wrong shape"}
    assert len(PARAMS) == len(CASES) * len(INTERFACES) - len(holes)
