"""The one check that a bound of a score range lies on a scale, which auto-tag rules and
routing rules share."""

from __future__ import annotations

import pytest

from promoter.core.errors import ApplicationError
from promoter.surveys.scales import SCALES, score_bound


def test_a_bound_on_the_scale_or_no_bound_is_kept():
    assert score_bound(None, field="score_min", scale=SCALES["csat"]) is None
    assert score_bound(1, field="score_min", scale=SCALES["csat"]) == 1
    assert score_bound(5, field="score_max", scale=SCALES["csat"]) == 5


@pytest.mark.parametrize("value", [0, 6])
def test_a_bound_off_the_scale_is_refused_naming_the_field(value):
    with pytest.raises(ApplicationError) as refused:
        score_bound(value, field="score_max", scale=SCALES["csat"])
    assert refused.value.code == "invalid"
    assert refused.value.fields == {"score_max": "between 1 and 5"}
