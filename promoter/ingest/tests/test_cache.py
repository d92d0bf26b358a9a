"""The ingest cache against a real Redis: answers come from it, and no write leaves it stale.

"Another process" is a real one: a Python child process with its own Django, on the same test
database and the same Redis, records a response through the API; this process must see it on
its very next call. Redis is the one of the test machine (127.0.0.1:6379, database 5, or
INGEST_TEST_REDIS_URL), emptied before and after each test.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from promoter.actions.erasure import person_erase
from promoter.core import tokencache
from promoter.ingest import cache as ingest_cache
from promoter.people.models import EndUser
from promoter.people.services import Identity
from promoter.responses.models import Response
from promoter.surveys.models import Survey
from promoter.surveys.services import survey_update

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("INGEST_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs: tokens are renewed


@pytest.fixture(autouse=True)
def redis_cache(settings):
    # These tests ask again and again for people the survey was offered to and not shown:
    # the offer's hold (test_api.py proves it) would answer "offered" before the cache spoke.
    settings.INGEST_OFFER_HOLD_SECONDS = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "promoter.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "promoter",  # as in settings: the other process uses it
        }
    }
    settings.INGEST_STATE_CACHE = True
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    cache.clear()
    ingest_cache._PROJECT_IDS.clear()
    yield
    cache.clear()
    ingest_cache._PROJECT_IDS.clear()


def ask(world: Any, user: str = "u1", **extra: Any) -> Any:
    body = {"key": world.alpha.public_key, "user": {"id": user}, **extra}
    return Client().post("/i/v1/eligibility", json.dumps(body), content_type="text/plain")


def nps(world: Any) -> Survey:
    return Survey.objects.get(project=world.alpha, kind="nps")


def answer_elsewhere(world: Any, user: str = "u1") -> None:
    """Record a response for ``user`` from another Python process (its own Django)."""
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:
        url = f"sqlite:///{database['NAME']}"
    body = {
        "key": world.alpha.public_key,
        "user": {"id": user},
        "id": str(uuid.uuid4()),
        "survey": str(nps(world).public_id),
        "score": 9,
    }
    script = textwrap.dedent(
        f"""
        import json, django
        django.setup()
        from django.test import Client
        reply = Client().post("/i/v1/responses", {json.dumps(json.dumps(body))},
                              content_type="text/plain")
        assert reply.status_code == 201, (reply.status_code, reply.content)
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "promoter.settings",
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "ALLOWED_HOSTS": "testserver",
        "INGEST_RATE_LIMIT_PER_MINUTE": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def warm(world: Any, user: str = "u1") -> dict[str, Any]:
    """Ask until the answer comes from the cache; return it."""
    for _ in range(3):
        reply = ask(world, user).json()
    return reply


def test_a_known_person_is_answered_from_the_cache_without_a_query(
    world, django_assert_num_queries
):
    first = warm(world)
    assert first["eligible"] is True
    with django_assert_num_queries(0):
        again = ask(world).json()
    assert again == first


def test_a_response_from_another_process_throttles_the_person_at_once(
    world, django_assert_num_queries
):
    assert warm(world)["eligible"] is True
    with django_assert_num_queries(0):  # cached: without invalidation, this would be served
        assert ask(world).json()["eligible"] is True
    answer_elsewhere(world)
    assert Response.objects.filter(end_user__external_id="u1").count() == 1
    reply = ask(world).json()
    assert (reply["eligible"], reply["reason"]) == (False, "throttled_response")


def test_a_throttled_person_stays_throttled_after_another_response_elsewhere(world):
    answer_elsewhere(world)
    assert warm(world)["reason"] == "throttled_response"
    answer_elsewhere(world)
    reply = ask(world).json()
    assert (reply["eligible"], reply["reason"]) == (False, "throttled_response")
    assert Response.objects.filter(end_user__external_id="u1").count() == 2


def test_a_change_of_throttle_settings_is_seen_by_the_next_call(world):
    world.alpha.fatigue_days = 0
    world.alpha.save()
    answer_elsewhere(world)
    assert warm(world)["reason"] == "throttled_response"
    survey_update(survey=nps(world), data={"resurvey_after_days": 0})
    ingest_cache._PROJECT_IDS.clear()  # as in another process, too
    reply = ask(world).json()
    assert reply["eligible"] is True


def test_a_survey_switched_off_is_not_offered_from_the_cache(world):
    assert warm(world)["eligible"] is True
    survey_update(survey=nps(world), data={"is_active": False})
    reply = ask(world).json()
    assert (reply["eligible"], reply["reason"]) == (False, "no_survey")


def test_an_erased_person_is_not_served_from_the_cache(world):
    answer_elsewhere(world)
    assert warm(world)["reason"] == "throttled_response"
    person_erase(person=EndUser.objects.get(external_id="u1"), by="test")
    assert ask(world).json()["eligible"] is True  # a new person now, with no history
    assert EndUser.objects.filter(external_id="u1").count() == 1


def test_a_display_makes_the_history_stale_but_not_the_person(world, django_assert_num_queries):
    world.alpha.fatigue_days = 30
    world.alpha.save()
    assert warm(world)["eligible"] is True
    body = {
        "key": world.alpha.public_key,
        "user": {"id": "u1"},
        "survey": str(nps(world).public_id),
    }
    shown = Client().post("/i/v1/displays", json.dumps(body), content_type="text/plain")
    assert shown.status_code == 201
    assert ask(world).json()["reason"] == "fatigue"
    # The person is still cached: a response costs its INSERT only.
    answer = {**body, "id": str(uuid.uuid4()), "score": 3}
    with django_assert_num_queries(1):
        reply = Client().post("/i/v1/responses", json.dumps(answer), content_type="text/plain")
    assert reply.status_code == 201


def test_a_new_person_costs_one_insert_which_holds_the_offer(
    world, settings, django_assert_num_queries
):
    settings.INGEST_OFFER_HOLD_SECONDS = 60
    survey = nps(world)
    survey.delay_seconds = 30
    survey.save()
    assert ask(world, "someone-else").json()["eligible"] is True  # the key's settings cached
    before = timezone.now()
    body = {"key": world.alpha.public_key, "user": {"id": "u-new", "properties": {"plan": "pro"}}}
    with django_assert_num_queries(1) as captured:
        reply = Client().post("/i/v1/eligibility", json.dumps(body), content_type="text/plain")
    assert reply.json()["eligible"] is True
    assert "ON CONFLICT DO NOTHING" in captured[0]["sql"].upper() or "OR IGNORE" in (
        captured[0]["sql"].upper()
    )
    person = EndUser.objects.get(project=world.alpha, external_id="u-new")
    assert person.properties == {"plan": "pro"}
    # Held from the INSERT for the display delay plus INGEST_OFFER_HOLD_SECONDS.
    assert person.offered_until is not None
    assert before + datetime.timedelta(seconds=90) <= person.offered_until
    assert person.offered_until <= timezone.now() + datetime.timedelta(seconds=90)
    again = Client().post("/i/v1/eligibility", json.dumps(body), content_type="text/plain")
    assert (again.json()["eligible"], again.json()["reason"]) == (False, "offered")
    assert EndUser.objects.filter(project=world.alpha, external_id="u-new").count() == 1


def test_a_new_visitor_costs_one_insert_too(world, django_assert_num_queries):
    assert ask(world, "someone-else").json()["eligible"] is True
    body = {"key": world.alpha.public_key, "anonymous_id": "visitor-1"}
    with django_assert_num_queries(1):
        reply = Client().post("/i/v1/eligibility", json.dumps(body), content_type="text/plain")
    assert reply.json()["eligible"] is True
    assert EndUser.objects.get(project=world.alpha, anonymous_id="visitor-1").external_id is None


def test_a_known_person_missing_from_the_cache_is_decided_as_before(world, settings):
    answer_elsewhere(world)  # u1 answered, in another process
    cache.clear()  # every token gone, as after an eviction or a long absence
    ingest_cache._PROJECT_IDS.clear()
    reply = ask(world).json()
    assert (reply["eligible"], reply["reason"]) == (False, "throttled_response")
    assert EndUser.objects.filter(project=world.alpha, external_id="u1").count() == 1
    # Held by another page's offer: the INSERT finds them, the usual claim answers.
    settings.INGEST_OFFER_HOLD_SECONDS = 60
    until = timezone.now() + datetime.timedelta(seconds=60)
    EndUser.objects.create(
        project=world.alpha,
        external_id="u2",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
        offered_until=until,
    )
    cache.clear()
    reply = ask(world, "u2").json()
    assert (reply["eligible"], reply["reason"]) == (False, "offered")
    assert EndUser.objects.filter(project=world.alpha, external_id="u2").count() == 1


def test_an_identity_with_an_email_is_looked_up_before_any_insert(world):
    known = EndUser.objects.create(
        project=world.alpha,
        email="ada@example.com",
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )
    body = {"key": world.alpha.public_key, "user": {"id": "u9", "email": "ada@example.com"}}
    reply = Client().post("/i/v1/eligibility", json.dumps(body), content_type="text/plain")
    assert reply.status_code == 200
    # The person known by this e-mail adopts the id: no second person.
    assert list(EndUser.objects.filter(project=world.alpha).values_list("pk", "external_id")) == [
        (known.pk, "u9")
    ]


def test_a_response_caches_the_person_it_looked_up(world, django_assert_num_queries):
    EndUser.objects.create(
        project=world.alpha, external_id="u5", first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
    )  # fmt: skip
    assert ask(world, "someone-else").json()["eligible"] is True  # the key's settings cached
    cache_tokens = {"key": world.alpha.public_key, "user": {"id": "u5"},
                    "survey": str(nps(world).public_id)}  # fmt: skip

    def respond() -> Any:
        answer = {**cache_tokens, "id": str(uuid.uuid4()), "score": 8}
        return Client().post("/i/v1/responses", json.dumps(answer), content_type="text/plain")

    assert respond().status_code == 201  # reads the person (and mints their tokens)
    assert respond().status_code == 201  # reads them again, and caches them
    with django_assert_num_queries(1):  # the INSERT alone
        assert respond().status_code == 201
    assert Response.objects.filter(end_user__external_id="u5").count() == 3


def test_a_reader_that_raced_a_write_never_stores_a_stale_entry():
    keys = ["t:race"]
    _value, tokens, hit = tokencache.read("d:race", keys)
    assert not hit
    tokencache.mint(keys, tokens)
    _value, tokens, hit = tokencache.read("d:race", keys)  # the reader's stamp, then its read
    tokencache.renew(keys)  # a write commits meanwhile (outside a transaction: at once)
    tokencache.write("d:race", "old state", tokens=tokens, timeout=60)
    assert tokencache.read("d:race", keys)[2] is False
    _value, tokens, _hit = tokencache.read("d:race", keys)
    tokencache.write("d:race", "new state", tokens=tokens, timeout=60)
    assert tokencache.read("d:race", keys)[:1] == ("new state",)


def test_an_evicted_token_means_a_miss():
    keys = ["t:evict"]
    tokencache.mint(keys, (None,))
    _value, tokens, _hit = tokencache.read("d:evict", keys)
    tokencache.write("d:evict", "state", tokens=tokens, timeout=60)
    assert tokencache.read("d:evict", keys)[2] is True
    cache.delete("t:evict")
    assert tokencache.read("d:evict", keys)[2] is False


def test_the_project_token_covers_bulk_writes(world):
    lookup = ingest_cache.PersonLookup(world.alpha.pk, Identity(external_id="u1"))
    assert warm(world)["eligible"] is True
    assert lookup.get() is not None
    from promoter.people.statecache import project_people_changed

    project_people_changed(world.alpha.pk)
    assert ingest_cache.PersonLookup(world.alpha.pk, Identity(external_id="u1")).get() is None


def test_without_redis_the_state_cache_cannot_be_switched_on(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "INGEST_STATE_CACHE": "true",
        "PROMOTER_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "promoter"), "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "INGEST_STATE_CACHE" in done.stderr and "REDIS_URL" in done.stderr
