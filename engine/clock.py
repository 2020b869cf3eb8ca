"""The one clock: every "now" of the engine, the web and the benchmarks comes from here.

Times are stored as naive UTC (peewee writes a ``DateTimeField`` without a zone on
both backends), so :func:`utcnow` gives naive UTC and :func:`utc` turns what a caller
passes (aware, naive or nothing) into it. Commands take ``now`` as an argument, so tests
move the clock instead of sleeping; only the default comes from here.
``datetime.utcnow()`` is deprecated since Python 3.12 (an error under the suite's
warnings-as-errors there), which is one more reason it is called nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime


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
