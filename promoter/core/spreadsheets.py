"""Text that goes into CSV files people open in spreadsheets."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Return ``value`` as text a spreadsheet shows as written: a cell starting like a
    formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading apostrophe, so
    people's words never run as formulas (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
