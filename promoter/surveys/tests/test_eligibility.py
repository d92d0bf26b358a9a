"""The eligibility case table: every rule, its boundary days, sampling stability, fatigue."""

from __future__ import annotations

import datetime

import pytest

from promoter.surveys.eligibility import Condition, Person, Rules, evaluate, matches
from promoter.surveys.pages import PageRule, Pages

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)


def person(**kwargs) -> Person:
    return Person(key=kwargs.pop("key", "usr_1"), **kwargs)


# (case id, rules, person, evaluate kwargs, expected reason or None)
CASES = [
    ("defaults: eligible", Rules(), person(), {}, None),
    ("switched off", Rules(enabled=False), person(), {}, "disabled"),
    ("channel not enabled", Rules(channels=("web",)), person(), {"channel": "ios"}, "disabled"),
    ("channel enabled", Rules(channels=("web", "ios")), person(), {"channel": "ios"}, None),
    (
        "targeting miss",
        Rules(targeting=(Condition("plan", "eq", "pro"),)),
        person(properties={"plan": "free"}),
        {},
        "targeting",
    ),
    (
        "page miss",
        Rules(pages=Pages(include=(PageRule("equals", "/billing"),))),
        person(),
        {"url": "https://app.example.com/billing/x"},
        "page",
    ),
    (
        "page hit",
        Rules(pages=Pages(include=(PageRule("equals", "/billing"),))),
        person(),
        {"url": "https://app.example.com/billing/"},
        None,
    ),
    (
        "targeting hit",
        Rules(targeting=(Condition("plan", "eq", "pro"),)),
        person(properties={"plan": "Pro "}),
        {},
        None,
    ),
    (
        "sign-up 1 s short of 7 days",
        Rules(first_survey_after_days=7),
        person(signed_up_at=NOW - 7 * DAY + SECOND),
        {},
        "not_yet",
    ),
    (
        "sign-up exactly 7 days ago",
        Rules(first_survey_after_days=7),
        person(signed_up_at=NOW - 7 * DAY),
        {},
        None,
    ),
    ("sign-up unknown but required", Rules(first_survey_after_days=7), person(), {}, "not_yet"),
    (
        "0 days: survey at once",
        Rules(first_survey_after_days=0),
        person(signed_up_at=NOW),
        {},
        None,
    ),
    (
        "responded 1 s short of 90 days",
        Rules(resurvey_after_days=90),
        person(last_response_at=NOW - 90 * DAY + SECOND),
        {},
        "throttled_response",
    ),
    (
        "responded exactly 90 days ago",
        Rules(resurvey_after_days=90),
        person(last_response_at=NOW - 90 * DAY),
        {},
        None,
    ),
    (
        "declined 1 s short of 30 days",
        Rules(after_decline_days=30),
        person(last_decline_at=NOW - 30 * DAY + SECOND),
        {},
        "throttled_decline",
    ),
    (
        "declined exactly 30 days ago",
        Rules(after_decline_days=30),
        person(last_decline_at=NOW - 30 * DAY),
        {},
        None,
    ),
    (
        "another kind surveyed 1 s short of the fatigue guard",
        Rules(),
        person(last_surveyed_at=NOW - 30 * DAY + SECOND),
        {"fatigue_days": 30},
        "fatigue",
    ),
    (
        "another kind surveyed exactly at the fatigue guard",
        Rules(),
        person(last_surveyed_at=NOW - 30 * DAY),
        {"fatigue_days": 30},
        None,
    ),
    (
        "fatigue guard off",
        Rules(),
        person(last_surveyed_at=NOW - SECOND),
        {"fatigue_days": 0},
        None,
    ),
    ("0% sample", Rules(sampling_percent=0), person(), {}, "sampled_out"),
    (
        "anonymous visitors have their own sample",
        Rules(sampling_percent=100, anonymous_sampling_percent=0),
        person(identified=False),
        {},
        "sampled_out",
    ),
    ("cap reached", Rules(daily_cap=50), person(), {"responses_today": 50}, "daily_cap"),
    ("cap not reached", Rules(daily_cap=50), person(), {"responses_today": 49}, None),
    (
        "first failing rule names the reason",
        Rules(enabled=False, resurvey_after_days=90),
        person(last_response_at=NOW),
        {},
        "disabled",
    ),
    (
        "response throttle comes before decline throttle",
        Rules(),
        person(last_response_at=NOW - DAY, last_decline_at=NOW - DAY),
        {},
        "throttled_response",
    ),
]


@pytest.mark.parametrize(
    ("rules", "who", "kwargs", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_case_table(rules, who, kwargs, reason):
    verdict = evaluate(rules=rules, person=who, now=NOW, **kwargs)
    assert verdict.reason == reason
    assert verdict.eligible is (reason is None)
    assert [c.rule for c in verdict.checks] == [
        "disabled",
        "targeting",
        "page",
        "not_yet",
        "throttled_response",
        "throttled_decline",
        "fatigue",
        "sampled_out",
        "daily_cap",
    ]


def test_next_eligible_at_is_when_the_last_time_bound_rule_passes():
    verdict = evaluate(
        rules=Rules(resurvey_after_days=90, after_decline_days=30),
        person=person(last_response_at=NOW - 80 * DAY, last_decline_at=NOW - 5 * DAY),
        now=NOW,
    )
    assert verdict.next_eligible_at == NOW + 25 * DAY
    blocked = evaluate(
        rules=Rules(targeting=(Condition("plan", "eq", "pro"),)),
        person=person(last_response_at=NOW),
        now=NOW,
    )
    assert blocked.next_eligible_at is None


def test_cap_passes_again_next_day():
    verdict = evaluate(rules=Rules(daily_cap=1), person=person(), now=NOW, responses_today=1)
    assert verdict.next_eligible_at == datetime.datetime(2026, 6, 16, tzinfo=datetime.UTC)


def test_sampling_is_stable_within_a_period_and_close_to_the_percentage():
    rules = Rules(sampling_percent=25, resurvey_after_days=90, sampling_salt="survey-1")
    period_start = datetime.datetime.fromtimestamp(
        (int(NOW.timestamp()) // (90 * 86400)) * 90 * 86400, tz=datetime.UTC
    )
    inside = [period_start + k * 7 * DAY for k in range(12)]  # reloads over 12 weeks
    picked = 0
    for i in range(4000):
        who = person(key=f"usr_{i}")
        results = {evaluate(rules=rules, person=who, now=t).eligible for t in inside}
        assert len(results) == 1, "a reload must not re-roll the sample"
        picked += results.pop()
    assert 0.22 < picked / 4000 < 0.28


def test_sampling_differs_between_surveys_and_periods():
    a = Rules(sampling_percent=50, sampling_salt="a")
    b = Rules(sampling_percent=50, sampling_salt="b")
    keys = [f"usr_{i}" for i in range(400)]
    in_a = [evaluate(rules=a, person=person(key=k), now=NOW).eligible for k in keys]
    in_b = [evaluate(rules=b, person=person(key=k), now=NOW).eligible for k in keys]
    later = [evaluate(rules=a, person=person(key=k), now=NOW + 91 * DAY).eligible for k in keys]
    assert in_a != in_b
    assert in_a != later


PROPS = {
    "plan": "pro",
    "mrr_amount": 250,
    "seats": "12",
    "beta": True,
    "tags": ["admin", "billing"],
    "renews_at": "2026-09-01T00:00:00Z",
    "company": "Acme Corp",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("plan", "eq", "PRO"), True),
        (Condition("plan", "ne", "free"), True),
        (Condition("plan", "ne", "pro"), False),
        (Condition("absent", "ne", "x"), True),
        (Condition("plan", "in", ["starter", "pro"]), True),
        (Condition("plan", "not_in", ["starter", "pro"]), False),
        (Condition("absent", "in", ["x"]), False),
        (Condition("company", "contains", "acme"), True),
        (Condition("tags", "contains", "billing"), True),
        (Condition("tags", "contains", "bill"), False),
        (Condition("mrr_amount", "gt", 250), False),
        (Condition("mrr_amount", "gte", 250), True),
        (Condition("mrr_amount", "lt", "300"), True),
        (Condition("seats", "lte", 12), True),
        (Condition("plan", "gt", 3), False),
        (Condition("renews_at", "gt", "2026-08-31"), True),
        (Condition("renews_at", "lt", "2026-08-31T23:00:00+00:00"), False),
        (Condition("beta", "eq", True), True),
        (Condition("beta", "exists"), True),
        (Condition("absent", "exists"), False),
        (Condition("absent", "missing"), True),
        (Condition("absent", "gt", 1), False),
    ],
    ids=lambda v: v.describe() if isinstance(v, Condition) else str(v),
)
def test_operators(condition, expected):
    assert matches(condition, PROPS) is expected


def test_condition_from_dict_validates():
    assert Condition.from_dict({"property": "plan", "op": "in", "value": ["a"]}).op == "in"
    with pytest.raises(ValueError, match="unknown operator"):
        Condition.from_dict({"property": "plan", "op": "like"})
    with pytest.raises(ValueError, match="property name"):
        Condition.from_dict({"op": "eq"})
