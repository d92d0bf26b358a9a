"""The ingest API through HTTP: answers, errors, identity, CORS, limits and idempotency."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client

from promoter.accounts.services import api_key_create
from promoter.core.ids import user_hash_for
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response
from promoter.surveys.models import Survey
from promoter.surveys.services import survey_create

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("clean_cache")


@pytest.fixture
def client() -> Client:
    return Client()


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    return client.post(
        f"/i/v1/{path}", json.dumps(body), content_type="text/plain;charset=UTF-8", **headers
    )


def patch(client: Client, path: str, body: Any) -> Any:
    return client.patch(f"/i/v1/{path}", json.dumps(body), content_type="application/json")


def _split(extra: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Split keyword arguments into body fields and request META (HTTP_*, REMOTE_ADDR)."""
    meta = {k: v for k, v in extra.items() if k.startswith("HTTP_") or k == "REMOTE_ADDR"}
    return {k: v for k, v in extra.items() if k not in meta}, meta


def ask(client: Client, world: Any, **extra: Any) -> Any:
    fields, meta = _split(extra)
    body = {"key": world.alpha.public_key, "user": {"id": "u1", "email": "u1@example.com"}}
    body.update(fields)
    return post(client, "eligibility", body, **meta)


def nps(world: Any) -> Survey:
    return Survey.objects.get(project=world.alpha, kind="nps")


def answer(client: Client, world: Any, score: int = 9, **extra: Any) -> Any:
    fields, meta = _split(extra)
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u1"},
        "id": str(uuid.uuid4()),
        "score": score,
    }
    body.update(fields)
    if "survey" not in body:
        body["survey"] = str(nps(world).public_id)
    return post(client, "responses", body, **meta)


# --- eligibility --------------------------------------------------------------------------------


def test_new_person_is_eligible_and_gets_the_survey_payload(world, client):
    reply = ask(
        client,
        world,
        user={"id": "u1", "email": "U1@Example.com", "properties": {"plan": "pro", "seats": 4}},
        locale="en-GB",
    )
    assert reply.status_code == 200, reply.content
    data = reply.json()
    assert data["eligible"] is True and data["reason"] is None
    survey = data["survey"]
    assert survey["id"] == str(nps(world).public_id)
    assert survey["kind"] == "nps"
    assert survey["scale"] == {"min": 0, "max": 10}
    assert survey["categories"] == {"detractor_max": 6, "promoter_min": 9}
    assert survey["locale"] == "en"
    assert survey["texts"]["question"].startswith("How likely are you to recommend Alpha")
    assert set(survey["texts"]["followup"]) == {"promoter", "passive", "detractor"}
    assert survey["texts"]["thank_you"]
    assert survey["look"]["position"] == "bottom-right"
    person = EndUser.objects.get(project=world.alpha, external_id="u1")
    assert person.email == "u1@example.com"
    assert person.properties == {"plan": "pro", "seats": 4}
    assert reply["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in reply


@pytest.mark.parametrize(
    ("locale", "expected", "word"),
    [
        ("fr-CA", "fr", "probabilité"),
        ("fr", "fr", "probabilité"),
        ("de-AT", "de", "Wahrscheinlich"),
        ("ja", "en", "How likely"),
        ("", "en", "How likely"),
    ],
)
def test_texts_come_in_the_best_matching_locale(world, client, locale, expected, word):
    data = ask(client, world, locale=locale).json()
    assert data["survey"]["locale"] == expected
    assert word.lower() in data["survey"]["texts"]["question"].lower()


def test_custom_texts_override_the_built_in_ones_of_their_language(world, client):
    survey = nps(world)
    survey.texts = {"en": {"question": "Would you tell a friend about {product}?"}}
    survey.cta_url = "https://example.com/review"
    survey.save()
    data = ask(client, world, locale="en-US").json()["survey"]
    assert data["texts"]["question"] == "Would you tell a friend about Alpha?"
    assert data["texts"]["cta_text"] == "Leave us a review"
    assert data["cta_url"] == "https://example.com/review"


@pytest.mark.parametrize(
    ("kind", "scale", "labels"),
    [("csat", (1, 5), "1, Very unsatisfied"), ("ces", (1, 7), "7, Strongly agree")],
)
def test_csat_and_ces_surveys_carry_their_scales_and_point_labels(
    world, client, kind, scale, labels
):
    Survey.objects.filter(project=world.alpha).update(is_active=False)
    survey = survey_create(project=world.alpha, kind=kind)
    data = ask(client, world).json()["survey"]
    assert data["id"] == str(survey.public_id)
    assert (data["scale"]["min"], data["scale"]["max"]) == scale
    assert labels in data["texts"]["score_labels"].values()


def test_after_a_response_the_person_is_throttled_until_the_resurvey_delay(world, client):
    with time_machine.travel(NOW, tick=False):
        assert answer(client, world).status_code == 201
        data = ask(client, world).json()
    assert data == {
        "eligible": False,
        "reason": "throttled_response",
        "next_eligible_at": "2027-01-31T10:00:00Z",
        "survey": None,
        "watch_pages": False,
        "button": None,
    }
    with time_machine.travel(NOW + datetime.timedelta(days=90), tick=False):
        assert ask(client, world).json()["eligible"] is True


def test_after_a_decline_the_person_waits_the_after_decline_delay(world, client):
    survey = nps(world)
    with time_machine.travel(NOW, tick=False):
        reply = post(
            client,
            "declines",
            {"key": world.alpha.public_key, "user": {"id": "u1"}, "survey": str(survey.public_id)},
        )
        assert reply.status_code == 201
        assert ask(client, world).json()["reason"] == "throttled_decline"
    assert Decline.objects.filter(survey=survey).count() == 1
    with time_machine.travel(NOW + datetime.timedelta(days=30), tick=False):
        assert ask(client, world).json()["eligible"] is True


def test_the_fatigue_guard_holds_across_kinds(world, client):
    world.alpha.fatigue_days = 14
    world.alpha.save()
    csat = survey_create(project=world.alpha, kind="csat")
    csat.trigger_event = "ticket_closed"
    csat.save()
    with time_machine.travel(NOW, tick=False):
        assert answer(client, world).status_code == 201
        data = ask(client, world, event="ticket_closed").json()
    assert data["reason"] == "fatigue"
    with time_machine.travel(NOW + datetime.timedelta(days=14), tick=False):
        data = ask(client, world, event="ticket_closed").json()
    assert data["eligible"] is True and data["survey"]["kind"] == "csat"


def test_an_event_survey_is_offered_only_for_its_event(world, client):
    Survey.objects.filter(project=world.alpha).update(is_active=False)
    survey = survey_create(project=world.alpha, kind="ces")
    survey.trigger_event = "chat_closed"
    survey.delay_seconds = 3
    survey.save()
    assert ask(client, world).json()["reason"] == "no_survey"
    data = ask(client, world, event="chat_closed").json()
    assert data["survey"]["trigger_event"] == "chat_closed"
    assert data["survey"]["delay_seconds"] == 3


def test_targeting_and_a_disabled_channel_give_their_reasons(world, client):
    survey = nps(world)
    survey.targeting = [{"property": "plan", "op": "in", "value": ["pro", "enterprise"]}]
    survey.channels = ["web"]
    survey.save()
    assert (
        ask(client, world, user={"id": "u1", "properties": {"plan": "free"}}).json()["reason"]
        == "targeting"
    )
    assert ask(client, world, user={"id": "u1", "properties": {"plan": "pro"}}).json()["eligible"]
    assert ask(client, world, channel="ios").json()["reason"] == "disabled"


def test_page_targeting_is_decided_on_the_url_sent(world, client):
    survey = nps(world)
    survey.pages = {
        "include": [{"op": "matches", "value": "/billing*"}],
        "exclude": [{"op": "equals", "value": "/billing/cancel"}],
    }
    survey.save()
    site = "https://app.example.com"
    # A new person (decided before their one INSERT), then known people.
    for who in ("new-1", "new-2"):
        user = {"id": who}
        reply = ask(client, world, user=user, url=f"{site}/settings").json()
        assert (reply["eligible"], reply["reason"], reply["next_eligible_at"]) == (
            False, "page", None
        )  # fmt: skip
        assert ask(client, world, user=user, url=f"{site}/billing/cancel/").json()["reason"] == (
            "page"
        )
        assert ask(client, world, user=user).json()["reason"] == "page"  # no url: unknown page
        assert ask(client, world, user=user, url=f"{site}/billing?tab=1").json()["eligible"]


def test_a_survey_for_one_page_goes_before_an_older_one_only_there(world, client):
    everywhere = nps(world)
    billing = survey_create(project=world.alpha, kind="csat")
    billing.pages = {"include": [{"op": "equals", "value": "/billing"}]}
    billing.save()
    everywhere.pages = {"exclude": [{"op": "equals", "value": "/billing"}]}
    everywhere.save()
    site = "https://app.example.com"
    assert ask(client, world, url=f"{site}/billing").json()["survey"]["kind"] == "csat"
    assert ask(client, world, user={"id": "u2"}, url=f"{site}/home").json()["survey"]["kind"] == (
        "nps"
    )


def test_force_shows_the_survey_whatever_the_throttles(world, client):
    assert answer(client, world).status_code == 201
    assert ask(client, world).json()["eligible"] is False
    data = ask(client, world, force=True).json()
    assert data["eligible"] is True


def test_anonymous_visitors_have_their_own_sampling(world, client):
    survey = nps(world)
    survey.anonymous_sampling_percent = 0
    survey.save()
    body = {"key": world.alpha.public_key, "anonymous_id": "anon-1234567890"}
    assert post(client, "eligibility", body).json()["reason"] == "sampled_out"
    survey.anonymous_sampling_percent = 100
    survey.save()
    assert post(client, "eligibility", body).json()["eligible"] is True
    assert EndUser.objects.filter(anonymous_id="anon-1234567890").count() == 1


def test_a_person_known_by_email_adopts_the_id_sent_with_it(world, client):
    post(client, "eligibility", {"key": world.alpha.public_key, "user": {"email": "x@ex.com"}})
    ask(client, world, user={"id": "crm-7", "email": "x@ex.com", "properties": {"plan": "pro"}})
    people = EndUser.objects.filter(project=world.alpha)
    assert people.count() == 1
    person = people.get()
    assert (person.external_id, person.email, person.properties) == (
        "crm-7",
        "x@ex.com",
        {"plan": "pro"},
    )


# --- displays, responses, comments --------------------------------------------------------------


def test_a_score_then_a_comment_make_one_response_with_the_properties_snapshot(world, client):
    survey = nps(world)
    rid = str(uuid.uuid4())
    user = {"id": "u1", "properties": {"plan": "pro", "country": "FR"}}
    reply = answer(client, world, score=3, id=rid, user=user, locale="fr", url="https://a.test/x")
    assert reply.status_code == 201, reply.content
    assert reply.json() == {
        "id": rid,
        "survey": str(survey.public_id),
        "score": 3,
        "category": "detractor",
        "comment": "",
    }
    reply = patch(
        client,
        f"responses/{rid}",
        {"key": world.alpha.public_key, "user": {"id": "u1"}, "comment": "  Too slow.  "},
    )
    assert reply.status_code == 200, reply.content
    response = Response.objects.get(public_id=rid)
    assert (response.score, response.comment, response.locale) == (3, "Too slow.", "fr")
    assert response.properties == {"plan": "pro", "country": "FR"}
    assert response.origin_url == "https://a.test/x"
    assert response.category == "detractor"


def test_a_retried_response_is_stored_once(world, client):
    rid = str(uuid.uuid4())
    first = answer(client, world, score=10, id=rid)
    second = answer(client, world, score=10, id=rid)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Response.objects.filter(public_id=rid).count() == 1


def test_a_response_id_reused_by_someone_else_is_a_conflict(world, client):
    rid = str(uuid.uuid4())
    assert answer(client, world, id=rid).status_code == 201
    reply = answer(client, world, id=rid, user={"id": "u2"})
    assert reply.status_code == 409
    assert reply.json()["fields"] == {"id": "already used"}


def test_displays_and_declines_are_recorded_once_per_client_id(world, client):
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u1"},
        "survey": str(nps(world).public_id),
        "id": str(uuid.uuid4()),
    }
    assert post(client, "displays", body).status_code == 201
    assert post(client, "displays", body).status_code == 201
    assert Display.objects.filter(public_id=body["id"]).count() == 1
    body["id"] = str(uuid.uuid4())
    assert post(client, "declines", body).status_code == 201
    assert post(client, "declines", body).status_code == 201
    assert Decline.objects.count() == 1


def test_nobody_can_comment_on_another_persons_response(world, client):
    rid = str(uuid.uuid4())
    answer(client, world, id=rid)
    reply = patch(
        client,
        f"responses/{rid}",
        {"key": world.alpha.public_key, "user": {"id": "intruder"}, "comment": "hi"},
    )
    assert reply.status_code == 404
    assert reply.json()["code"] == "unknown_response"
    assert Response.objects.get(public_id=rid).comment == ""


def test_another_projects_key_cannot_answer_this_projects_survey(world, client):
    reply = answer(client, world, key=world.beta.public_key)
    assert reply.status_code == 404
    assert reply.json()["code"] == "unknown_survey"
    assert Response.objects.count() == 0


# --- bad input: a 4xx naming the field, nothing stored ------------------------------------------


def _too_many_properties() -> dict[str, Any]:
    return {"id": "u1", "properties": {f"p{i}": i for i in range(101)}}


@pytest.mark.parametrize(
    ("path", "change", "status", "field"),
    [
        ("responses", {"score": 11}, 400, "score"),
        ("responses", {"score": -1}, 400, "score"),
        ("responses", {"score": "high"}, 400, "score"),
        ("responses", {"score": 7.5}, 400, "score"),
        ("responses", {"comment": "x" * 5001}, 400, "comment"),
        ("responses", {"key": "pk_nope"}, 404, "key"),
        ("responses", {"user": {}}, 400, "user"),
        ("responses", {"user": None}, 400, "user"),
        ("responses", {"user": _too_many_properties()}, 400, "user.properties"),
        (
            "responses",
            {"user": {"id": "u1", "properties": {"a": {"b": 1}}}},
            400,
            "user.properties",
        ),
        ("responses", {"user": {"id": "u1", "properties": {"a": [1]}}}, 400, "user.properties"),
        ("responses", {"user": {"id": "u1", "email": "not-mail"}}, 400, "user.email"),
        ("responses", {"survey": str(uuid.uuid4())}, 404, "survey"),
        ("responses", {"survey": "nope"}, 400, "survey"),
        ("responses", {"id": "not-a-uuid"}, 400, "id"),
        ("responses", {"channel": "fax"}, 400, "channel"),
        ("eligibility", {"user": {}}, 400, "user"),
        ("eligibility", {"key": "pk_nope"}, 404, "key"),
        ("eligibility", {"user": _too_many_properties()}, 400, "user.properties"),
        (
            "eligibility",
            {"user": {"id": "u1", "signed_up_at": "yesterday"}},
            400,
            "user.signed_up_at",
        ),
        ("eligibility", {"anonymous_id": "<script>", "user": None}, 400, "anonymous_id"),
        ("eligibility", {"user": {"id": "u\x00"}}, 400, "user.id"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, client, path, change, status, field):
    body: dict[str, Any] = {
        "key": world.alpha.public_key,
        "user": {"id": "u1"},
        "id": str(uuid.uuid4()),
        "survey": str(nps(world).public_id),
        "score": 5,
    }
    body.update(change)
    people_before = EndUser.objects.count()
    reply = post(client, path, body)
    assert reply.status_code == status, reply.content
    data = reply.json()
    assert field in data["fields"], data
    assert data["code"] and data["detail"]
    assert Response.objects.count() == 0
    assert EndUser.objects.count() == people_before


def test_a_body_that_is_not_a_json_object_is_refused(world, client):
    for raw in ("{not json", "[1, 2]", '"text"'):
        reply = client.post("/i/v1/eligibility", raw, content_type="text/plain")
        assert reply.status_code == 400
        assert reply.json()["code"] == "invalid_json"


def test_an_oversized_body_is_refused_before_it_is_read(world, client, settings):
    settings.INGEST_MAX_BODY_BYTES = 2048
    reply = answer(client, world, comment="é" * 1500)
    assert reply.status_code == 413
    assert reply.json()["code"] == "too_large"
    assert Response.objects.count() == 0


# --- identity verification ----------------------------------------------------------------------


def test_identity_verification_refuses_a_missing_or_wrong_hash(world, client):
    world.alpha.require_identity_verification = True
    world.alpha.save()
    reply = ask(client, world)
    assert reply.status_code == 401
    data = reply.json()
    assert (data["eligible"], data["reason"], data["code"]) == (False, "unverified", "unverified")
    assert data["fields"] == {"user_hash": "missing"}
    assert ask(client, world, user_hash="0" * 64).json()["fields"] == {
        "user_hash": "does not match"
    }
    wrong_person = user_hash_for(secret=world.alpha.secret, identifier="someone-else")
    assert answer(client, world, user_hash=wrong_person).status_code == 401
    assert Response.objects.count() == 0
    good = user_hash_for(secret=world.alpha.secret, identifier="u1")
    assert ask(client, world, user_hash=good).json()["eligible"] is True
    assert answer(client, world, user_hash=good.upper()).status_code == 201


def test_the_user_hash_is_the_documented_hmac():
    # Cross-checked with: printf 'user-42' | openssl dgst -sha256 -hmac 'ps_secret'
    assert user_hash_for(secret="ps_secret", identifier="user-42") == (
        "82013e9f00c49649bcf0eee9dd4e0ab1e826ab95463e9953f859a42cefdc1311"
    )


# --- CORS and rate limits -----------------------------------------------------------------------


def test_an_allowed_origin_is_echoed_exactly(world, client):
    world.alpha.allowed_origins = ["https://app.alpha.test"]
    world.alpha.save()
    reply = ask(client, world, HTTP_ORIGIN="https://app.alpha.test")
    assert reply.status_code == 200
    assert reply["Access-Control-Allow-Origin"] == "https://app.alpha.test"


def test_a_refused_origin_gets_403_no_cors_header_and_stores_nothing(world, client):
    world.alpha.allowed_origins = ["https://app.alpha.test"]
    world.alpha.save()
    reply = post(
        client,
        "responses",
        {
            "key": world.alpha.public_key,
            "user": {"id": "u1"},
            "id": str(uuid.uuid4()),
            "survey": str(nps(world).public_id),
            "score": 9,
        },
        HTTP_ORIGIN="https://evil.test",
    )
    assert reply.status_code == 403
    assert reply.json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in reply
    assert Response.objects.count() == 0
    assert EndUser.objects.count() == 0


def test_a_preflight_is_answered_without_touching_the_database(
    world, client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        reply = client.options(
            f"/i/v1/responses/{uuid.uuid4()}",
            HTTP_ORIGIN="https://app.alpha.test",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        )
    assert reply.status_code == 204
    assert reply["Access-Control-Allow-Origin"] == "https://app.alpha.test"
    assert "PATCH" in reply["Access-Control-Allow-Methods"]


def test_calls_over_the_rate_limit_get_429_with_retry_after(world, client, settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 3
    with time_machine.travel(NOW, tick=False):
        codes = [ask(client, world).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        reply = ask(client, world)
        assert reply.json()["code"] == "rate_limited"
        assert reply["Retry-After"] == "60"
        # Another address has its own budget.
        assert ask(client, world, REMOTE_ADDR="10.9.9.9").status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
        assert ask(client, world).status_code == 200


def test_an_ipv6_caller_is_counted_with_its_whole_64(world, client, settings):
    # One host may use any of the 2^64 addresses of its network: each alone has no budget.
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 3
    with time_machine.travel(NOW, tick=False):
        codes = [
            ask(client, world, REMOTE_ADDR=f"2001:db8:1:2::{n}").status_code for n in range(1, 5)
        ]
        assert codes == [200, 200, 200, 429]
        assert ask(client, world, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(world, client, settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    settings.TRUSTED_PROXY_COUNT = 1
    with time_machine.travel(NOW, tick=False):
        first = ask(client, world, HTTP_X_FORWARDED_FOR="spoof, 203.0.113.5")
        second = ask(client, world, HTTP_X_FORWARDED_FOR="other, 203.0.113.5")
        third = ask(client, world, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert (first.status_code, second.status_code, third.status_code) == (200, 429, 200)


# --- query budgets (real transactions: no test savepoints in the count) ------------------------


@pytest.mark.django_db(transaction=True)
def test_eligibility_of_an_unchanged_known_person_costs_at_most_4_queries(
    world, django_assert_max_num_queries
):
    client = Client()
    world.alpha.fatigue_days = 0
    world.alpha.save()
    csat = survey_create(project=world.alpha, kind="csat")
    user = {"id": "u1", "email": "u1@example.com", "properties": {"plan": "pro"}}
    with time_machine.travel(NOW, tick=False):
        assert ask(client, world, user=user).json()["eligible"] is True
        assert answer(client, world).status_code == 201
    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        with django_assert_max_num_queries(4) as captured:
            data = ask(client, world, user=user).json()
        assert data["eligible"] is True and data["survey"]["id"] == str(csat.public_id)
    # The only write is the offer's claim (one offer at a time), never the unchanged person.
    writes = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))
    ]
    assert len(writes) == 1 and "offered_until" in writes[0] and "properties" not in writes[0]


@pytest.mark.django_db(transaction=True)
def test_a_response_costs_at_most_6_queries(world, django_assert_max_num_queries):
    client = Client()
    ask(client, world)
    survey = str(nps(world).public_id)
    user = {"id": "u1", "properties": {"plan": "pro"}}
    # survey, person, auto-tag rules, routing rules, the person's UPDATE and the INSERT. A
    # changed person is written in one transaction with the response (a response id used by
    # someone else is refused after it, and a refused call writes nothing): in the test's own
    # transaction, its savepoint and the INSERT's are four statements more.
    with django_assert_max_num_queries(10):
        assert answer(client, world, user=user, survey=survey).status_code == 201
    # Nothing changed about the person: no UPDATE, and a single INSERT needs no transaction.
    with django_assert_max_num_queries(5):
        assert answer(client, world, user=user, survey=survey).status_code == 201


def test_comments_get_their_sentiment_on_write(world, client):
    rid = str(uuid.uuid4())
    assert (
        answer(client, world, score=10, id=rid, comment="I love it, great product").status_code
        == 201
    )
    assert Response.objects.get(public_id=rid).sentiment > 0.3
    patch(
        client,
        f"responses/{rid}",
        {
            "key": world.alpha.public_key,
            "user": {"id": "u1"},
            "comment": "Terrible, slow and buggy",
        },
    )
    assert Response.objects.get(public_id=rid).sentiment < -0.3
    silent = str(uuid.uuid4())
    answer(client, world, score=8, id=silent)
    assert Response.objects.get(public_id=silent).sentiment is None


def test_auto_tag_rules_tag_new_responses_and_late_comments(world, client):
    from promoter.responses.models import AutoTagRule, ResponseTag, Tag

    tag = Tag.objects.create(project=world.alpha, name="Pricing")
    AutoTagRule.objects.create(project=world.alpha, tag=tag, phrases=["price", "expensive"])
    rid = str(uuid.uuid4())
    assert answer(client, world, score=3, id=rid, comment="Way too expensive").status_code == 201
    assert ResponseTag.objects.filter(response__public_id=rid, tag=tag).exists()
    later = str(uuid.uuid4())
    answer(client, world, score=4, id=later)
    assert not ResponseTag.objects.filter(response__public_id=later).exists()
    patch(
        client,
        f"responses/{later}",
        {"key": world.alpha.public_key, "user": {"id": "u1"}, "comment": "The price went up"},
    )
    assert ResponseTag.objects.filter(response__public_id=later, tag=tag, source="rule").exists()


# --- one offer at a time ------------------------------------------------------------------------


def test_a_second_page_asking_before_the_display_is_held_by_the_first_offer(world, client):
    survey = nps(world)
    survey.delay_seconds = 30
    survey.save()
    with time_machine.travel(NOW, tick=False):
        first = ask(client, world).json()
        second = ask(client, world).json()
        forced = ask(client, world, force=True).json()
    assert first["eligible"] is True
    # Held for the display delay plus INGEST_OFFER_HOLD_SECONDS (60), with when it ends.
    assert second == {
        "eligible": False,
        "reason": "offered",
        "next_eligible_at": "2026-11-02T10:01:30Z",
        "survey": None,
        "watch_pages": False,
        "button": None,
    }
    assert forced["eligible"] is True  # Promoter.show() tests an install whatever the rules
    with time_machine.travel(NOW + datetime.timedelta(seconds=91), tick=False):
        assert ask(client, world).json()["eligible"] is True  # the offer lapsed: not shown


def test_a_display_renews_the_hold_then_the_usual_throttles_answer_and_it_can_be_turned_off(
    world, client, settings
):
    world.alpha.fatigue_days = 0  # else the display alone throttles (fatigue)
    world.alpha.save()
    shown = {"key": world.alpha.public_key, "user": {"id": "u1"},
             "survey": str(nps(world).public_id)}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        assert ask(client, world).json()["eligible"] is True
    # Shown 50 s later: held 60 s from the display, while the person reads the survey.
    with time_machine.travel(NOW + datetime.timedelta(seconds=50), tick=False):
        assert post(client, "displays", shown).status_code == 201
    with time_machine.travel(NOW + datetime.timedelta(seconds=100), tick=False):
        assert ask(client, world).json() == {
            "eligible": False,
            "reason": "offered",
            "next_eligible_at": "2026-11-02T10:01:50Z",
            "survey": None,
            "watch_pages": False,
            "button": None,
        }
        assert answer(client, world).status_code == 201
        assert ask(client, world).json()["reason"] == "throttled_response"
    settings.INGEST_OFFER_HOLD_SECONDS = 0
    other = {"key": world.alpha.public_key, "user": {"id": "u2"}}
    with time_machine.travel(NOW, tick=False):
        replies = [post(client, "eligibility", other).json() for _ in range(2)]
    assert [r["eligible"] for r in replies] == [True, True]


def test_a_dismissal_ends_the_hold_but_not_for_a_page_that_decided_before_it(world, client):
    from promoter.ingest.api import _offer_claim
    from promoter.responses.selectors import contact_history

    survey = nps(world)
    dismissed = {"key": world.alpha.public_key, "user": {"id": "u1"},
                 "survey": str(survey.public_id)}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        assert ask(client, world).json()["eligible"] is True
        person = EndUser.objects.get(external_id="u1")
        before = contact_history(person)  # what a second tab read a moment before…
        assert post(client, "declines", dismissed).status_code == 201  # …this was stored
        assert EndUser.objects.get(pk=person.pk).offered_until is None  # the hold ended
        stale = _offer_claim(person, survey, NOW, before)
        assert stale == NOW + datetime.timedelta(seconds=60)  # refused: it missed the decline
        assert EndUser.objects.get(pk=person.pk).offered_until is None
        fresh = _offer_claim(person, survey, NOW, contact_history(person))
        assert fresh is None  # a decision that saw the decline may claim the freed hold


def test_a_comment_refused_for_someone_elses_response_creates_nobody(world, client):
    # The probe: PATCH another person's response with a user id never seen answered 404, yet
    # the refused call had created that person (docs/security.md, "Refused calls").
    rid = str(uuid.uuid4())
    assert answer(client, world, id=rid, user={"id": "u1"}).status_code == 201
    before = EndUser.objects.count()
    refused = patch(
        client,
        f"responses/{rid}",
        {
            "key": world.alpha.public_key,
            "user": {"id": "intruder", "properties": {"plan": "free"}},
            "comment": "not mine",
        },
    )
    assert refused.status_code == 404 and refused.json()["code"] == "unknown_response"
    assert EndUser.objects.count() == before
    key = api_key_create(project=world.alpha, name="probe").secret
    probe = client.get("/api/v1/people/id:intruder", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert probe.status_code == 404
    assert Response.objects.get(public_id=rid).comment == ""


def test_a_response_id_used_by_someone_else_leaves_no_new_person(world, client):
    rid = str(uuid.uuid4())
    assert answer(client, world, id=rid, user={"id": "u1"}).status_code == 201
    reused = answer(client, world, id=rid, user={"id": "newcomer", "properties": {"a": 1}})
    assert reused.status_code == 409
    assert not EndUser.objects.filter(external_id="newcomer").exists()
