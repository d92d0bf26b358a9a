"""Time zones by name, as projects store them."""

from __future__ import annotations

import datetime
import zoneinfo


def zone(name: str | None) -> datetime.tzinfo:
    """Return the time zone ``name`` (a project's), UTC when it is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC
