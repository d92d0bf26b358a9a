"""Whether a person should be surveyed now, and why not: pure functions, no database.

The ingest API and the dashboard's explainer both call :func:`evaluate`. Each rule yields a
:class:`Check`; the first failing rule gives the machine-readable ``reason``, and every rule
says when it will next pass, so the explainer can show "eligible again on …".
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promoter.surveys.models import IN_APP_CHANNELS
from promoter.surveys.pages import Pages, page_check

DAY = datetime.timedelta(days=1)

# The reasons, in the order the rules run (the API documents these codes).
REASONS = (
    "disabled",
    "targeting",
    "page",
    "not_yet",
    "throttled_response",
    "throttled_decline",
    "fatigue",
    "sampled_out",
    "daily_cap",
    "offered",  # the ingest API's hold on a fresh offer (INGEST_OFFER_HOLD_SECONDS)
)

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "exists", "missing")


@dataclass(frozen=True)
class Condition:
    """A targeting condition on one property: ``plan eq "pro"``, ``mrr_amount gte 100``."""

    property: str
    op: str
    value: Any = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        op = str(data.get("op", "eq"))
        if op not in OPERATORS:
            raise ValueError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
        # The name is a JSON key as it is: any text, spaces and the empty name included.
        name = data.get("property")
        if name is None:
            raise ValueError("a condition needs a property name")
        return cls(property=str(name), op=op, value=data.get("value"))

    def describe(self) -> str:
        if self.op in ("exists", "missing"):
            return f"{self.property} {self.op}"
        return f"{self.property} {self.op} {self.value!r}"


@dataclass(frozen=True)
class Rules:
    """A survey's eligibility settings."""

    enabled: bool = True
    channels: Sequence[str] = ("web",)
    targeting: Sequence[Condition] = ()
    pages: Pages = field(default_factory=Pages)  # on which pages of the app (in-app channels only)
    first_survey_after_days: int = 0
    resurvey_after_days: int = 90
    after_decline_days: int = 30
    sampling_percent: int = 100
    anonymous_sampling_percent: int = 100
    daily_cap: int | None = None
    sampling_salt: str = ""


@dataclass(frozen=True)
class Person:
    """What is known of one person when deciding."""

    key: str  # stable identity (external id, e-mail or anonymous visitor id) for sampling
    identified: bool = True
    properties: Mapping[str, Any] = field(default_factory=dict)
    signed_up_at: datetime.datetime | None = None
    last_response_at: datetime.datetime | None = None  # to this survey
    last_decline_at: datetime.datetime | None = None  # of this survey
    last_surveyed_at: datetime.datetime | None = None  # any survey of the project, any channel


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    detail: str
    next_at: datetime.datetime | None = None  # when a failing, time-bound rule will pass


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reason: str | None
    checks: tuple[Check, ...]

    @property
    def next_eligible_at(self) -> datetime.datetime | None:
        """Return when every time-bound rule passes, or None if another rule blocks for good."""
        failing = [c for c in self.checks if not c.passed]
        if not failing or any(c.next_at is None for c in failing):
            return None
        return max(c.next_at for c in failing if c.next_at is not None)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _date(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _ordered(actual: Any, expected: Any) -> tuple[Any, Any] | None:
    """Return both sides as comparable numbers, else as dates, else None."""
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        return a, b
    da, db = _date(actual), _date(expected)
    if da is not None and db is not None:
        return da, db
    return None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.strip().casefold() == expected.strip().casefold()
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        return a == b
    return bool(actual == expected)


def matches(condition: Condition, properties: Mapping[str, Any]) -> bool:
    """Return whether ``properties`` satisfy ``condition`` (a missing property fails all but
    ``missing`` and ``ne``/``not_in``)."""
    present = condition.property in properties and properties[condition.property] is not None
    actual = properties.get(condition.property)
    op, expected = condition.op, condition.value
    if op == "exists":
        return present
    if op == "missing":
        return not present
    if op == "ne":
        return not present or not _same(actual, expected)
    if op in ("in", "not_in"):
        options = expected if isinstance(expected, list | tuple) else [expected]
        hit = present and any(_same(actual, option) for option in options)
        return hit if op == "in" else not hit
    if not present:
        return False
    if op == "eq":
        return _same(actual, expected)
    if op == "contains":
        if isinstance(actual, list | tuple):
            return any(_same(item, expected) for item in actual)
        return str(expected).casefold() in str(actual).casefold()
    pair = _ordered(actual, expected)
    if pair is None:
        return False
    a, b = pair
    return bool({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])


def sample_bucket(*, salt: str, person_key: str, period: int) -> float:
    """Return a number in [0, 100) that is stable for one person, survey and period."""
    digest = hashlib.sha256(f"{salt}:{person_key}:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def _since(
    rule: str, last: datetime.datetime | None, days: int, now: datetime.datetime, what: str
) -> Check:
    if last is None or days <= 0:
        return Check(rule, True, f"no {what} to wait after" if last is None else f"{what}: no wait")
    next_at = last + days * DAY
    if now >= next_at:
        return Check(rule, True, f"last {what} {_ago(now - last)} ago; waits {days} days")
    return Check(rule, False, f"last {what} {_ago(now - last)} ago; waits {days} days", next_at)


def _ago(delta: datetime.timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f} days" if days < 10 else f"{days:.0f} days"


def evaluate(
    *,
    rules: Rules,
    person: Person,
    now: datetime.datetime,
    channel: str = "web",
    fatigue_days: int = 0,
    responses_today: int = 0,
    url: str = "",
) -> Verdict:
    """Decide whether ``person`` should see the survey with ``rules`` now, rule by rule, on
    the page at ``url`` (for an in-app channel)."""
    checks: list[Check] = []

    if not rules.enabled:
        checks.append(Check("disabled", False, "the survey is switched off"))
    elif channel not in rules.channels:
        checks.append(Check("disabled", False, f"the survey is not enabled on {channel}"))
    else:
        checks.append(Check("disabled", True, f"the survey is on for {channel}"))

    failed = [c.describe() for c in rules.targeting if not matches(c, person.properties)]
    if failed:
        checks.append(Check("targeting", False, "does not match: " + "; ".join(failed)))
    else:
        checks.append(
            Check(
                "targeting",
                True,
                "matches every condition" if rules.targeting else "no targeting conditions",
            )
        )

    if channel in IN_APP_CHANNELS:
        checks.append(Check("page", *page_check(rules.pages, url)))
    else:
        checks.append(Check("page", True, f"pages of the app do not apply to {channel}"))

    if rules.first_survey_after_days > 0 and person.signed_up_at is None:
        checks.append(Check("not_yet", False, "sign-up date unknown: needed to wait after sign-up"))
    elif rules.first_survey_after_days > 0 and person.signed_up_at is not None:
        checks.append(
            _since("not_yet", person.signed_up_at, rules.first_survey_after_days, now, "sign-up")
        )
    else:
        checks.append(Check("not_yet", True, "surveys right after sign-up"))

    checks.append(
        _since(
            "throttled_response",
            person.last_response_at,
            rules.resurvey_after_days,
            now,
            "response",
        )
    )
    checks.append(
        _since(
            "throttled_decline", person.last_decline_at, rules.after_decline_days, now, "decline"
        )
    )
    checks.append(
        _since("fatigue", person.last_surveyed_at, fatigue_days, now, "survey of any kind")
    )

    percent = rules.sampling_percent if person.identified else rules.anonymous_sampling_percent
    period_days = max(rules.resurvey_after_days, 1)
    period = int(now.timestamp() // (period_days * 86400))
    bucket = sample_bucket(salt=rules.sampling_salt, person_key=person.key, period=period)
    if bucket < percent:
        checks.append(Check("sampled_out", True, f"in the {percent}% sample"))
    else:
        period_end = datetime.datetime.fromtimestamp(
            (period + 1) * period_days * 86400, tz=datetime.UTC
        )
        checks.append(
            Check(
                "sampled_out",
                False,
                f"outside the {percent}% sample of this {period_days}-day period",
                period_end,
            )
        )

    if rules.daily_cap is not None and responses_today >= rules.daily_cap:
        tomorrow = (now + DAY).replace(hour=0, minute=0, second=0, microsecond=0)
        checks.append(
            Check(
                "daily_cap",
                False,
                f"{responses_today} responses today reach the cap of {rules.daily_cap}",
                tomorrow,
            )
        )
    else:
        cap = "no daily cap" if rules.daily_cap is None else f"{responses_today}/{rules.daily_cap}"
        checks.append(Check("daily_cap", True, cap))

    reason = next((c.rule for c in checks if not c.passed), None)
    return Verdict(eligible=reason is None, reason=reason, checks=tuple(checks))
