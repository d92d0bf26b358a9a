"""The daily rollups give the same figures as counting the responses, whatever wrote them.

Random responses (scores in and out of the scale, two surveys, channels, properties of every
JSON type, days across DST changes in a non-UTC timezone) go through every kind of write:
inserts, the import (COPY on PostgreSQL), updates of score, channel, time, exclusion and
properties, deletes, a person's erasure and a timezone change. After each round every selector
figure is computed twice, with the rollups and with :func:`rollups.raw_only`, and must match;
the trigger-kept tables must also equal a rebuild from scratch.
"""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.db import transaction

from promoter.actions.erasure import person_erase
from promoter.actions.imports import import_table, read_table
from promoter.actions.projects import project_create
from promoter.analytics import rollups
from promoter.analytics.models import DailyProperty, DailyScore, WeeklyProperty
from promoter.analytics.selectors import (
    ResponseFilter,
    _rollup_plan,
    funnel,
    histogram,
    histograms_by_period,
    histograms_by_property,
    histograms_by_survey,
    response_count,
)
from promoter.people.models import EndUser
from promoter.responses.models import Response
from promoter.surveys.eligibility import Condition
from promoter.surveys.services import survey_create

NOW = datetime.datetime(2026, 11, 23, 15, 37, 12, 345678, tzinfo=datetime.UTC)
KEYS = ("plan", "variant", "seats", "beta", "note", "blob", "meta")


def _properties(rng: random.Random) -> dict[str, object]:
    properties: dict[str, object] = {}
    if rng.random() < 0.85:
        properties["plan"] = rng.choice(["free", "Pro", "pro", "enterprise", "PRO"])
    if rng.random() < 0.7:
        properties["variant"] = rng.choice(["A", "B", "a"])
    if rng.random() < 0.5:
        properties["seats"] = rng.choice([1, 5, 12, 0, 2.5])
    if rng.random() < 0.3:
        properties["beta"] = rng.choice([True, False, None])
    if rng.random() < 0.3:
        properties["note"] = rng.choice(["", "x", "héllo wörld"])
    if rng.random() < 0.05:
        properties["blob"] = "long " * 60  # longer than a rollup stores
    if rng.random() < 0.1:
        properties["meta"] = {"nested": rng.randint(1, 3)}
    return properties


def _moment(rng: random.Random) -> datetime.datetime:
    # Mostly the last 400 days (two DST changes each way), some exactly at local midnights.
    return NOW - datetime.timedelta(seconds=rng.uniform(0, 400 * 86400))


def _table_state() -> Counter[tuple[object, ...]]:
    """Return the rollups as summed counts per key (slots added up, zeros dropped)."""
    state: Counter[tuple[object, ...]] = Counter()
    for row in DailyScore.objects.values_list("survey_id", "day", "channel", "score", "n"):
        state[("s", *row[:4])] += row[4]
    for row in DailyProperty.objects.values_list("survey_id", "day", "key", "value", "score", "n"):
        state[("p", *row[:5])] += row[5]
    for survey_id, week, key, value, *counts in WeeklyProperty.objects.values_list(
        "survey_id", "week", "key", "value", *rollups.SCORE_COLUMNS
    ):
        for score, n in enumerate(counts):
            state[("w", survey_id, week, key, value, score)] += n
    return +state  # drops zeros


def _weeks_of_days(state: Counter[tuple[object, ...]]) -> tuple[Counter, Counter]:
    """Return the weekly rows of ``state`` and its daily property rows summed by week."""
    weekly: Counter[tuple[object, ...]] = Counter()
    by_week: Counter[tuple[object, ...]] = Counter()
    for (table, survey_id, when, *rest), n in state.items():
        if table == "w":
            weekly[(survey_id, when, *rest)] += n
        elif table == "p":
            monday = when - datetime.timedelta(days=when.weekday())
            by_week[(survey_id, monday, *rest)] += n
    return +weekly, +by_week


def _filters(survey, tz) -> list[ResponseFilter]:
    midnight = datetime.datetime.combine(
        NOW.astimezone(tz).date() - datetime.timedelta(days=45), datetime.time(0), tzinfo=tz
    )
    periods = [
        (NOW - datetime.timedelta(days=90), NOW),
        (NOW - datetime.timedelta(days=365), NOW),
        (None, None),
        (None, NOW - datetime.timedelta(days=10)),
        (NOW - datetime.timedelta(days=200), None),
        (midnight, midnight + datetime.timedelta(days=30)),  # whole local days
        (midnight - datetime.timedelta(days=200), midnight + datetime.timedelta(hours=5)),
        (NOW - datetime.timedelta(hours=20), NOW),  # no whole day
    ]
    base = [ResponseFilter(survey=survey, since=s, until=u) for s, u in periods]
    extra = []
    for flt in base[:3]:
        extra += [
            replace(flt, channels=("web", "ios")),
            replace(flt, categories=("promoter", "detractor")),
            replace(flt, conditions=(Condition("variant", "eq", "a"),)),
            replace(flt, conditions=(Condition("plan", "in", ["pro", "free"]),)),
            replace(flt, conditions=(Condition("plan", "eq", "pro"),), categories=("passive",)),
            replace(flt, conditions=(Condition("seats", "eq", "5"),)),  # numeric: raw path
            replace(flt, conditions=(Condition("plan", "ne", "pro"),)),  # raw path
            replace(flt, has_comment=True),  # raw path
        ]
    return base + extra


def _figures(project, surveys, tz) -> list[object]:
    figures: list[object] = []
    for survey in surveys:
        for flt in _filters(survey, tz):
            figures.append(histogram(project=project, flt=flt))
            figures.append(response_count(project=project, flt=flt))
            figures.append(funnel(project=project, flt=flt))
            for bucket in ("day", "week", "month"):
                figures.append(histograms_by_period(project=project, flt=flt, bucket=bucket))
            if not flt.conditions:
                for key in (*KEYS, "missing", "0"):
                    figures.append(histograms_by_property(project=project, flt=flt, name=key))
                figures.append(
                    histograms_by_property(project=project, flt=flt, name="seats", top=2)
                )
                for key in KEYS:
                    every = histograms_by_property(project=project, flt=flt, name=key, top=None)
                    some = [v for v, _ in every[::2] if not v.startswith("(")] + ["no-such"]
                    restricted = histograms_by_property(
                        project=project, flt=flt, name=key, top=None, values=some
                    )
                    # Some values' histograms are those values' histograms among all.
                    assert restricted == [(v, bins) for v, bins in every if v in some]
                    figures.append(restricted)
    for since, until in ((NOW - datetime.timedelta(days=90), NOW), (None, None)):
        figures.append(histograms_by_survey(project=project, since=since, until=until))
    return figures


def _check(project, surveys) -> None:
    tz = rollups.project_tz(project.timezone)
    kept = _table_state()
    with_rollups = _figures(project, surveys, tz)
    with rollups.raw_only():
        raw = _figures(project, surveys, tz)
    assert with_rollups == raw
    # The triggers' tables equal a recount from scratch.
    with transaction.atomic():
        rollups.rebuild()
    assert _table_state() == kept
    # Each week of the weekly rollup holds its days of the daily one.
    weekly, by_week = _weeks_of_days(kept)
    assert weekly == by_week
    # And the rollups were used (the test would prove nothing otherwise).
    plan = _rollup_plan(project=project, flt=_filters(surveys[0], tz)[0])
    assert plan is not None and plan[1].exists()
    whole = rollups.weeks(plan[0])
    assert whole is not None and whole.days  # whole weeks, and days around them
    assert WeeklyProperty.objects.filter(survey_id=surveys[0].pk, **whole.week_filter()).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Beirut"])  # Beirut: DST at midnight
def test_rollup_figures_equal_the_raw_computation_through_every_write(world, zone):
    rng = random.Random(f"rollups-{zone}")
    project = project_create(owner=world.owner, name="Rollups", slug="rollups")
    project.timezone = zone
    project.save(update_fields=["timezone"])
    nps = project.surveys.get()
    csat = survey_create(project=project, kind="csat")
    surveys = [nps, csat]
    people = [
        EndUser.objects.create(
            project=project,
            external_id=f"u{i}",
            email=f"u{i}@example.com",
            properties={},
            first_seen_at=NOW,
            last_seen_at=NOW,
            created_at=NOW,
        )
        for i in range(40)
    ]
    tz = rollups.project_tz(zone)

    def add(count: int) -> None:
        rows = []
        for _ in range(count):
            survey = rng.choice(surveys)
            created = _moment(rng)
            if rng.random() < 0.1:  # exactly at a local midnight
                day = created.astimezone(tz).date()
                created = rollups.midnight(day, tz)
            rows.append(
                Response(
                    project=project,
                    survey=survey,
                    end_user=rng.choice([*people, None]),
                    score=rng.randint(0, 10) if survey.kind == "nps" else rng.randint(0, 6),
                    comment=rng.choice(["", "", "slow", "great"]),
                    channel=rng.choice(["web", "ios", "android", "email", "api"]),
                    properties=_properties(rng),
                    excluded=rng.random() < 0.05,
                    created_at=created,
                    updated_at=created,
                )
            )
        Response.objects.bulk_create(rows[: count // 2])
        for row in rows[count // 2 :]:
            row.save()

    add(500)
    _check(project, surveys)

    # The import: a Delighted-style CSV (PostgreSQL loads it with COPY).
    lines = ["Response ID,Email,Score,Comment,Response Timestamp,Plan,Variant"]
    for i in range(120):
        moment = _moment(rng)
        lines.append(
            f"imp-{i},u{rng.randint(0, 60)}@example.com,{rng.randint(0, 10)},,"
            f"{int(moment.timestamp())},{rng.choice(['pro', 'free'])},{rng.choice('AB')}"
        )
    outcome = import_table(
        survey=nps, table=read_table("\n".join(lines).encode(), "in.csv"), sentiment=False
    )
    assert outcome.imported == 120
    _check(project, surveys)

    # Updates of everything the figures read, one by one and in bulk; deletes; erasure.
    ids = list(Response.objects.filter(project=project).values_list("pk", flat=True))
    for pk in rng.sample(ids, 60):
        response = Response.objects.get(pk=pk)
        change = rng.choice(["score", "excluded", "created_at", "channel", "properties", "comment"])
        if change == "score":
            response.score = rng.randint(0, 10) if response.survey_id == nps.pk else 3
        elif change == "excluded":
            response.excluded = not response.excluded
        elif change == "created_at":
            response.created_at = _moment(rng)
        elif change == "channel":
            response.channel = "link"
        elif change == "properties":
            response.properties = _properties(rng)
        else:
            response.comment = "changed"
        response.save(update_fields=[change])
    Response.objects.filter(pk__in=rng.sample(ids, 80)).update(excluded=True)
    Response.objects.filter(pk__in=rng.sample(ids, 50)).update(score=7, channel="ios")
    Response.objects.filter(pk__in=rng.sample(ids, 40)).delete()
    for person in rng.sample(people, 3):
        person_erase(person=person, by="test")
        people.remove(person)
    add(100)
    _check(project, surveys)

    # A new timezone recounts the project's days.
    project.timezone = "Asia/Kolkata"
    project.save(update_fields=["timezone"])
    _check(project, surveys)


@pytest.mark.django_db(transaction=True)
def test_rollups_rebuild_command_recounts_and_reports(world):
    project = world.alpha
    survey = project.surveys.get()
    Response.objects.create(
        project=project, survey=survey, score=9, created_at=NOW, updated_at=NOW,
        properties={"plan": "pro"},
    )  # fmt: skip
    before = _table_state()
    DailyScore.objects.all().delete()  # drifted (it never does, but a rebuild must mend it)
    out = io.StringIO()
    call_command("rollups", "--rebuild", stdout=out, stderr=io.StringIO())
    assert "1 responses" in out.getvalue()
    assert _table_state() == before


def test_splitting_a_period_into_whole_local_days():
    tz = rollups.project_tz("Europe/Paris")
    since = datetime.datetime(2026, 3, 20, 10, 0, tzinfo=datetime.UTC)
    until = datetime.datetime(2026, 4, 2, 22, 30, tzinfo=datetime.UTC)
    cut = rollups.split(since, until, tz)
    assert cut is not None
    assert (cut.first, cut.end) == (datetime.date(2026, 3, 21), datetime.date(2026, 4, 3))
    assert cut.head == (since, datetime.datetime(2026, 3, 20, 23, 0, tzinfo=datetime.UTC))
    # 2 April 22:30 UTC is already 3 April 00:30 in Paris (summer time).
    assert cut.tail == (datetime.datetime(2026, 4, 2, 22, 0, tzinfo=datetime.UTC), until)
    assert rollups.split(since, since + datetime.timedelta(hours=20), tz) is None
    # Beirut's spring midnight does not exist (00:00 -> 01:00): the day starts at the jump.
    beirut = rollups.project_tz("Asia/Beirut")
    start = rollups.midnight(datetime.date(2026, 3, 29), beirut)
    assert start == datetime.datetime(2026, 3, 28, 22, 0, tzinfo=datetime.UTC)
    assert (start - datetime.timedelta(microseconds=1)).astimezone(beirut).day == 28


def test_whole_days_cut_into_whole_weeks_and_the_days_around_them():
    def cut(first, end):
        return rollups.Split(first=first, end=end, head=None, tail=None)

    day = datetime.date
    # Tuesday 8 September to Sunday 6 December: 11 whole weeks, 6 days each side.
    whole = rollups.weeks(cut(day(2026, 9, 8), day(2026, 12, 6)))
    assert whole == rollups.Weeks(
        first_week=day(2026, 9, 14),
        end_week=day(2026, 11, 30),
        days=((day(2026, 9, 8), day(2026, 9, 14)), (day(2026, 11, 30), day(2026, 12, 6))),
    )
    assert whole.week_filter() == {"week__gte": day(2026, 9, 14), "week__lt": day(2026, 11, 30)}
    # From a Monday to a Monday: weeks only.
    assert rollups.weeks(cut(day(2026, 9, 7), day(2026, 12, 7))).days == ()
    # Six days, or Tuesday to the next Tuesday: no whole week.
    assert rollups.weeks(cut(day(2026, 9, 8), day(2026, 9, 14))) is None
    assert rollups.weeks(cut(day(2026, 9, 8), day(2026, 9, 15))) is None
    # Open ends: every week before (after) the days at the closed end.
    assert rollups.weeks(cut(None, day(2026, 9, 16))) == rollups.Weeks(
        first_week=None, end_week=day(2026, 9, 14), days=((day(2026, 9, 14), day(2026, 9, 16)),)
    )
    assert rollups.weeks(cut(day(2026, 9, 16), None)) == rollups.Weeks(
        first_week=day(2026, 9, 21), end_week=None, days=((day(2026, 9, 16), day(2026, 9, 21)),)
    )
    assert rollups.weeks(cut(None, None)) == rollups.Weeks(None, None, ())
