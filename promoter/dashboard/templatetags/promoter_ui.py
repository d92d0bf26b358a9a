"""Template helpers of the dashboard: vendored script URLs and score formatting."""

from __future__ import annotations

from typing import Any

from django import template

from promoter.dashboard.assets import vendor_url
from promoter.text.sentiment import sentiment_label as _sentiment_label

register = template.Library()
NONE = "\u2013"  # an en dash for "no figure"


@register.simple_tag
def vendor(name: str) -> str:
    """Return the versioned URL of a vendored library (htmx.min.js, plotly.min.js)."""
    return vendor_url(name)


@register.filter
def score(value: Any, kind: str = "nps") -> str:
    """Format a score: NPS with its sign (+31), CSAT as a percentage, CES with one decimal."""
    if value is None:
        return NONE
    number = float(value)
    if kind == "nps":
        return f"{number:+.0f}" if round(number) != 0 else "0"
    if kind == "csat":
        return f"{number:.0f}%"
    return f"{number:.2f}"


@register.filter
def points(value: Any, kind: str = "nps") -> str:
    """Format a difference of two scores with its sign, in the score's unit."""
    if value is None:
        return NONE
    number = float(value)
    if kind == "ces":
        return f"{number:+.2f}"
    unit = " pts" if kind == "nps" else " pp"
    return f"{number:+.1f}{unit}"


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    if value is None:
        return NONE
    return f"{float(value):.{int(digits)}f}%"


@register.filter
def pvalue(value: Any) -> str:
    if value is None:
        return NONE
    number = float(value)
    return "p < 0.001" if number < 0.001 else f"p = {number:.3f}"


@register.filter
def sentiment_label(value: Any) -> str:
    """Name a sentiment (-1 … +1): positive, neutral or negative; empty for none."""
    return _sentiment_label(None if value is None else float(value)) or ""
