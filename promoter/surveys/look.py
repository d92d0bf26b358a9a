"""A survey's look: the one definition of its settings, their defaults, their checks (WCAG
AA contrast included) and how a project's look and a survey's combine. Pure functions.

Every value is a string, as the widget receives it (docs/ingest-api.md, "The survey's look"):

- ``primary_color``, ``text_color``, ``background_color``: ``#rrggbb`` for the light theme;
  ``dark_primary_color``, ``dark_text_color``, ``dark_background_color`` for the dark one;
- ``position``: ``bottom-right``, ``bottom-left`` or ``bottom-center``;
- ``font``: one of :data:`FONTS` (stacks of fonts people already have: nothing is
  downloaded);
- ``radius``: the corner radius in pixels, ``0``-``24``;
- ``theme``: ``light``, ``dark`` or ``auto`` (the person's ``prefers-color-scheme``);
- ``logo_url``: an ``https://`` address of an image shown above the question, or empty;
- ``powered_by``: ``on`` or ``off`` ("Powered by Promoter").

A look whose text would not reach WCAG AA against its background (4.5:1), or whose primary
colour would not stand out from the background as a border and focus ring (3:1), is refused,
naming the field; the widget also falls back to readable colours whatever it receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

LOOK_DEFAULTS: dict[str, str] = {
    "primary_color": "#4338ca",
    "text_color": "#111827",
    "background_color": "#ffffff",
    "dark_primary_color": "#a5b4fc",
    "dark_text_color": "#f3f4f6",
    "dark_background_color": "#1f2937",
    "position": "bottom-right",
    "font": "system",
    "radius": "12",
    "theme": "light",
    "logo_url": "",
    "powered_by": "on",
}
LOOK_FIELDS = tuple(LOOK_DEFAULTS)
COLORS = ("primary_color", "text_color", "background_color", "dark_primary_color",
          "dark_text_color", "dark_background_color")  # fmt: skip
POSITIONS = ("bottom-right", "bottom-left", "bottom-center")
THEMES = ("light", "dark", "auto")
# Font stacks by name: the widget maps each to the fonts people already have.
FONTS = ("system", "sans-serif", "serif", "rounded", "monospace")
RADIUS_MAX = 24
LOGO_MAX = 500
AA_TEXT = 4.5  # WCAG 2.x AA, normal text
AA_UI = 3.0  # WCAG 2.x AA, user-interface components (1.4.11)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class LookError(ValueError):
    """A look setting that cannot be kept: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _luminance(color: str) -> float:
    total = 0.0
    for weight, at in zip((0.2126, 0.7152, 0.0722), (1, 3, 5), strict=True):
        c = int(color[at : at + 2], 16) / 255
        total += weight * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return total


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    x, y = _luminance(a), _luminance(b)
    return (max(x, y) + 0.05) / (min(x, y) + 0.05)


def look_resolve(*looks: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the look the widget gets: the defaults, overridden by each of ``looks`` in turn
    (the project's, then the survey's) where it sets a value."""
    out = dict(LOOK_DEFAULTS)
    for look in looks:
        for key, value in (look or {}).items():
            if key in LOOK_DEFAULTS and value not in (None, ""):
                out[key] = str(value)
    return out


def look_clean(value: Mapping[str, Any]) -> dict[str, str]:
    """Return the settings of ``value`` that differ from nothing (empty means "inherit"),
    checked one by one; raise LookError naming the first field that is wrong."""
    out: dict[str, str] = {}
    for key, raw in value.items():
        if key not in LOOK_DEFAULTS:
            raise LookError(key, "is not a look setting")
        if raw in (None, ""):
            continue
        text = str(raw).strip()
        if key in COLORS:
            if not _HEX.match(text):
                raise LookError(key, "must be a colour written #rrggbb")
            text = text.lower()
        elif key == "position" and text not in POSITIONS:
            raise LookError(key, f"must be one of {', '.join(POSITIONS)}")
        elif key == "theme" and text not in THEMES:
            raise LookError(key, f"must be one of {', '.join(THEMES)}")
        elif key == "font" and text not in FONTS:
            raise LookError(key, f"must be one of {', '.join(FONTS)}")
        elif key == "radius" and not (text.isdigit() and int(text) <= RADIUS_MAX):
            raise LookError(key, f"must be a whole number of pixels from 0 to {RADIUS_MAX}")
        elif key == "powered_by" and text not in ("on", "off"):
            raise LookError(key, "must be on or off")
        elif key == "logo_url":
            parts = urlsplit(text)
            if parts.scheme != "https" or not parts.netloc or len(text) > LOGO_MAX:
                raise LookError(
                    key, f"must be an https:// address of at most {LOGO_MAX} characters"
                )
            if any(c.isspace() or c in "\"'<>\\" for c in text):
                raise LookError(key, "holds characters an address cannot")
        out[key] = text
    return out


def look_contrast_problem(look: Mapping[str, str]) -> LookError | None:
    """Return what keeps the resolved ``look`` below WCAG AA, naming the field to change, or
    None: text against its background in each theme it may show, and the primary colour
    against the background as a border and focus ring."""
    themes = {
        "light": ("primary_color", "text_color", "background_color"),
        "dark": ("dark_primary_color", "dark_text_color", "dark_background_color"),
    }
    used = ("light", "dark") if look["theme"] == "auto" else (look["theme"],)
    for theme in used:
        primary, text, background = themes[theme]
        ratio = contrast(look[text], look[background])
        if ratio < AA_TEXT:
            return LookError(
                text,
                f"{look[text]} on {look[background]} has a contrast of {ratio:.2f}:1; "
                f"text needs {AA_TEXT:g}:1 (WCAG AA)",
            )
        ratio = contrast(look[primary], look[background])
        if ratio < AA_UI:
            return LookError(
                primary,
                f"{look[primary]} on {look[background]} has a contrast of {ratio:.2f}:1; "
                f"buttons and the focus ring need {AA_UI:g}:1 (WCAG AA)",
            )
    return None
