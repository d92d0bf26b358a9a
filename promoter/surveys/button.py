"""The feedback button: an always-visible tab that opens one survey on demand. The one
definition of its settings, their defaults and checks. Pure functions.

``Survey.button`` is empty when the survey has no button, else::

    {"placement": "right", "label": "Feedback", "per_day": 3, "in_score": false}

- ``placement``: ``left``, ``right`` (the edge's middle) or ``bottom`` (bottom-right corner);
- ``label``: the tab's text (1-40 characters);
- ``per_day``: how many answers one person may give through it in 24 hours (1-20); the
  re-survey delay does not apply to it;
- ``in_score``: whether its answers count in the survey's score. They do not by default:
  people who click a feedback button chose to, unlike a sample the survey asked.

Its answers are stored with the channel ``button``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PLACEMENTS = ("right", "left", "bottom")
BUTTON_DEFAULTS: dict[str, Any] = {
    "placement": "right",
    "label": "Feedback",
    "per_day": 3,
    "in_score": False,
}
LABEL_MAX = 40
PER_DAY_MAX = 20


class ButtonError(ValueError):
    """A button setting that cannot be kept: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def button_clean(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the stored form of a button's settings (empty: no button), defaults filled in;
    raise ButtonError naming the first field that is wrong."""
    if not value:
        return {}
    out = dict(BUTTON_DEFAULTS)
    for key, raw in value.items():
        if key not in BUTTON_DEFAULTS:
            raise ButtonError(key, "is not a setting of the feedback button")
        if key == "placement":
            if raw not in PLACEMENTS:
                raise ButtonError(key, f"must be one of {', '.join(PLACEMENTS)}")
        elif key == "label":
            label = raw.strip() if isinstance(raw, str) else ""
            if not label or len(label) > LABEL_MAX:
                raise ButtonError(key, f"must be 1 to {LABEL_MAX} characters")
            raw = label
        elif key == "per_day":
            if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= PER_DAY_MAX:
                raise ButtonError(key, f"must be a whole number from 1 to {PER_DAY_MAX}")
        elif key == "in_score" and not isinstance(raw, bool):
            raise ButtonError(key, "must be true or false")
        out[key] = raw
    return out


def button_of(stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return a survey's button settings with the defaults, or None when it has none."""
    return {**BUTTON_DEFAULTS, **stored} if stored else None


def counts_in_score(stored: Mapping[str, Any] | None) -> bool:
    """Whether the answers given through a survey's button count in its score."""
    button = button_of(stored)
    return button is None or bool(button["in_score"])
