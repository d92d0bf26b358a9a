"""The benchmark ceilings (bench/ceilings.py): absent from the product's URLconf, mounted by
bench/urls.py (the URLconf bench/ingest.py serves), and doing what they measure."""

from __future__ import annotations

import importlib
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from bench.ceilings import TABLE, ceiling_table_create
from promoter.people.models import EndUser


def post(path: str, body: object) -> object:
    return Client().post(path, json.dumps(body), content_type="text/plain")


def test_the_ceilings_are_not_mounted_by_default(settings):
    assert settings.ROOT_URLCONF == "promoter.urls"
    for name in ("trivial", "select", "insert"):
        with pytest.raises(Resolver404):
            resolve(f"/bench/v1/{name}")


@pytest.fixture
def ceilings(settings):
    # The URLconf of the settings bench/ingest.py serves with.
    settings.ROOT_URLCONF = importlib.import_module("bench.settings").ROOT_URLCONF


@pytest.mark.django_db(transaction=True)
def test_each_ceiling_does_one_thing(ceilings, world, django_assert_num_queries):
    ceiling_table_create()
    person = EndUser.objects.create(
        project=world.alpha,
        external_id="usr_1",
        first_seen_at="2026-01-01T00:00:00Z",
        last_seen_at="2026-01-01T00:00:00Z",
    )
    with django_assert_num_queries(0):
        reply = post("/bench/v1/trivial", {"key": "pk_x"})
    assert (reply.status_code, reply.json()) == (200, {"ok": True, "key": "pk_x"})
    with django_assert_num_queries(1):
        reply = post("/bench/v1/select", {"id": person.pk})
    assert reply.json()["external_id"] == "usr_1"
    assert post("/bench/v1/select", {"id": person.pk + 999}).status_code == 404
    with django_assert_num_queries(1):
        reply = post("/bench/v1/insert", {"value": "v"})
    assert reply.status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE}")  # noqa: S608
        assert cursor.fetchall() == [("v",)]
        cursor.execute(f"DROP TABLE {TABLE}")
    reply = post("/bench/v1/insert", {"value": "v"})
    assert reply.status_code == 503 and reply.json()["code"] == "no_table"
