"""The one clock: every "now" of the engine, the web and the benchmarks comes from here.

Times are stored as naive UTC (peewee writes a ``DateTimeField`` without a zone on
both backends), so :func:`utcnow` gives naive UTC and :func:`utc` turns what a caller
passes (aware, naive or nothing) into it. Commands take ``now`` as an argument, so tests
move the clock instead of sleeping; only the default comes from here.
``datetime.utcnow()`` is deprecated since Python 3.12 (an error under the suite's
warnings-as-errors there), which is one more reason it is called nowhere.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """Now, as naive UTC (the way times are stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc(now: datetime | None) -> datetime:
    """``now`` as naive UTC: an aware time is converted, a naive one is taken as UTC,
    ``None`` is :func:`utcnow`."""
    if now is None:
        return utcnow()
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def organisation_zone() -> ZoneInfo:
    """The organisation's time zone (``REVIEWFLOW_TIMEZONE``, an IANA name; UTC without)."""
    name = os.environ.get("REVIEWFLOW_TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"REVIEWFLOW_TIMEZONE {name!r} is not a time zone; use an IANA "
                         "name such as Europe/Copenhagen or UTC") from None


def end_of_day(day: date, zone: ZoneInfo | None = None) -> datetime:
    """The last minute of ``day`` in the organisation's time zone, as naive UTC: a task
    "due 2027-01-31" is on time all that day where the organisation is."""
    local = datetime.combine(day, time(23, 59), tzinfo=zone or organisation_zone())
    return utc(local)


def local_text(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """A stored (naive UTC) time on the organisation's clock, language-neutral:
    ``2027-01-31 23:59 CET``."""
    local = moment.replace(tzinfo=UTC).astimezone(zone or organisation_zone())
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The organisation's calendar day of a stored (naive UTC) time: a task due at
    23:59 in Copenhagen is due that day, though it is 22:59 UTC."""
    return moment.replace(tzinfo=UTC).astimezone(zone or organisation_zone()).date()
