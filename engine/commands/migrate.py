"""Move running instances of a workflow to another version of its definition.

An instance keeps the version it started on (:mod:`engine.versions`); HR may move the
running ones on when a new version fixes a form or a step. Each instance is checked first,
and moved only if nothing would be lost:

- the state it is in exists in the new version (or ``mapping`` names the new state), and
  is not final there;
- each open task of its current visit has a task line in that state of the new version
  (the same line, else the one line of the same role), and a draft on it still fits that
  line's form: no field the new form does not know, no value it refuses (a field left
  empty is fine: a draft is unfinished).

One transaction per instance (the row locked, checked again under the lock): its version,
its state and its current tasks change together, task lines new in that state get their
tasks, the ``after:`` timer is counted again, and a ``migrated`` event names both
versions. An instance that fails a check is left as it was, and its history records the
refusal with the reasons. ``dry_run`` checks and reports, and writes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw

from engine import roles, statements, versions
from engine.commands.base import finish, record_refusal, utc
from engine.definitions.specs import Library, StateSpec, TaskSpec
from engine.directory import People, normalize_email
from engine.errors import NotAllowed, NotFound, ReviewflowError
from engine.lifecycle import Pending, Run
from engine.locking import lock_instance, transaction
from engine.source import did_you_mean
from engine.store import (
    Definition,
    EventKind,
    Instance,
    InstanceStatus,
    Task,
    TaskStatus,
)
from engine.submissions import REQUIRED, strip_unknown, submission_errors


@dataclass(frozen=True)
class InstancePlan:
    """What a migration does (or would do) to one running instance."""

    instance_id: int
    subject: str
    from_version: int
    to_version: int
    from_state: str
    to_state: str
    open_tasks: int = 0  # open tasks of the current visit, kept (with their drafts)
    new_lines: tuple[str, ...] = ()  # forms of the state's task lines new in this version
    refused: tuple[str, ...] = ()  # why it cannot move (empty: it can)

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass
class MigrationReport:
    """A migration of one workflow's running instances, instance by instance."""

    workflow_id: str
    to_version: int
    dry_run: bool
    plans: list[InstancePlan] = field(default_factory=list)
    already: int = 0  # running instances on the target version already

    @property
    def moved(self) -> list[InstancePlan]:
        return [p for p in self.plans if p.ok]

    @property
    def refused(self) -> list[InstancePlan]:
        return [p for p in self.plans if not p.ok]


def parse_mapping(pairs) -> dict[str, str]:
    """``["old=new", ...]`` -> ``{"old": "new"}`` (a clear error for anything else)."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        old, sep, new = str(pair).partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise ReviewflowError(f"--map takes OLD=NEW (a state of the old version, then one "
                                  f"of the new), not {pair!r}")
        if old in out and out[old] != new:
            raise ReviewflowError(f"state '{old}' is mapped twice ({out[old]}, {new})")
        out[old] = new
    return out


def target_version(library: Library | None, workflow_id: str, number: int,
                   store_it: bool, now: datetime) -> versions.Version:
    """Version ``number`` of ``workflow_id``: stored already, else the library's (stored
    unless this is a dry run, which writes nothing)."""
    row = Definition.get_or_none((Definition.workflow_id == workflow_id)
                                 & (Definition.version == number))
    if row is not None:
        return versions.version_for(row.id)
    spec = library.workflows.get(workflow_id) if library is not None else None
    if spec is not None and spec.version == number:
        if store_it:
            return versions.ensure(library, workflow_id, now)
        return versions.Version(0, spec, {f: library.form(f) for f in spec.forms_used()})
    stored = sorted(Definition.select(Definition.version)
                    .where(Definition.workflow_id == workflow_id).scalars())
    if not stored and spec is None:
        raise NotFound(f"no workflow '{workflow_id}'"
                       + (f" ({hint})" if (hint := did_you_mean(
                           workflow_id, list(library.workflows) if library else [])) else ""))
    known = ", ".join(map(str, stored)) or "none"
    in_library = f"; the library has version {spec.version}" if spec is not None else ""
    raise NotFound(f"workflow '{workflow_id}' has no version {number} (stored versions: "
                   f"{known}{in_library})")


def check_mapping(mapping: Mapping[str, str], target: versions.Version) -> None:
    """Every state a mapping leads to must be a state of the target version."""
    states = list(target.spec.states)
    for old, new in mapping.items():
        if new not in states:
            hint = did_you_mean(new, states)
            raise NotFound(f"--map {old}={new}: version {target.spec.version} of "
                           f"'{target.spec.id}' has no state '{new}'"
                           + (f" ({hint})" if hint else ""))


def plan(row: Instance, tasks: list[Task], target: versions.Version,
         mapping: Mapping[str, str], people: People) -> InstancePlan:
    """Check one instance against the target version; say what would happen."""
    old = versions.version_for(row.definition_id)
    subject = people.get(row.subject_id)
    to_state = mapping.get(row.state, row.state)
    base = dict(instance_id=row.id, subject=subject.email if subject else "?",
                from_version=old.spec.version, to_version=target.spec.version,
                from_state=row.state, to_state=to_state)
    state = target.spec.states.get(to_state)
    if state is None:
        return InstancePlan(**base, refused=(
            f"state '{row.state}' is not in version {target.spec.version}; map it to one "
            f"that is (--map {row.state}=STATE: {', '.join(_live_states(target))})",))
    if state.final:
        return InstancePlan(**base, refused=(
            f"state '{to_state}' is final in version {target.spec.version}; map "
            f"'{row.state}' to a state that is not",))
    reasons, kept = [], set()
    current = [t for t in tasks if t.entry == row.entry]
    for task in (t for t in current if t.status == TaskStatus.OPEN):
        line = line_for(task, state)
        if line is None:
            reasons.append(f"open task {task.id} ({task.form_id}, {_who(task, people)}) has "
                           f"no task line in state '{to_state}' of version "
                           f"{target.spec.version}")
            continue
        kept.add(line.key)
        reasons += _draft_problems(task, line, target, people)
    have = {line_for(t, state).key for t in current if line_for(t, state) is not None}
    new_lines = tuple(line.form for line in _new_lines(state, have | kept))
    return InstancePlan(**base, open_tasks=sum(1 for t in current
                                               if t.status == TaskStatus.OPEN),
                        new_lines=new_lines, refused=tuple(reasons))


def _new_lines(state: StateSpec, have: set[str]) -> list[TaskSpec]:
    return [line for line in state.tasks if line.key not in have]


def _live_states(target: versions.Version) -> list[str]:
    return [name for name, s in target.spec.states.items() if not s.final]


def _who(task: Task, people: People) -> str:
    person = people.get(task.assignee_id) if task.assignee_id else None
    return person.email if person else "unassigned"


def line_for(task: Task, state: StateSpec) -> TaskSpec | None:
    """The task line of ``state`` a task row belongs to in another version: the same line
    (index and form), else the one line of the task's role."""
    same = [line for line in state.tasks if line.key == task.task_key]
    if same:
        return same[0]
    by_role = [line for line in state.tasks if line.role == task.role]
    return by_role[0] if len(by_role) == 1 else None


def _draft_problems(task: Task, line: TaskSpec, target: versions.Version,
                    people: People) -> list[str]:
    """Why the task's draft would not fit the line's form in the target version."""
    if task.draft is None:
        return []
    form = target.form(line.form)
    where = f"the draft of task {task.id} ({_who(task, people)})"
    out = []
    kept = strip_unknown(form, task.draft)
    if kept != task.draft:
        lost = sorted(set(task.draft) - set(kept)) if isinstance(task.draft, dict) else []
        named = ", ".join(lost) if lost else "some answers"
        out.append(f"{where} has fields form '{form.id}' of version "
                   f"{target.spec.version} does not know: {named}")
    errors = {path: [m for m in found if m != REQUIRED]  # a draft may leave fields empty
              for path, found in submission_errors(form, kept).items()}
    wrong = [f"{path or '(the form)'}: {' '.join(found)}"
             for path, found in sorted(errors.items()) if found]
    if wrong:
        out.append(f"{where} does not fit form '{form.id}' of version {target.spec.version}: "
                   + "; ".join(wrong))
    return out


def migrate(workflow_id: str, to_version: int, actor: str, *,
            mapping: Mapping[str, str] | None = None, dry_run: bool = False,
            library: Library | None = None, now: datetime | None = None) -> MigrationReport:
    """Move the running instances of ``workflow_id`` to version ``to_version`` (HR).

    Checks every instance first (see the module's text). Returns a report per instance;
    with ``dry_run`` nothing is written.
    """
    now, actor = utc(now), normalize_email(actor)
    mapping = dict(mapping or {})
    people = People()
    if not roles.is_hr(actor, people):
        raise NotAllowed(f"{actor} may not move instances to another version (HR may)")
    target = target_version(library, workflow_id, int(to_version), False, now)
    check_mapping(mapping, target)
    if not dry_run:  # stored only now: a refused command writes nothing at all
        target = target_version(library, workflow_id, int(to_version), True, now)
    report = MigrationReport(workflow_id, target.spec.version, dry_run)
    for row in _running(workflow_id):
        if row.definition_id == target.definition_id:
            report.already += 1
            continue
        if dry_run:
            report.plans.append(_checked(row, target, mapping, people, actor))
        else:
            report.plans.append(_move(row.id, target, mapping, actor, now))
    return report


def running_versions(workflow_id: str) -> dict[int, int]:
    """Version -> how many instances of ``workflow_id`` run on it."""
    query = (Instance.select(Definition.version, pw.fn.COUNT(Instance.id))
             .join(Definition, on=(Instance.definition == Definition.id))
             .where((Instance.workflow_id == workflow_id)
                    & (Instance.status == InstanceStatus.RUNNING))
             .group_by(Definition.version).tuples())
    return dict(sorted(query))


def _running(workflow_id: str) -> list[Instance]:
    return list(Instance.select().where((Instance.workflow_id == workflow_id)
                                        & (Instance.status == InstanceStatus.RUNNING))
                .order_by(Instance.id))


def _checked(row: Instance, target, mapping, people: People, actor: str) -> InstancePlan:
    tasks = statements.select_matching(Task, {"instance": row.id, "entry": row.entry})
    found = plan(row, tasks, target, mapping, people)
    if found.ok and not roles.is_hr_for(actor, people, row.subject_id):
        found = dataclasses.replace(found, refused=(
            f"{actor} is the subject of this instance (nobody acts as HR about themselves)",))
    return found


def _move(instance_id: int, target, mapping, actor: str, now: datetime) -> InstancePlan:
    """Check and move one instance in one transaction (a refusal recorded after)."""
    with transaction():
        row = lock_instance(instance_id)
        people = People()
        found = _checked(row, target, mapping, people, actor) \
            if row.status == InstanceStatus.RUNNING else None
        if found is not None and found.ok:
            _apply(row, found, target, people, actor, now)
    if found is not None and not found.ok:
        record_refusal(instance_id, actor, "; ".join(found.refused), now, trigger="migrate")
    return found or InstancePlan(instance_id, "?", 0, target.spec.version, row.state,
                                 row.state, refused=(f"instance {instance_id} is "
                                                     f"{row.status}, not running",))


def _apply(row: Instance, found: InstancePlan, target, people: People, actor: str,
           now: datetime) -> None:
    state = target.spec.states[found.to_state]
    have = set()
    for task in statements.select_matching(Task, {"instance": row.id, "entry": row.entry}):
        line = line_for(task, state)
        changes = {"state": found.to_state}
        if line is not None:
            have.add(line.key)
            changes.update(task_key=line.key, form_id=line.form, role=line.role)
        statements.update_row(Task, task.id, **changes)
    statements.update_row(Instance, row.id, definition=target.definition_id,
                          state=found.to_state)
    row.definition_id, row.state = target.definition_id, found.to_state
    run = Run(row, target, people, now, Pending())
    for line in _new_lines(state, have):
        run.create_tasks(line)
    timer = run.timer_after()
    if timer != row.timer_at:
        run.set(timer_at=timer)
    run.event(EventKind.MIGRATED, actor, from_state=found.from_state, to_state=found.to_state,
              from_version=found.from_version, to_version=found.to_version,
              open_tasks=found.open_tasks, new_lines=list(found.new_lines))
    finish(run)
