"""The filter language ``property:op:value``: what it reads, what it writes back, its bounds.

Every interface takes it from here (the dashboard, the REST API, ``promoter report``, the
rule form); ``promoter/tests/test_property_names.py`` checks the rows each one answers.
"""

from __future__ import annotations

import pytest

from promoter.analytics.filters import (
    WHERE_MAX_CHARS,
    WHERE_MAX_CONDITIONS,
    WHERE_MAX_OPTIONS,
    condition_parse,
    conditions_parse,
    format_where,
    parse_where,
)
from promoter.core.inputs import NUL_PROBLEM
from promoter.surveys.eligibility import OPERATORS, Condition


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("plan:eq:enterprise", Condition("plan", "eq", "enterprise")),
        ("country:in:FR, DE,,", Condition("country", "in", ["FR", "DE"])),
        ("mrr_amount:gte:100", Condition("mrr_amount", "gte", "100")),
        ("account:exists", Condition("account", "exists", None)),
        ("account:missing:ignored", Condition("account", "missing", None)),
        ("url:contains:a:b", Condition("url", "contains", "a:b")),  # the value keeps its ":"
        (":eq:", Condition("", "eq", "")),  # the empty name is a JSON key too
        ("a.b__c:ne:x", Condition("a.b__c", "ne", "x")),
    ],
)
def test_a_condition_reads_as_written(text, condition):
    assert condition_parse(text) == condition
    assert parse_where(text) == condition


@pytest.mark.parametrize(
    "condition",
    [
        Condition("plan", "eq", "pro"),
        Condition("country", "not_in", ["FR", "DE"]),
        Condition("seats", "lt", "10"),
        Condition("account", "exists", None),
        Condition("", "eq", ""),
    ],
)
def test_a_condition_written_reads_back(condition):
    assert condition_parse(format_where(condition)) == condition


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("plan", "write property:operator:value"),
        ("plan:like:pro", "write property:operator:value"),
        ("plan:eq:\x00", NUL_PROBLEM),
        ("p:eq:" + "x" * WHERE_MAX_CHARS, f"over {WHERE_MAX_CHARS} characters"),
        ("p:in:" + ",".join(map(str, range(WHERE_MAX_OPTIONS + 1))), "lists over"),
    ],
)
def test_a_malformed_condition_is_refused_saying_why(text, says):
    with pytest.raises(ValueError) as refused:
        condition_parse(text)
    assert says in str(refused.value)
    assert parse_where(text) is None


def test_the_refusal_names_every_operator():
    with pytest.raises(ValueError) as refused:
        condition_parse("plan:is:pro")
    assert all(op in str(refused.value) for op in OPERATORS)


def test_conditions_are_bounded_in_number():
    texts = [f"p{i}:exists" for i in range(WHERE_MAX_CONDITIONS)]
    assert len(conditions_parse(texts)) == WHERE_MAX_CONDITIONS
    with pytest.raises(ValueError, match=f"at most {WHERE_MAX_CONDITIONS}"):
        conditions_parse([*texts, "one:exists"])
    with pytest.raises(ValueError, match="write property:operator:value"):
        conditions_parse(["plan:eq:pro", "nonsense"])
