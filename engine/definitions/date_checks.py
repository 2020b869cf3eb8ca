"""Checks of calendar dates: the workflow's ``dates:`` and a task's ``due`` counted from one.

``dates: {period_end: {title: ...}, hire: {value: subject.start_date}}`` names dates; a
task's ``due: {after: 6mo, from: hire}`` (or ``before:``) counts from one of them, or from
an expression over the subject written in place (``from: subject.start_date``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.definitions.context import Context
from engine.durations import EXAMPLES, DurationError, parse_duration
from engine.expressions import formula_issues
from engine.source import Issue, did_you_mean

#: What a date's ``value`` (and an expression in ``from:``) may read.
DATE_NAMES = ("subject",)
DATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def declared_dates(ctx: Context) -> dict:
    """The workflow's ``dates:`` mapping (empty when missing or mis-shaped)."""
    dates = ctx.data.get("dates")
    return dates if isinstance(dates, dict) else {}


def check_dates(ctx: Context) -> Iterator[Issue]:
    """Each named date: a lowercase name (it is typed at launch: ``--date NAME=...``) and,
    with ``value``, an expression over the subject."""
    for name, item in declared_dates(ctx).items():
        if not DATE_NAME.match(str(name)):
            yield Issue(("dates", name), f"date name '{name}' is not a lowercase name",
                        "use a-z, 0-9 and _, e.g. period_end", at="key")
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, str):
            for message, hint in formula_issues(value, DATE_NAMES):
                yield Issue(("dates", name, "value"), message,
                            hint or "a date's value reads the subject: subject.start_date")


def is_date_name(text: str) -> bool:
    """``period_end`` names a date; ``subject.start_date`` is an expression."""
    return bool(DATE_NAME.match(text))


def check_due(ctx: Context, value, owner) -> Iterator[Issue]:
    """``due: 7d``, or ``{after|before: DURATION, from: DATE}``."""
    if not isinstance(value, dict):
        yield from _duration_issues(value, ())
        return
    if value.get("after") is not None and value.get("before") is not None:
        yield Issue((), "a due is either 'after' or 'before' its date, not both",
                    "keep one: {after: 6mo, from: hire} or {before: 2w, from: period_end}")
    for key in ("after", "before"):
        if value.get(key) is not None:
            yield from _duration_issues(value[key], (key,))
    source = value.get("from")
    if isinstance(source, str):
        yield from _from_issues(ctx, source.strip())


def _duration_issues(value, path: tuple) -> Iterator[Issue]:
    try:
        parse_duration(value)
    except DurationError as exc:
        yield Issue(path, str(exc), EXAMPLES)


def _from_issues(ctx: Context, source: str) -> Iterator[Issue]:
    dates = declared_dates(ctx)
    if is_date_name(source):
        if source not in dates:
            yield Issue(("from",), f"unknown date '{source}'",
                        did_you_mean(source, dates) or
                        f"declare it under dates: ({source}: {{title: ...}}), given at "
                        "launch, or count from the subject: from: subject.start_date")
        return
    for message, hint in formula_issues(source, DATE_NAMES):
        yield Issue(("from",), message,
                    hint or "count from a date under dates:, or from subject.start_date")
