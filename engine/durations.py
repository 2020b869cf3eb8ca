"""Durations of the definition language: ``30m``, ``12h``, ``7d``, ``2w``, ``1mo``, ``1y``.

A duration is a positive whole number followed by one unit: ``m`` minutes, ``h`` hours,
``d`` days, ``w`` weeks, ``mo`` calendar months, ``y`` calendar years (12 months). A
month has no fixed length, so a :class:`Duration` keeps its fixed part and its months
apart, and :meth:`Duration.add_to` is the one place a time is moved by one: months move
the wall-clock date in the organisation's time zone (31 January + 1mo is the last day of
February, at the same local time, whatever daylight saving did in between), the fixed
part is then added as exact time.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.clock import organisation_zone

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_MONTHS = {"mo": 1, "y": 12}
# "mo" before "m": "1mo" is a month, "1m" a minute
_PATTERN = re.compile(r"^\s*(\d+)\s*(mo|y|m|h|d|w)\s*$")
EXAMPLES = "write a whole number and a unit: 30m, 12h, 7d, 2w, 3mo, 1y"
# Ten years: longer is a typo, and a date that far ahead may not even exist (year 9999).
MAX_DURATION = timedelta(weeks=520)
MAX_MONTHS = 120
_HOUR = timedelta(hours=1)


class DurationError(ValueError):
    """Text that is not a duration; the message says what a duration looks like."""


@dataclass(frozen=True)
class Duration:
    """A length of time: an exact part and a number of calendar months.

    Equal to a ``timedelta`` of its fixed part when it has no months, so a definition's
    ``due: 7d`` still compares as ``timedelta(days=7)``. It has no ``+``: every due,
    reminder, repeat and timer time goes through :meth:`add_to` or :meth:`subtract_from`,
    which know the time zone a month is counted in.
    """

    fixed: timedelta = timedelta()
    months: int = 0

    def add_to(self, moment: datetime, zone: ZoneInfo | None = None) -> datetime:
        """``moment`` (naive UTC, as stored) this long later, as naive UTC."""
        return self._shift(moment, 1, zone)

    def subtract_from(self, moment: datetime, zone: ZoneInfo | None = None) -> datetime:
        """``moment`` (naive UTC) this long earlier (a reminder before due), as naive UTC."""
        return self._shift(moment, -1, zone)

    def _shift(self, moment: datetime, sign: int, zone: ZoneInfo | None) -> datetime:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if self.months:
            moment = add_months(moment, sign * self.months, zone)
        return moment + sign * self.fixed

    def bounds(self) -> tuple[timedelta, timedelta]:
        """The shortest and the longest this can last (a month is 28 to 31 days, a year
        365 or 366, and a daylight-saving change may take or give an hour)."""
        if not self.months:
            return self.fixed, self.fixed
        low, high = _month_span(self.months)
        return self.fixed + low - _HOUR, self.fixed + high + _HOUR

    def shorter_than(self, other: Duration) -> bool | None:
        """Is this always shorter than ``other`` (True), never (False), or does it depend
        on the months counted (None: 30d against 1mo)?"""
        if self.months <= other.months and self.fixed <= other.fixed:
            return self != other
        if self.months >= other.months and self.fixed >= other.fixed:
            return False
        mine, theirs = self.bounds(), other.bounds()
        if mine[1] < theirs[0]:
            return True
        if mine[0] >= theirs[1]:
            return False
        return None

    def __bool__(self) -> bool:
        return bool(self.fixed or self.months)

    def __eq__(self, other) -> bool:
        if isinstance(other, timedelta):
            return not self.months and self.fixed == other
        if isinstance(other, Duration):
            return (self.fixed, self.months) == (other.fixed, other.months)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.fixed) if not self.months else hash((self.fixed, self.months))

    def __str__(self) -> str:
        return format_duration(self)


@functools.lru_cache(maxsize=128)
def _month_span(months: int) -> tuple[timedelta, timedelta]:
    """The fewest and most days ``months`` consecutive calendar months have, over a
    Gregorian cycle's worth of starting months (leap years, and 2100 that is not one)."""
    spans = []
    for start in range(2096 * 12, 2104 * 12):
        begin = date(start // 12, start % 12 + 1, 1)
        end_index = start + months
        spans.append((date(end_index // 12, end_index % 12 + 1, 1) - begin).days)
    return timedelta(days=min(spans)), timedelta(days=max(spans))


def add_months(moment: datetime, months: int, zone: ZoneInfo | None = None) -> datetime:
    """Naive UTC ``moment`` moved ``months`` calendar months (back when negative) on the
    wall clock of ``zone`` (the organisation's by default); the day is kept, or the last
    of a shorter month. A local time skipped by a daylight-saving change comes out an
    hour later, as clocks show it."""
    zone = zone or organisation_zone()
    local = moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    wall = datetime.combine(add_months_to_day(local.date(), months), local.time())
    return wall.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def add_months_to_day(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months (back when negative): the same day of
    the month, or the last day of a shorter month (31 January + 1 -> 28/29 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month + 1,
                       day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def shift_day(day: date, duration: Duration, sign: int = 1) -> date | None:
    """``day`` moved by ``duration`` on the calendar when it is whole months and days
    (a due counted from a date stays at the end of a day, whatever daylight saving
    does); None when it has hours or minutes, which only exact time can add."""
    if duration.fixed % timedelta(days=1):
        return None
    return add_months_to_day(day, sign * duration.months) + sign * duration.fixed


def parse_duration(text: str) -> Duration:
    """``"7d"`` -> ``Duration(timedelta(days=7))``, ``"1mo"`` -> one calendar month;
    raise :class:`DurationError` otherwise."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise DurationError(f"expected a duration like '7d', got {text!r}")
    match = _PATTERN.match(str(text))
    if not match:
        raise DurationError(f"bad duration {str(text)!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if amount <= 0:
        raise DurationError(f"duration {str(text)!r} must be longer than zero")
    if unit in _MONTHS:
        if amount * _MONTHS[unit] > MAX_MONTHS:
            raise DurationError(f"duration {str(text)!r} is longer than 10y (ten years)")
        return Duration(months=amount * _MONTHS[unit])
    if amount * _SECONDS[unit] > MAX_DURATION.total_seconds():
        raise DurationError(f"duration {str(text)!r} is longer than 520w (ten years)")
    return Duration(timedelta(**{UNITS[unit]: amount}))


def format_duration(value: Duration | timedelta) -> str:
    """The shortest exact spelling: 14 days -> ``"2w"``, 90 minutes -> ``"90m"``, 12
    months -> ``"1y"``, 3 months -> ``"3mo"`` (both parts, space-separated, if both)."""
    if isinstance(value, timedelta):
        value = Duration(value)
    parts = []
    if value.months:
        months = value.months
        parts.append(f"{months // 12}y" if months % 12 == 0 else f"{months}mo")
    if value.fixed or not parts:
        parts.append(_format_fixed(value.fixed))
    return " ".join(parts)


def _format_fixed(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0m"
    for unit in ("w", "d", "h", "m"):
        if seconds % _SECONDS[unit] == 0:
            return f"{seconds // _SECONDS[unit]}{unit}"
    return f"{max(1, round(seconds / 60))}m"
