from __future__ import annotations

import datetime
import random
import re
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from promoter.accounts.models import Project
from promoter.demo.seed import SeedResult, seed_project
from promoter.demo.seed_comments import (
    BANK,
    EVENT_COMPLAINTS,
    EVENT_THEMES,
    FOREIGN,
    THEMES,
    comment_compose,
    themes_in,
)
from promoter.people.models import EndUser
from promoter.responses.models import Decline, Display, Response
from promoter.surveys.models import SCALES, Survey
from promoter.surveys.scales import category_for

UNTIL = datetime.datetime(2026, 3, 15, 18, 30, tzinfo=datetime.UTC)
COMPLAINT_WORDS = re.compile(
    r"\b(slow|bug|crash|broken|error|expensive|pric|cost|confus|missing|lack|outage|down\b|"
    r"frustrat|disappoint|worse|never|can't|not\b|no\b)",
    re.IGNORECASE,
)


def _nps(scores: list[int]) -> float:
    categories = Counter(str(category_for("nps", s)) for s in scores)
    return 100 * (categories["promoter"] - categories["detractor"]) / len(scores)


def _responses(project: Project) -> list[dict[str, Any]]:
    return list(
        Response.objects.filter(project=project)
        .order_by("created_at", "pk")
        .values(
            "survey__kind",
            "score",
            "comment",
            "created_at",
            "updated_at",
            "channel",
            "locale",
            "origin_url",
            "properties",
            "status",
            "public_id",
            "end_user__external_id",
            "survey_id",
            "end_user_id",
        )
    )


def _people(project: Project) -> list[dict[str, Any]]:
    return list(
        EndUser.objects.filter(project=project)
        .order_by("external_id")
        .values(
            "external_id",
            "email",
            "properties",
            "locale",
            "signed_up_at",
            "first_seen_at",
            "last_seen_at",
            "public_id",
        )
    )


def _comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ignored = {"public_id", "survey_id", "end_user_id"}
    return [{k: v for k, v in row.items() if k not in ignored} for row in rows]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Seed 3,000 responses once for the realism checks, which read this plain snapshot."""
    with django_db_blocker.unblock():
        project = Project.objects.create(name="Realism", slug="seed-realism")
        result = seed_project(project=project, responses=3000, seed=42, until=UNTIL)
        snapshot = {
            "result": result,
            "responses": _responses(project),
            "people": _people(project),
            "displays": list(
                Display.objects.filter(project=project).values_list(
                    "survey_id", "end_user_id", "created_at"
                )
            ),
            "declines": list(
                Decline.objects.filter(project=project).values_list(
                    "survey_id", "end_user_id", "created_at"
                )
            ),
        }
        yield snapshot
        project.delete()


@pytest.mark.django_db
def test_same_seed_gives_same_data_in_any_project() -> None:
    first = Project.objects.create(name="One", slug="one", timezone="Europe/Paris")
    second = Project.objects.create(name="Two", slug="two", timezone="Europe/Paris")
    other = Project.objects.create(name="Other", slug="other", timezone="Europe/Paris")

    seed_project(project=first, responses=300, seed=7, until=UNTIL)
    seed_project(project=second, responses=300, seed=7, until=UNTIL)
    seed_project(project=other, responses=300, seed=8, until=UNTIL)

    one, two = _responses(first), _responses(second)
    assert len(one) == 300
    assert _comparable(one) == _comparable(two)
    assert _comparable(_people(first)) == _comparable(_people(second))
    # Public ids are unique across the database, so they must differ between projects.
    assert {r["public_id"] for r in one}.isdisjoint(r["public_id"] for r in two)
    assert {p["public_id"] for p in _people(first)}.isdisjoint(
        p["public_id"] for p in _people(second)
    )
    different = _responses(other)
    assert [r["score"] for r in different] != [r["score"] for r in one]
    assert [r["comment"] for r in different] != [r["comment"] for r in one]
    assert _comparable(_people(other)) != _comparable(_people(first))


@pytest.mark.django_db
def test_seeding_again_adds_people_and_responses() -> None:
    project = Project.objects.create(name="Twice", slug="twice")

    first = seed_project(project=project, responses=100, seed=1, until=UNTIL)
    second = seed_project(project=project, responses=100, seed=1, until=UNTIL)

    assert first == SeedResult(
        surveys=3,
        end_users=50,
        responses=100,
        displays=first.displays,
        declines=first.declines,
        comments=first.comments,
        answers=first.answers,
    )
    assert first.answers > 0  # the NPS survey's additional questions
    assert second.surveys == 0
    assert Survey.objects.filter(project=project).count() == 3
    assert Response.objects.filter(project=project).count() == 200
    ids = list(EndUser.objects.filter(project=project).values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == 100
    emails = list(EndUser.objects.filter(project=project).values_list("email", flat=True))
    assert len(set(emails)) == 100
    assert "usr_000099" in ids


@pytest.mark.django_db
def test_progress_reports_every_response_written() -> None:
    project = Project.objects.create(name="Progress", slug="progress")
    steps: list[int] = []

    result = seed_project(project=project, responses=2500, until=UNTIL, progress=steps.append)

    assert steps == [2000, 500]
    assert result.responses == sum(steps) == 2500


@pytest.mark.django_db
def test_rejects_invalid_arguments() -> None:
    project = Project.objects.create(name="Bad", slug="bad")
    with pytest.raises(ValueError, match="at least 1"):
        seed_project(project=project, responses=0)
    with pytest.raises(ValueError, match="aware"):
        seed_project(project=project, responses=10, until=datetime.datetime(2026, 1, 1))
    assert not Response.objects.filter(project=project).exists()


def test_counts_match_the_rows(world: dict[str, Any]) -> None:
    result = world["result"]
    assert result.responses == len(world["responses"]) == 3000
    assert result.end_users == len(world["people"]) == 1200
    assert result.displays == len(world["displays"])
    assert result.declines == len(world["declines"])
    assert result.comments == sum(1 for r in world["responses"] if r["comment"])
    assert result.surveys == 3


def test_survey_mix_is_mostly_nps(world: dict[str, Any]) -> None:
    kinds = Counter(r["survey__kind"] for r in world["responses"])
    assert 0.65 < kinds["nps"] / 3000 < 0.75
    assert 0.11 < kinds["csat"] / 3000 < 0.19
    assert 0.11 < kinds["ces"] / 3000 < 0.19


def test_scores_are_on_each_surveys_scale(world: dict[str, Any]) -> None:
    for row in world["responses"]:
        low, high = SCALES[row["survey__kind"]]
        assert low <= row["score"] <= high


def test_scores_are_realistic(world: dict[str, Any]) -> None:
    by_kind: dict[str, list[int]] = {"nps": [], "csat": [], "ces": []}
    for row in world["responses"]:
        by_kind[row["survey__kind"]].append(row["score"])

    assert 20 <= _nps(by_kind["nps"]) <= 40
    csat = sum(1 for s in by_kind["csat"] if s >= 4) / len(by_kind["csat"])
    assert 0.72 <= csat <= 0.88
    assert 4.6 <= sum(by_kind["ces"]) / len(by_kind["ces"]) <= 5.6
    # Every NPS score occurs, detractors included.
    assert set(by_kind["nps"]) == set(range(11))


def test_variant_b_scores_higher_than_a(world: dict[str, Any]) -> None:
    groups: dict[str, list[int]] = {"A": [], "B": []}
    for row in world["responses"]:
        if row["survey__kind"] == "nps":
            groups[row["properties"]["variant"]].append(row["score"])

    assert _nps(groups["B"]) - _nps(groups["A"]) > 3


def test_paid_plans_are_happier_than_free(world: dict[str, Any]) -> None:
    groups: dict[str, list[int]] = {}
    for row in world["responses"]:
        if row["survey__kind"] == "nps":
            groups.setdefault(row["properties"]["plan"], []).append(row["score"])

    assert set(groups) == {"free", "starter", "pro", "enterprise"}
    assert _nps(groups["enterprise"]) > _nps(groups["free"]) + 5
    assert _nps(groups["pro"]) > _nps(groups["free"]) + 5


def test_some_big_account_is_clearly_unhappy(world: dict[str, Any]) -> None:
    groups: dict[str, list[int]] = {}
    for row in world["responses"]:
        if row["survey__kind"] == "nps":
            groups.setdefault(row["properties"]["account"], []).append(row["score"])

    big = {name: _nps(scores) for name, scores in groups.items() if len(scores) >= 30}
    assert len(big) >= 5
    assert min(big.values()) < 0


def test_detractors_complain_more_than_promoters(world: dict[str, Any]) -> None:
    def complaining(category: str) -> float:
        comments = [
            r["comment"]
            for r in world["responses"]
            if r["comment"] and category_for(r["survey__kind"], r["score"]) == category
            if r["locale"] == "en"
        ]
        return sum(1 for c in comments if COMPLAINT_WORDS.search(c)) / len(comments)

    assert complaining("detractor") > complaining("promoter") + 0.3


def test_a_third_of_responses_have_no_comment(world: dict[str, Any]) -> None:
    empty = sum(1 for r in world["responses"] if not r["comment"]) / 3000
    assert 0.25 <= empty <= 0.5


def test_comments_are_varied_and_partly_foreign(world: dict[str, Any]) -> None:
    comments = [r["comment"] for r in world["responses"] if r["comment"]]
    assert len(set(comments)) > 0.7 * len(comments)
    assert any(len(c) < 20 for c in comments)
    assert any(len(c) > 200 for c in comments)
    foreign = [r["comment"] for r in world["responses"] if r["locale"] == "fr" and r["comment"]]
    assert any(re.search(r"[éèàç]", c) for c in foreign)


def test_response_rate_and_declines_are_realistic(world: dict[str, Any]) -> None:
    displays, declines = len(world["displays"]), len(world["declines"])
    assert 0.25 <= 3000 / displays <= 0.5
    assert 0.15 <= declines / displays <= 0.25


def test_every_response_and_decline_follows_a_display(world: dict[str, Any]) -> None:
    shown: dict[tuple[int, int], list[datetime.datetime]] = {}
    for survey_id, user_id, created_at in world["displays"]:
        shown.setdefault((survey_id, user_id), []).append(created_at)

    def follows_display(survey_id: int, user_id: int, at: datetime.datetime) -> bool:
        return any(
            datetime.timedelta(0) < at - t < datetime.timedelta(minutes=2)
            for t in shown.get((survey_id, user_id), [])
        )

    for row in world["responses"]:
        assert follows_display(row["survey_id"], row["end_user_id"], row["created_at"])
    for survey_id, user_id, created_at in world["declines"]:
        assert follows_display(survey_id, user_id, created_at)


def test_everything_happens_in_the_year_before_until(world: dict[str, Any]) -> None:
    start = UNTIL - datetime.timedelta(days=365)
    instants = [r["created_at"] for r in world["responses"]]
    instants += [r["updated_at"] for r in world["responses"]]
    instants += [row[2] for row in world["displays"] + world["declines"]]
    assert all(start <= t <= UNTIL for t in instants)
    for row in world["responses"]:
        assert row["updated_at"] >= row["created_at"]
        assert (row["updated_at"] > row["created_at"]) == bool(row["comment"])
    months = Counter((r["created_at"].year, r["created_at"].month) for r in world["responses"])
    assert len(months) == 13


def test_weekdays_are_busier_than_weekends(world: dict[str, Any]) -> None:
    days = Counter(r["created_at"].date() for r in world["responses"])
    weekday = [n for day, n in days.items() if day.weekday() < 5]
    weekend = [n for day, n in days.items() if day.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 1.5 * sum(weekend) / len(weekend)


def test_people_look_like_customers(world: dict[str, Any]) -> None:
    first_answer: dict[str, datetime.datetime] = {}
    for row in world["responses"]:
        first_answer.setdefault(row["end_user__external_id"], row["created_at"])
    accounts = Counter(p["properties"]["account"] for p in world["people"])

    for person in world["people"]:
        props = person["properties"]
        assert re.fullmatch(r"usr_\d{6}", person["external_id"])
        assert person["email"].endswith(".example")
        assert set(props) == {
            "plan", "mrr_amount", "account", "role", "country", "device", "variant",
        }  # fmt: skip
        assert (props["mrr_amount"] == 0) == (props["plan"] == "free")
        assert re.fullmatch(r"[A-Z]{2}", props["country"])
        assert person["signed_up_at"] <= person["first_seen_at"] <= person["last_seen_at"]
        if person["external_id"] in first_answer:
            assert person["signed_up_at"] < first_answer[person["external_id"]]
    assert Counter(p["locale"] for p in world["people"]).most_common(1)[0][0] == "en"
    assert {p["locale"] for p in world["people"]} >= {"en", "fr", "de"}
    # Power-law account sizes: a few big accounts, a long tail of small ones.
    sizes = sorted(accounts.values(), reverse=True)
    assert sizes[0] > 5 * sizes[len(sizes) // 2]


def test_properties_are_a_snapshot_of_the_person(world: dict[str, Any]) -> None:
    people = {p["external_id"]: p["properties"] for p in world["people"]}
    for row in world["responses"]:
        current = people[row["end_user__external_id"]]
        stable = {k: v for k, v in current.items() if k not in ("plan", "mrr_amount")}
        assert row["properties"] | stable == row["properties"]


def test_every_themed_sentence_names_its_theme() -> None:
    sentences = [(theme, s) for theme, tones in BANK.items() for ss in tones.values() for s in ss]
    sentences += [(EVENT_THEMES[e], s) for e, ss in EVENT_COMPLAINTS.items() for s in ss]
    sentences += [
        (theme, s)
        for bank in FOREIGN.values()
        for theme, tones in bank.items()
        for ss in tones.values()
        for s in ss
    ]
    assert set(BANK) == set(THEMES)
    assert len(sentences) > 500
    assert [(t, s) for t, s in sentences if t not in themes_in(s)] == []


def test_comment_bank_yields_thousands_of_distinct_comments() -> None:
    rng = random.Random(0)
    comments = {
        comment_compose(
            rng=rng,
            tone=rng.choice(("praise", "mixed", "complaint", "suggestion")),
            themes=rng.sample(THEMES, 2),
        )
        for _ in range(5000)
    }
    assert len(comments) > 3000


@pytest.mark.django_db
def test_command_seeds_an_existing_project() -> None:
    project = Project.objects.create(name="Acme", slug="acme")
    out = StringIO()

    call_command(
        "seed", "--responses", "120", "--project", "acme", "--until", "2026-03-15", stdout=out
    )

    assert "Seeded acme" in out.getvalue()
    assert "120 responses" in out.getvalue()
    assert Response.objects.filter(project=project).count() == 120
    assert Survey.objects.filter(project=project).count() == 3
    latest = Response.objects.filter(project=project).latest("created_at").created_at
    assert latest < datetime.datetime(2026, 3, 16, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_command_refuses_an_unknown_project() -> None:
    with pytest.raises(CommandError, match="no project with slug 'nope'"):
        call_command("seed", "--responses", "10", "--project", "nope")


@pytest.mark.django_db
def test_command_refuses_bad_numbers_and_dates() -> None:
    Project.objects.create(name="Acme", slug="acme")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed", "--responses", "0", "--project", "acme")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed", "--responses", "5", "--project", "acme", "--until", "15/03/2026")
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_reuses_a_survey_of_the_same_kind_and_name() -> None:
    project = Project.objects.create(name="Existing", slug="existing")
    nps = Survey.objects.create(project=project, kind="nps", name="Net Promoter Score")

    result = seed_project(project=project, responses=200, until=UNTIL)

    assert result.surveys == 2
    assert Survey.objects.filter(project=project).count() == 3
    assert Response.objects.filter(survey=nps).count() > 100
