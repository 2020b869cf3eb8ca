"""What HR's launch form means: the population filter, and a preview of what a launch
would create (instances and first tasks) before anything is stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from engine import commands, queries, roles
from engine.dates import NONE, CycleDates, check_launch_dates, states_with_tasks
from engine.directory import People
from engine.errors import NotFound

STANDARD_KEYS = ("department", "title", "group", "manager", "email")


@dataclass
class Preview:
    """What launching would do now."""

    workflow_id: str
    cycle: str
    subjects: int = 0
    existing: int = 0
    tasks: int = 0
    unassigned: int = 0
    by_department: dict = field(default_factory=dict)
    sample: list = field(default_factory=list)
    problem: str | None = None

    @property
    def new_instances(self) -> int:
        return self.subjects - self.existing


def filters_from_form(form) -> list[tuple[str, str]]:
    """``where`` pairs from the launch form: chosen departments and groups, a manager,
    and free ``attribute=value`` lines."""
    where = [("department", d) for d in form.getlist("department") if d]
    where += [("group", g) for g in form.getlist("group") if g]
    manager = form.get("manager", "").strip()
    if manager:
        where.append(("manager", manager))
    for line in form.get("attributes", "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            if key.strip() and value.strip():
                where.append((key.strip(), value.strip()))
    return where


def fingerprint(workflow_id: str, cycle: str, where, dates: CycleDates = NONE) -> str:
    """What a preview was made for, so *Launch* only launches what was previewed."""
    text = "\x1f".join([workflow_id, cycle, *sorted(f"{k}={v}" for k, v in where),
                        json.dumps(dates.stored())])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class DateField:
    """One optional date of the launch form: a state's due day or a named date."""

    key: str  # the engine's field: "due:self_review", "date:period_end"
    name: str  # the form field: "due-self_review", "date-period_end"
    kind: str  # "due" or "date"
    label: str  # the state's or the date's title, in the page's language
    needed: bool = False  # a task counts from it and nothing else gives it


def date_fields(spec) -> list[DateField]:
    """The dates a launch of ``spec`` may take: a due day for each state with tasks, then
    each date the workflow names (those a task counts from without a value: needed)."""
    if spec is None:
        return []
    needed = spec.dates_needed()
    out = [DateField(f"due:{s}", f"due-{s}", "due", spec.states[s].title or s)
           for s in states_with_tasks(spec)]
    out += [DateField(f"date:{n}", f"date-{n}", "date", d.title or n, n in needed)
            for n, d in spec.dates.items()]
    return out


def dates_from_form(form, spec, cycle: str, now: datetime) \
        -> tuple[CycleDates, dict[str, list[str]]]:
    """The dates typed on the launch form and, by field key, what is wrong with them (a
    cycle launched before keeps its own dates: the engine says so if they differ)."""
    states: dict[str, date] = {}
    named: dict[str, date] = {}
    errors: dict[str, list[str]] = {}
    for f in date_fields(spec):
        text = form.get(f.name, "").strip()
        if not text:
            if f.needed:
                errors[f.key] = [_("Give this date: a task is due counted from it.")]
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            errors[f.key] = [_("Enter a date like 2027-01-31.")]
            continue
        (states if f.kind == "due" else named)[f.key.split(":", 1)[1]] = day
    dates = CycleDates(states, named)
    if spec is not None and queries.cycle_named(cycle) is None:
        for key, message in check_launch_dates(spec, dates, now).items():
            errors.setdefault(key, [message])
    return dates, errors


def population(where) -> list:
    """The active people a launch with ``where`` would cover (the engine's own filter)."""
    return commands.population(where)


def filter_problem(where) -> str | None:
    """Why ``where`` cannot be used (a column no one in the directory has), or None."""
    try:
        commands.check_filters(where)
    except NotFound as error:
        return str(error)
    return None


def preview(library, workflow_id: str, cycle: str, where) -> Preview:
    """How many instances and first-step tasks a launch would create; nothing stored."""
    out = Preview(workflow_id, cycle)
    spec = library.workflows.get(workflow_id)
    if spec is None:
        out.problem = f"There is no workflow '{workflow_id}' in the library."
        return out
    out.problem = filter_problem(where)
    if out.problem:
        return out
    subjects = population(where)
    out.subjects = len(subjects)
    existing_cycle = queries.cycle_named(cycle)
    if existing_cycle is not None:
        if existing_cycle.workflow_id != workflow_id:
            out.problem = (f"The cycle name '{cycle}' is already used for "
                           f"'{existing_cycle.workflow_id}'. Choose another name.")
        have = queries.cycle_subject_ids(existing_cycle.id)
        out.existing = sum(1 for p in subjects if p.id in have)
        subjects = [p for p in subjects if p.id not in have]
    for person in subjects:
        out.by_department[person.department or "—"] = (
            out.by_department.get(person.department or "—", 0) + 1)
    out.sample = subjects[:8]
    _count_tasks(spec, subjects, out)
    return out


def _count_tasks(spec, subjects: list, out: Preview) -> None:
    """Tasks the initial state creates for ``subjects`` (unassigned ones counted apart)."""
    people = People()
    people.add(subjects)
    people.preload_chains(subjects, roles.chain_depth(spec))
    state = spec.states[spec.initial]
    for subject in subjects:
        for line in state.tasks:
            found = roles.resolve(spec.roles[line.role], roles.Facts(subject.id, people, {}),
                                  line.allow_subject)
            if found.people:
                out.tasks += len(found.people)
            else:
                out.tasks += 1
                out.unassigned += 1


def choices() -> dict:
    """Departments and groups of the directory, for the launch form."""
    return {"departments": queries.people.departments(),
            "groups": queries.people.group_names()}
