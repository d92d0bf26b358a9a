"""Auto-tag rules: matching, new responses, and the back-fill over history with its progress."""

from __future__ import annotations

import datetime
import io
import re
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from promoter.core.errors import ApplicationError
from promoter.demo.seed import seed_project
from promoter.responses.autotag import comment_matches, phrases_clean, rule_matches
from promoter.responses.models import AutoTagRule, Response, ResponseTag, TagSource
from promoter.responses.services import (
    autotag_rule_create,
    autotag_rule_set_active,
    response_autotag,
    response_comment_set,
    response_create,
    rule_backfill,
    rule_backfill_request,
    tag_get_or_create,
)

# Matching (no database) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrases", "comment", "expected"),
    [
        (["price"], "The price is too high", True),
        (["price"], "PRICE!", True),
        (["price"], "Priceless support", False),  # not a whole word
        (["price"], "the prices went up", False),
        (["price*"], "the prices went up", True),  # a trailing * makes a prefix
        (["too expensive"], "Way too   expensive for us", True),  # any whitespace inside
        (["too expensive"], "too, expensive", False),
        (["Preis"], "Der Preis ist zu hoch", True),
        (["preis"], "Die Preisliste fehlt", False),
        (["preis*"], "Die Preisliste fehlt", True),
        (["précis"], "Rapport PRÉCIS et clair", True),
        (["précis"], "Rapport imprécis", False),
        (["precis"], "Rapport précis", False),  # accents stay significant
        (["précis"], "Rapport pre\u0301cis", True),  # a decomposed é is the same letter
        (["strasse"], "Lieferung in die Straße", True),  # case folding: ß is ss
        (["Ärger"], "viel ärger mit dem Export", True),
        (["価格"], "価格が高すぎる", True),  # no spaces between Japanese words
        (["价格"], "价格太贵了", True),
        (["цена"], "Цена слишком высокая", True),
        (["c++"], "Needs a C++ SDK", True),  # punctuation at the edge needs no boundary
        (["slack", "teams"], "Works with MS Teams", True),
        ([], "anything", False),
    ],
)
def test_phrases_match_whole_words_in_any_case_and_script(phrases, comment, expected):
    assert comment_matches(phrases, comment) is expected


def test_phrases_are_cleaned_and_deduplicated():
    assert phrases_clean([" Price ", "price", "", "  too   expensive", "pric *", "*"]) == [
        "Price",
        "too expensive",
        "pric*",
    ]


@pytest.mark.parametrize(
    ("score_min", "score_max", "phrases", "score", "comment", "expected"),
    [
        (0, 6, [], 6, "", True),
        (0, 6, [], 7, "", False),
        (9, None, [], 10, "", True),
        (None, 3, ["slow"], 2, "so slow", True),
        (None, 3, ["slow"], 4, "so slow", False),  # every set condition must hold
        (None, 3, ["slow"], 2, "fast", False),
        (None, None, [], 5, "anything", False),  # no condition: matches nothing
    ],
)
def test_score_ranges_and_phrases_must_all_hold(
    score_min, score_max, phrases, score, comment, expected
):
    assert (
        rule_matches(
            phrases=phrases, score_min=score_min, score_max=score_max, score=score, comment=comment
        )
        is expected
    )


# Rules on new responses -----------------------------------------------------------------------


def nps(project):
    return project.surveys.get(kind="nps")


def answer(project, score, comment="", survey=None):
    response, _ = response_create(
        public_id=uuid.uuid4(),
        survey=survey or nps(project),
        end_user=None,
        score=score,
        comment=comment,
        now=timezone.now(),
    )
    return response


def tags_of(response):
    return sorted(ResponseTag.objects.filter(response=response).values_list("tag__name", flat=True))


def test_a_new_response_gets_the_tags_of_the_rules_it_matches(world):
    pricing = tag_get_or_create(project=world.alpha, name="Pricing")
    detractor = tag_get_or_create(project=world.alpha, name="Unhappy")
    autotag_rule_create(project=world.alpha, tag=pricing, phrases=["price", "Preis"])
    autotag_rule_create(project=world.alpha, tag=detractor, score_max=6)
    response = answer(world.alpha, 3, "Der Preis ist zu hoch")
    assert sorted(response_autotag(response=response)) == sorted([pricing.pk, detractor.pk])
    assert tags_of(response) == ["Pricing", "Unhappy"]
    assert set(ResponseTag.objects.values_list("source", flat=True)) == {TagSource.RULE}
    happy = answer(world.alpha, 10, "love it")
    assert response_autotag(response=happy) == []
    assert tags_of(happy) == []


def test_a_comment_arriving_later_is_matched_then(world):
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    autotag_rule_create(project=world.alpha, tag=tag, phrases=["price"])
    response = answer(world.alpha, 4)
    assert response_autotag(response=response) == []
    response_comment_set(response=response, comment="The price doubled", now=timezone.now())
    assert response_autotag(response=response) == [tag.pk]
    assert response_autotag(response=response) == []  # again: nothing new, still one link
    assert ResponseTag.objects.filter(response=response).count() == 1


def test_paused_rules_other_surveys_and_other_projects_do_not_apply(world):
    tag = tag_get_or_create(project=world.alpha, name="Pricing")
    rule = autotag_rule_create(project=world.alpha, tag=tag, phrases=["price"])
    csat = world.alpha.surveys.create(kind="csat", name="CSAT")
    autotag_rule_create(
        project=world.alpha,
        tag=tag_get_or_create(project=world.alpha, name="CSAT only"),
        score_min=1,
        survey=csat,
    )
    beta_tag = tag_get_or_create(project=world.beta, name="Beta pricing")
    autotag_rule_create(project=world.beta, tag=beta_tag, phrases=["price"])
    autotag_rule_set_active(rule=rule, is_active=False)
    response = answer(world.alpha, 3, "price")
    assert response_autotag(response=response) == []
    autotag_rule_set_active(rule=rule, is_active=True)
    assert response_autotag(response=response) == [tag.pk]


def test_the_rules_are_read_in_one_query_and_written_in_one(world, django_assert_num_queries):
    for i in range(5):
        autotag_rule_create(
            project=world.alpha,
            tag=tag_get_or_create(project=world.alpha, name=f"T{i}"),
            phrases=[f"word{i}"],
        )
    response = answer(world.alpha, 5, "word1 and word3")
    with django_assert_num_queries(2):
        assert len(response_autotag(response=response, new=True)) == 2
    later = answer(world.alpha, 5, "word2")
    with django_assert_num_queries(3):  # and which of the matched tags it already carries
        assert len(response_autotag(response=later)) == 1
    quiet = answer(world.alpha, 5, "nothing")
    with django_assert_num_queries(1):
        response_autotag(response=quiet)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "phrases"),
        ({"phrases": [" ", ""]}, "phrases"),
        ({"score_min": 7, "score_max": 3}, "score_min"),
        ({"score_min": -1}, "score_min"),
        ({"score_max": 11}, "score_max"),
        ({"phrases": ["x" * 101]}, "phrases"),
    ],
)
def test_invalid_rules_are_refused(world, kwargs, field):
    tag = tag_get_or_create(project=world.alpha, name="T")
    with pytest.raises(ApplicationError) as caught:
        autotag_rule_create(project=world.alpha, tag=tag, **kwargs)
    assert field in caught.value.fields
    assert not AutoTagRule.objects.exists()


def test_a_survey_rule_checks_the_range_against_its_scale(world):
    csat = world.alpha.surveys.create(kind="csat", name="CSAT")
    tag = tag_get_or_create(project=world.alpha, name="T")
    with pytest.raises(ApplicationError) as caught:
        autotag_rule_create(project=world.alpha, tag=tag, score_min=0, score_max=2, survey=csat)
    assert caught.value.fields == {"score_min": "between 1 and 5"}
    rule = autotag_rule_create(project=world.alpha, tag=tag, score_max=2, survey=csat)
    assert (rule.score_min, rule.score_max) == (None, 2)


def test_a_rule_cannot_use_another_projects_tag_or_survey(world):
    with pytest.raises(ApplicationError):
        autotag_rule_create(
            project=world.alpha,
            tag=tag_get_or_create(project=world.beta, name="T"),
            phrases=["x"],
        )
    with pytest.raises(ApplicationError):
        autotag_rule_create(
            project=world.alpha,
            tag=tag_get_or_create(project=world.alpha, name="T"),
            phrases=["x"],
            survey=nps(world.beta),
        )


# Back-fill over history -----------------------------------------------------------------------


@pytest.fixture
def history(world):
    seed_project(project=world.alpha, responses=400, seed=5, until=timezone.now())
    seed_project(project=world.beta, responses=60, seed=6, until=timezone.now())
    return world


def hand_filter(project, *, words, score_max=None, survey=None):
    """The responses a rule should tag, found independently of the matcher."""
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    expected = set()
    for pk, score, comment, survey_id in Response.objects.filter(project=project).values_list(
        "pk", "score", "comment", "survey_id"
    ):
        if score_max is not None and score > score_max:
            continue
        if survey is not None and survey_id != survey.pk:
            continue
        if pattern.search(comment):
            expected.add(pk)
    return expected


def test_backfill_tags_exactly_the_matching_history_and_records_progress(history):
    tag = tag_get_or_create(project=history.alpha, name="Support complaints")
    rule = autotag_rule_create(
        project=history.alpha, tag=tag, phrases=["support", "ticket"], score_max=6
    )
    expected = hand_filter(history.alpha, words=["support", "ticket"], score_max=6)
    assert 5 < len(expected) < 400
    seen: list[tuple[int, int]] = []

    matched = rule_backfill(rule=rule, batch_size=50, progress=lambda d, t: seen.append((d, t)))

    tagged = set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True))
    assert tagged == expected
    assert matched == len(expected)
    candidates = Response.objects.filter(project=history.alpha, score__lte=6).exclude(comment="")
    total = candidates.count()
    assert [t for _, t in seen] == [total] * len(seen)
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # strictly increasing
    assert seen[-1][0] == total and len(seen) == -(-total // 50)
    rule.refresh_from_db()
    assert (rule.backfill_total, rule.backfill_done, rule.backfill_matched) == (
        total,
        total,
        len(expected),
    )
    assert rule.backfill_finished_at is not None and not rule.backfill_running
    assert rule.backfill_percent == 100.0
    assert not ResponseTag.objects.filter(response__project=history.beta).exists()


def test_backfill_keeps_tags_already_there_and_can_run_twice(history):
    tag = tag_get_or_create(project=history.alpha, name="Pricing")
    rule = autotag_rule_create(project=history.alpha, tag=tag, phrases=["price", "pricing"])
    expected = hand_filter(history.alpha, words=["price", "pricing"])
    manual = Response.objects.filter(project=history.alpha).exclude(pk__in=expected).first()
    ResponseTag.objects.create(response=manual, tag=tag, source=TagSource.MANUAL)
    assert rule_backfill(rule=rule) == len(expected)
    assert rule_backfill(rule=rule) == len(expected)
    tagged = set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True))
    assert tagged == expected | {manual.pk}


def test_a_survey_rule_backfills_that_survey_only(history):
    csat = history.alpha.surveys.get(kind="csat")
    tag = tag_get_or_create(project=history.alpha, name="CSAT support")
    rule = autotag_rule_create(project=history.alpha, tag=tag, phrases=["support"], survey=csat)
    rule_backfill(rule=rule)
    tagged = set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True))
    assert tagged == hand_filter(history.alpha, words=["support"], survey=csat)


def test_a_newer_request_supersedes_a_running_backfill(history):
    tag = tag_get_or_create(project=history.alpha, name="Everyone")
    rule = autotag_rule_create(project=history.alpha, tag=tag, score_min=0)

    def interrupt(done: int, total: int) -> None:
        if done == 50:
            AutoTagRule.objects.filter(pk=rule.pk).update(backfill_requested_at=timezone.now())

    assert rule_backfill(rule=rule, batch_size=50, progress=interrupt) is None
    assert ResponseTag.objects.filter(tag=tag).count() <= 100


def test_the_backfill_request_enqueues_on_commit(history, django_capture_on_commit_callbacks):
    tag = tag_get_or_create(project=history.alpha, name="Detractors")
    rule = autotag_rule_create(project=history.alpha, tag=tag, score_max=6)
    with django_capture_on_commit_callbacks() as callbacks:
        rule_backfill_request(rule=rule)
        rule.refresh_from_db()
        assert rule.backfill_running and rule.backfill_total is None
        assert not ResponseTag.objects.exists()
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_backfill_task():
    from promoter.accounts.models import User
    from promoter.actions.projects import project_create

    owner = User.objects.create_user("owner@example.com", "x" * 12)
    project = project_create(owner=owner, name="Acme", slug="acme")
    seed_project(project=project, responses=120, seed=2, until=timezone.now())
    tag = tag_get_or_create(project=project, name="Detractors")
    rule = autotag_rule_create(project=project, tag=tag, score_max=6)
    rule_backfill_request(rule=rule)  # autocommit: enqueued at once
    call_command("worker", "--batch", "--interval", "0.1", stdout=io.StringIO())
    rule.refresh_from_db()
    expected = set(
        Response.objects.filter(project=project, score__lte=6).values_list("pk", flat=True)
    )
    assert (
        set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True)) == expected
    )
    assert rule.backfill_done == rule.backfill_total == len(expected)
    assert rule.backfill_finished_at is not None


def test_the_task_does_nothing_for_a_gone_or_superseded_request(history):
    from promoter.responses.tasks import rule_backfill_task

    tag = tag_get_or_create(project=history.alpha, name="Detractors")
    rule = autotag_rule_create(project=history.alpha, tag=tag, score_max=6)
    stale = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    assert rule_backfill_task.call(rule.pk, stale) is None
    assert rule_backfill_task.call(10**9, stale) is None
    assert not ResponseTag.objects.exists()
    rule_backfill_request(rule=rule)
    rule.refresh_from_db()
    assert rule_backfill_task.call(rule.pk, rule.backfill_requested_at.isoformat()) > 0


def test_the_autotag_command_backfills_in_the_foreground(history):
    tag = tag_get_or_create(project=history.alpha, name="Support")
    rule = autotag_rule_create(project=history.alpha, tag=tag, phrases=["support"])
    out = io.StringIO()
    call_command("autotag", project="alpha", rule=str(rule.public_id), verbosity=0, stdout=out)
    expected = hand_filter(history.alpha, words=["support"])
    assert f"{len(expected):,} responses match" in out.getvalue()
    assert (
        set(ResponseTag.objects.filter(tag=tag).values_list("response_id", flat=True)) == expected
    )
    with pytest.raises(CommandError, match="no rule"):
        call_command("autotag", project="beta", rule=str(rule.public_id))
    with pytest.raises(CommandError, match="no project"):
        call_command("autotag", project="nope", rule=str(rule.public_id))
    with pytest.raises(CommandError, match="rule id"):
        call_command("autotag", project="alpha", rule="12")
