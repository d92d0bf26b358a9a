"""PostgreSQL's bulk import: with a role that may set ``session_replication_role``, the import
skips the per-row foreign-key and rollup triggers and does their work set-wise. It must store
exactly what the trigger path stores, hold what it links to as the checks would, and be taken
only where the server allows it. (SQLite imports in batches through the ORM:
test_imports.py covers that path on both databases.)"""

from __future__ import annotations

import datetime
import os

import psycopg
import pytest
from django.db import connection, transaction

from promoter.actions import imports
from promoter.actions.imports import import_table, read_table
from promoter.analytics import rollups
from promoter.analytics.models import DailyProperty, DailyScore, WeeklyProperty
from promoter.analytics.selectors import ResponseFilter, histogram, histograms_by_property
from promoter.core.errors import ApplicationError
from promoter.people.models import EndUser
from promoter.responses.models import Response

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's bulk path; runs in the PostgreSQL half of the suite (make test-postgres)",
)

CSV = (
    "id,score,text,created_at,end_user.email,end_user.external_id,end_user.properties.plan\n"
    "1,9,Great,2026-10-01T10:00:00Z,ann@example.com,u-1,pro\n"  # ann exists (by id)
    "2,3,Slow,2026-10-01T23:30:00Z,bob@example.com,,free\n"  # bob exists (by e-mail)
    "3,10,,2026-10-02T01:00:00Z,cy@example.com,u-3,pro\n"  # new, with both
    "4,6,Meh,2026-10-03T12:00:00Z,dee@example.com,,\n"  # new, e-mail only
    "5,8,,2026-10-03T12:30:00Z,,,free\n"  # nobody
    "6,7,Again,2026-10-04T08:00:00Z,cy@example.com,u-3,enterprise\n"  # cy again
)


def _person(**fields) -> EndUser:
    now = datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC)
    return EndUser.objects.create(first_seen_at=now, last_seen_at=now, **fields)


def _people(project) -> list[tuple]:
    return sorted(
        EndUser.objects.filter(project=project).values_list(
            "external_id", "email", "properties", "first_seen_at"
        ),
        key=repr,
    )


def _responses(project) -> list[tuple]:
    return sorted(
        Response.objects.filter(project=project).values_list(
            "score",
            "comment",
            "created_at",
            "properties",
            "end_user__external_id",
            "end_user__email",
            "channel",
        ),
        key=repr,
    )


def _rollups(project) -> tuple[list, list, list]:
    scores = sorted(
        (d, c, s, n)
        for d, c, s, n in DailyScore.objects.filter(project_id=project.pk).values_list(
            "day", "channel", "score", "n"
        )
    )
    properties = sorted(
        DailyProperty.objects.filter(project_id=project.pk).values_list(
            "day", "key", "value", "score", "n"
        )
    )
    weeks = sorted(
        WeeklyProperty.objects.filter(project_id=project.pk).values_list(
            "week", "key", "value", *rollups.SCORE_COLUMNS
        )
    )
    return scores, properties, weeks


def _import(project, settings, *, bulk: bool, monkeypatch) -> bool:
    settings.IMPORT_BULK_LOAD = bulk
    taken = []
    probe = imports._may_skip_triggers
    monkeypatch.setattr(
        imports, "_may_skip_triggers", lambda c: taken.append(probe(c)) or taken[-1]
    )
    survey = project.surveys.get()
    outcome = import_table(survey=survey, table=read_table(CSV.encode(), "in.csv"))
    assert (outcome.imported, outcome.already) == (6, 0)
    return taken[-1]


def test_the_bulk_load_stores_what_the_triggers_store(world, settings, monkeypatch):
    for project in (world.alpha, world.beta):
        _person(
            project=project,
            external_id="u-1",
            email="ann@example.com",
            properties={"plan": "trial"},
        )
        _person(project=project, email="bob@example.com")
    assert _import(world.alpha, settings, bulk=True, monkeypatch=monkeypatch) is True
    assert _import(world.beta, settings, bulk=False, monkeypatch=monkeypatch) is False

    assert _people(world.alpha) == _people(world.beta)
    assert EndUser.objects.filter(project=world.alpha).count() == 4  # ann, bob, cy, dee
    cy = EndUser.objects.get(project=world.alpha, external_id="u-3")
    assert (cy.email, cy.properties) == ("cy@example.com", {"plan": "pro"})  # their first row
    assert cy.public_id.version == 7
    ann = EndUser.objects.get(project=world.alpha, external_id="u-1")
    assert ann.properties == {"plan": "trial"}  # an existing person is linked, not changed
    assert _responses(world.alpha) == _responses(world.beta)
    assert Response.objects.filter(project=world.alpha, end_user=ann).count() == 1
    assert _rollups(world.alpha) == _rollups(world.beta)
    assert all(_rollups(world.alpha))  # no empty list

    survey = world.alpha.surveys.get()
    since = datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC)
    until = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    f = ResponseFilter(survey=survey, since=since, until=until)

    def figures():
        return (
            histogram(project=world.alpha, flt=f),
            histograms_by_property(project=world.alpha, flt=f, name="plan"),
        )

    assert sum(figures()[0]) == 6
    with rollups.raw_only():
        raw = figures()
    assert figures() == raw

    # Twice is once, on both paths.
    for project in (world.alpha, world.beta):
        again = import_table(survey=project.surveys.get(), table=read_table(CSV.encode(), "x"))
        assert (again.imported, again.already) == (0, 6)
    assert _rollups(world.alpha) == _rollups(world.beta)


def _role_connection(role: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=role,
        autocommit=True,
    )


def test_the_bulk_load_is_taken_only_where_the_server_allows_it(db):
    role = f"promoter_import_plain_{os.getpid()}"
    admin = _role_connection(connection.settings_dict["USER"] or "postgres")
    admin.execute(f"DROP ROLE IF EXISTS {role}")
    admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        with _role_connection(role) as plain, plain.cursor() as cursor:
            assert imports._may_skip_triggers(cursor) is False
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cursor.execute("SET session_replication_role = replica")
        if connection.pg_version >= 150000:
            admin.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role}")
            with _role_connection(role) as granted, granted.cursor() as cursor:
                assert imports._may_skip_triggers(cursor) is True
        with connection.cursor() as cursor:  # the test database's own role: a superuser
            assert imports._may_skip_triggers(cursor) is True
    finally:
        if connection.pg_version >= 150000:
            admin.execute(f"REVOKE SET ON PARAMETER session_replication_role FROM {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()


@pytest.mark.django_db(transaction=True)
def test_an_import_holds_what_it_links_to_until_it_commits(world):
    ann = _person(project=world.alpha, external_id="u-1", email="a@example.com")
    survey = world.alpha.surveys.get()

    def deletable(table: str, pk: int) -> bool:
        with _role_connection(connection.settings_dict["USER"] or "postgres") as other:
            other.execute("SET lock_timeout = '200ms'")
            try:
                other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
            except psycopg.errors.LockNotAvailable:
                return False
            return True

    with transaction.atomic():
        outcome = import_table(survey=survey, table=read_table(CSV.encode(), "in.csv"))
        assert outcome.imported == 6
        assert not deletable("people_enduser", ann.pk)
        assert not deletable("surveys_survey", survey.pk)
    assert deletable("people_enduser", ann.pk) and deletable("surveys_survey", survey.pk)


def test_a_row_it_links_to_that_is_gone_stops_the_import_in_one_line(world):
    gone = _person(project=world.alpha, email="gone@example.com")
    pk = gone.pk
    gone.delete()
    with connection.cursor() as cursor, pytest.raises(ApplicationError) as raised:
        imports._hold(cursor, EndUser, [pk], "people")
    assert raised.value.status == 409
    assert raised.value.detail == (
        "1 of the people this file links to were deleted while it was imported; nothing was"
        " imported. Run it again."
    )
