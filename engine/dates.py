"""Calendar dates of a cycle: a date per state, and the dates a workflow names.

HR launches a cycle with dates: ``--due self_review=2027-01-31`` (that state's tasks are
due at the end of that day in the organisation's time zone, whenever the state starts)
and ``--date period_end=2026-12-31`` (a date of the workflow's ``dates:``, which a task's
``due: {before: 2w, from: period_end}`` counts from). Both are kept on the cycle row
(``Cycle.dates``), so a state entered weeks after the launch still finds them.

A named date with a ``value`` (``subject.start_date``) is worked out per subject when it
is needed, unless the launch gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from engine.clock import end_of_day
from engine.definitions.date_checks import is_date_name
from engine.definitions.specs import TaskSpec, WorkflowSpec
from engine.directory import subject_view
from engine.durations import shift_day
from engine.errors import ReviewflowError
from engine.expressions import ExpressionError, compile_formula, evaluate_formula
from engine.messages import N_
from engine.source import did_you_mean


class DatesInvalid(ReviewflowError):
    """Dates a launch cannot take; ``problems`` maps each field (``due:STATE``,
    ``date:NAME``, or ``""`` for the launch as a whole) to its message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(problems.values()))


@dataclass(frozen=True)
class CycleDates:
    """The dates a cycle was launched with."""

    states: dict[str, date] = field(default_factory=dict)  # state -> its tasks' due day
    named: dict[str, date] = field(default_factory=dict)  # a date of ``dates:`` -> its day

    def stored(self) -> dict | None:
        """As kept in ``Cycle.dates`` (None when the cycle has none)."""
        if not self.states and not self.named:
            return None
        return {"states": {k: v.isoformat() for k, v in sorted(self.states.items())},
                "dates": {k: v.isoformat() for k, v in sorted(self.named.items())}}

    @classmethod
    def read(cls, stored: dict | None) -> CycleDates:
        """From ``Cycle.dates``."""
        stored = stored or {}
        return cls({k: date.fromisoformat(v) for k, v in (stored.get("states") or {}).items()},
                   {k: date.fromisoformat(v) for k, v in (stored.get("dates") or {}).items()})


NONE = CycleDates()


def as_date(value) -> date | None:
    """What a date's expression gave, as a day: a date, a datetime, or ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def date_of(spec: WorkflowSpec, source: str, dates: CycleDates, subject, people) -> date:
    """The day ``source`` (a name of ``dates:``, or an expression over the subject) stands
    for: as the launch gave it, else its ``value`` for this subject. Raise
    :class:`ExpressionError` when there is none (the subject has no start date)."""
    if source in dates.named:
        return dates.named[source]
    named = spec.dates.get(source)
    text = named.value if named is not None else (None if is_date_name(source) else source)
    if text is None:
        raise ExpressionError(f"date '{source}' was not given at launch")
    value = evaluate_formula(compile_formula(text),
                             {"subject": subject_view(subject, people)})
    day = as_date(value)
    if day is None:
        raise ExpressionError(f"date '{source}' ({text}) has no date for "
                              f"{subject.email}: {value!r}")
    return day


def counted_due(line: TaskSpec, day: date) -> datetime:
    """``due: {after|before: D, from: ...}`` counted from ``day``: the end of the day that
    many months, weeks and days later (earlier) in the organisation's time zone; a
    duration in hours counts exact time from the end of ``day``. Naive UTC."""
    sign = -1 if line.due_before else 1
    calendar_day = shift_day(day, line.due, sign)
    if calendar_day is not None:
        return end_of_day(calendar_day)
    point = end_of_day(day)
    return line.due.subtract_from(point) if line.due_before else line.due.add_to(point)


def states_with_tasks(spec: WorkflowSpec) -> list[str]:
    """The states a launch may give a date to: those with tasks, in definition order."""
    return [name for name, state in spec.states.items() if state.tasks]


def check_launch_dates(spec: WorkflowSpec, dates: CycleDates, now: datetime,
                       first_day: date | None = None) -> dict[str, str]:
    """What is wrong with the dates a launch of ``spec`` was given, by field (empty when
    nothing): unknown states or dates, a state without tasks, a day already over, a date
    a task counts from that nobody gave."""
    problems: dict[str, str] = {}
    with_tasks = states_with_tasks(spec)
    for state, day in dates.states.items():
        key = f"due:{state}"
        if state not in spec.states:
            hint = _in_brackets(did_you_mean(state, list(spec.states)))
            problems[key] = N_("'%(workflow)s' has no state '%(state)s'%(hint)s; its states "
                               "with tasks: %(states)s", workflow=spec.id, state=state,
                               hint=hint, states=", ".join(with_tasks))
        elif state not in with_tasks:
            problems[key] = N_("state '%(state)s' has no tasks, so nothing in it can be due; "
                               "states with tasks: %(states)s", state=state,
                               states=", ".join(with_tasks))
        elif end_of_day(day) <= now:
            problems[key] = N_("%(day)s is not in the future", day=day.isoformat())
    if first_day is not None and spec.initial in dates.states:
        problems.setdefault(f"due:{spec.initial}", N_(
            "--due-date already gives the first step's date; give '%(state)s' one date",
            state=spec.initial))
    for name in dates.named:
        if name not in spec.dates:
            hint = _in_brackets(did_you_mean(name, list(spec.dates)))
            problems[f"date:{name}"] = N_(
                "'%(workflow)s' names no date '%(name)s'%(hint)s; its dates: %(dates)s",
                workflow=spec.id, name=name, hint=hint, dates=", ".join(spec.dates) or "-")
    for name in spec.dates_needed():
        if name not in dates.named and not _all_dated(spec, name, dates):
            problems[f"date:{name}"] = N_(
                "a task is due counted from '%(name)s': give it (--date %(name)s=YYYY-MM-DD)",
                name=name)
    return problems


def _in_brackets(hint: str | None) -> str:
    return " (" + hint + ")" if hint else ""


def _all_dated(spec: WorkflowSpec, name: str, dates: CycleDates) -> bool:
    """Does every state counting from ``name`` have a date of its own at this launch?"""
    for state_name, state in spec.states.items():
        if any(t.due_from == name for t in state.tasks):
            if state_name not in dates.states:
                return False
    return True
