"""Durations of the definition language: ``30m``, ``12h``, ``7d``, ``2w``.

A duration is a positive whole number followed by one unit letter. Calendar units
(months, years) are left out on purpose: "1 month" has no fixed length, and deadlines
must mean the same thing to everybody.
"""

from __future__ import annotations

import re
from datetime import timedelta

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_PATTERN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
EXAMPLES = "write a whole number and a unit: 30m, 12h, 7d, 2w"
# Ten years: longer is a typo, and a date that far ahead may not even exist (year 9999).
MAX_DURATION = timedelta(weeks=520)


class DurationError(ValueError):
    """Text that is not a duration; the message says what a duration looks like."""


def parse_duration(text: str) -> timedelta:
    """``"7d"`` -> ``timedelta(days=7)``; raise :class:`DurationError` otherwise."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise DurationError(f"expected a duration like '7d', got {text!r}")
    match = _PATTERN.match(str(text))
    if not match:
        raise DurationError(f"bad duration {str(text)!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise DurationError(f"duration {str(text)!r} must be longer than zero")
    if amount * _SECONDS[unit] > MAX_DURATION.total_seconds():
        raise DurationError(f"duration {str(text)!r} is longer than 520w (ten years)")
    return timedelta(**{UNITS[unit]: amount})


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling: ``timedelta(days=14)`` -> ``"2w"``, 90 minutes -> ``"90m"``."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0m"
    for unit in ("w", "d", "h", "m"):
        if seconds % _SECONDS[unit] == 0:
            return f"{seconds // _SECONDS[unit]}{unit}"
    return f"{max(1, round(seconds / 60))}m"
