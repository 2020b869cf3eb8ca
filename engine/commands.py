"""Commands that change instances: each one transaction that locks the instance row.

launch, start, save_draft, submit (optionally firing a decision), fire, reassign,
delegate, cancel. Every command writes its history event in the same transaction. A
refused attempt (:class:`NotAllowed`) rolls everything back, then records the refusal
with its reason in a transaction of its own, so the refusal persists and nothing else
changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee as pw

from engine import roles, store, versions
from engine.definitions.specs import Library, TransitionSpec
from engine.directory import People, normalize_email
from engine.errors import Conflict, NotAllowed, NotFound, ReviewflowError, SubmissionInvalid
from engine.locking import lock_instance, transaction
from engine.machine import Pending, Run, first_timer
from engine.source import did_you_mean
from engine.store import (
    Cycle,
    Event,
    Instance,
    InstanceStatus,
    Person,
    PersonGroup,
    Submission,
    Task,
    TaskStatus,
)
from engine.submissions import check_submission, strip_unknown

SYSTEM = "system"
LAUNCH_BATCH = 500
STANDARD_FILTERS = ("department", "title", "group", "manager", "email")


@dataclass(frozen=True)
class CommandResult:
    """Where an instance ended after a command (auto transitions included)."""

    instance_id: int
    state: str
    status: str
    fired: tuple[str, ...] = ()
    task_id: int | None = None


@dataclass(frozen=True)
class LaunchResult:
    """What a launch did: instances created now, and those that already existed."""

    cycle_id: int
    cycle: str
    workflow_id: str
    version: int
    created: int
    existing: int


def utc(now: datetime | None) -> datetime:
    """Times are stored as naive UTC; accept aware times and default to now."""
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _result(run: Run, task_id: int | None = None) -> CommandResult:
    return CommandResult(run.row.id, run.row.state, run.row.status, tuple(run.fired), task_id)


def _run_for(row: Instance, now: datetime, people: People | None = None) -> Run:
    version = versions.version_for(row.definition_id)
    return Run(row, version, people or People(), now, Pending())


def _finish(run: Run) -> None:
    run.save()
    run.pending.flush()


def _require_running(row: Instance) -> None:
    if row.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {row.id} is {row.status}, not running")


def record_refusal(instance_id: int, actor: str, reason: str, now: datetime,
                   trigger: str | None = None, task_id: int | None = None) -> None:
    """Record a refused attempt in history, in its own transaction (after the rollback)."""
    with transaction():
        state = Instance.select(Instance.state).where(Instance.id == instance_id).scalar()
        Event.create(instance=instance_id, at=now, actor=actor, kind="refused", trigger=trigger,
                     from_state=state, task=task_id, detail={"reason": reason})


class _refusals_recorded:  # noqa: N801 - used like a function: ``with _refusals_recorded(...)``
    """Around a command body: on NotAllowed, record the refusal, then let it propagate."""

    def __init__(self, instance_id: int, actor: str, now: datetime, trigger=None,
                 task_id=None):
        self.args = (instance_id, actor, now, trigger, task_id)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, NotAllowed):
            instance_id, actor, now, trigger, task_id = self.args
            record_refusal(instance_id, actor, exc.reason, now, trigger, task_id)
        return False


# ------------------------------------------------------------------------- launch


def _filters(where: Iterable) -> list[tuple[str, str]]:
    out = []
    for item in where or ():
        key, value = item if isinstance(item, tuple | list) else str(item).split("=", 1)
        out.append((str(key).strip(), str(value).strip()))
    return out


def _population(filters: list[tuple[str, str]]):
    """Active people matching every filter key (several values of one key: any of them)."""
    query = Person.select().where(Person.active == True)  # noqa: E712
    by_key: dict[str, list[str]] = {}
    for key, value in filters:
        by_key.setdefault(key, []).append(value)
    extra = {}
    for key, values in by_key.items():
        if key in ("department", "title"):
            query = query.where(getattr(Person, key).in_(values))
        elif key == "email":
            query = query.where(Person.email.in_([normalize_email(v) for v in values]))
        elif key == "group":
            members = PersonGroup.select(PersonGroup.person).where(PersonGroup.group.in_(values))
            query = query.where(Person.id.in_(members))
        elif key == "manager":
            managers = Person.select(Person.id).where(
                Person.email.in_([normalize_email(v) for v in values]))
            query = query.where(Person.manager.in_(managers))
        else:
            extra[key] = set(values)
    return query, extra


def _check_filters(filters: list[tuple[str, str]]) -> None:
    """An unknown field would silently match nobody: say so instead."""
    for key, _value in filters:
        if key in STANDARD_FILTERS:
            continue
        pattern = pw.Value(f'%"{key}":%', converter=False)  # raw text, not JSON-encoded
        if not Person.select().where(
                pw.Expression(Person.attributes, pw.OP.ILIKE, pattern)).exists():
            raise NotFound(f"no directory field '{key}' (filters: "
                           f"{', '.join(STANDARD_FILTERS)} or a column of the people CSV)")


def population(where: Iterable = ()) -> list[Person]:
    """Active people a launch with ``where`` would cover, by name (for a preview)."""
    query, extra = _population(_filters(where))
    return [p for p in query.order_by(Person.name, Person.id) if _matches(p, extra)]


def _matches(person: Person, extra: dict) -> bool:
    attrs = person.attributes or {}
    return all(str(attrs.get(key, "")) in values for key, values in extra.items())


def _cycle(name: str, version: versions.Version, filters, actor: str, now: datetime) -> Cycle:
    if not name or not name.strip():
        raise ReviewflowError("a cycle needs a name (--cycle NAME)")
    found = Cycle.get_or_none(Cycle.name == name)
    if found is None:
        try:
            with transaction():
                found = Cycle.create(name=name, workflow_id=version.spec.id,
                                     definition=version.definition_id, filters=filters,
                                     created_at=now, created_by=actor)
        except pw.IntegrityError:
            found = Cycle.get(Cycle.name == name)
    if found.workflow_id != version.spec.id:
        raise Conflict(f"cycle '{name}' runs workflow '{found.workflow_id}', "
                       f"not '{version.spec.id}' (choose another cycle name)")
    return found


def launch(library: Library, workflow_id: str, cycle: str, where: Iterable = (),
           actor: str = SYSTEM, now: datetime | None = None,
           batch_size: int = LAUNCH_BATCH) -> LaunchResult:
    """Launch ``workflow_id`` (its current version) for everyone matching ``where``.

    One instance per subject and cycle; launching again adds only the missing subjects.
    The population is streamed in batches, each batch one transaction.
    """
    now = utc(now)
    version = versions.ensure(library, workflow_id, now)
    filters = _filters(where)
    _check_filters(filters)
    cycle_row = _cycle(cycle, version, filters, actor, now)
    query, extra = _population(filters)
    created = existing = 0
    last_id = 0
    token = uuid.uuid4().hex[:20]  # + "-<last id>" per batch, within the 40-char column
    while True:
        batch = store.fetch(Person, query.where(Person.id > last_id).order_by(Person.id)
                            .limit(batch_size))
        if not batch:
            break
        last_id = batch[-1].id
        subjects = [p for p in batch if _matches(p, extra)]
        if subjects:
            # a token per batch: the rows this batch inserted are the ones carrying it
            made = _launch_batch(version, cycle_row, subjects, f"{token}-{last_id}", actor, now)
            created += made
            existing += len(subjects) - made
    return LaunchResult(cycle_row.id, cycle_row.name, version.spec.id, version.spec.version,
                        created, existing)


def _launch_batch(version, cycle_row: Cycle, subjects: list[Person], token: str,
                  actor: str, now: datetime) -> int:
    spec = version.spec
    ids = [p.id for p in subjects]
    with transaction():
        have = {i.subject_id for i in Instance.select(Instance.subject).where(
            (Instance.cycle == cycle_row.id) & Instance.subject.in_(ids))}
        timer = first_timer(spec, spec.initial, now)
        rows = [{
            "definition": version.definition_id, "workflow_id": spec.id, "cycle": cycle_row.id,
            "subject": pid, "state": spec.initial, "status": InstanceStatus.RUNNING,
            "entry": 1, "started_at": now, "entered_at": now, "timer_at": timer,
            "launch_token": token,
        } for pid in ids if pid not in have]
        if not rows:
            return 0
        store.insert_rows(Instance, rows, ignore_conflicts=True)
        mine = store.select_matching(Instance, {"cycle": cycle_row.id, "launch_token": token})
        people = People()
        people.add(subjects)
        people.preload_chains(subjects, roles.chain_depth(spec))
        pending = Pending()
        runs = []
        for row in mine:
            run = Run(row, version, people, now, pending, new=True)
            run.event("launched", actor, to_state=spec.initial, cycle=cycle_row.name)
            run.enter(spec.initial)
            run.advance(actor)
            runs.append(run)
        for run in runs:
            run.save()
        pending.flush()
        return len(mine)


def start(library: Library, workflow_id: str, subject_email: str, actor: str,
          now: datetime | None = None) -> CommandResult:
    """Start one instance of ``workflow_id`` for one person, outside any cycle.

    HR always may; then the roles of the workflow's ``started_by`` (the employee asking
    for feedback about themselves), or, without it, the subject's manager (a PIP).
    """
    now = utc(now)
    actor = normalize_email(actor)
    version = versions.ensure(library, workflow_id, now)
    people = People()
    subject = people.find(subject_email)
    if subject is None or not subject.active:
        raise NotFound(f"no active person {subject_email!r} in the directory")
    spec = version.spec
    may, who = may_start(spec, subject, actor, people)
    if not may:
        raise NotAllowed(f"{actor} may not start '{workflow_id}' for {subject.email} "
                         f"(only {who} may)")
    with transaction():
        row = Instance.create(
            definition=version.definition_id, workflow_id=spec.id, cycle=None,
            subject=subject.id, state=spec.initial, status=InstanceStatus.RUNNING, entry=1,
            started_at=now, entered_at=now, timer_at=first_timer(spec, spec.initial, now))
        run = Run(row, version, people, now, Pending(), new=True)
        run.event("launched", actor, to_state=spec.initial)
        run.enter(spec.initial)
        run.advance(actor)
        _finish(run)
    return _result(run)


def may_start(spec, subject: Person, actor: str, people: People) -> tuple[bool, str]:
    """May ``actor`` start ``spec`` about ``subject``? And who may, in words."""
    if roles.is_hr(actor, people):
        return True, "HR"
    if spec.started_by:
        who = f"HR or {' or '.join(spec.started_by)}"
        return roles.plays(actor, spec.started_by, spec, subject, people, dict) is not None, who
    manager = people.get(subject.manager_id)
    return bool(manager and manager.email == actor), "HR or the manager"


# ------------------------------------------------------------------------- tasks


def _instance_of_task(task_id) -> int:
    try:
        row = store.db.execute_sql('SELECT "instance_id" FROM "task" WHERE "id" = '
                                   + store.db.obj.param, [int(task_id)]).fetchone()
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise NotFound(f"no task {task_id}")
    return row[0]


def _locked_task(run: Run, task_id: int) -> Task:
    """Read the task again under the lock (it may have changed while we waited)."""
    return store.get_row(Task, int(task_id))


def _check_actor(task: Task, actor: str, run: Run) -> None:
    _require_running(run.row)
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is already {task.status}")
    allowed = {run.people.get(task.assignee_id), run.people.get(task.escalated_to_id)}
    if actor not in {p.email for p in allowed if p is not None}:
        raise NotAllowed(f"task {task.id} is not assigned to {actor}")


def _payload(data) -> dict:
    if not isinstance(data, dict):
        raise SubmissionInvalid({"": ["The submission must be a JSON object."]})
    return data


def save_draft(task_id, actor: str, data: dict, now: datetime | None = None) -> CommandResult:
    """Keep unfinished answers on the task (not validated; only the assignee)."""
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_of_task(task_id)
    with _refusals_recorded(instance_id, actor, now, task_id=int(task_id)):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            task = _locked_task(run, task_id)
            _check_actor(task, actor, run)
            form = run.version.form(task.form_id)
            draft = strip_unknown(form, _payload(data))
            store.update_row(Task, task.id, draft=draft)
            run.event("draft-saved", actor, task_id=task.id, form=task.form_id)
            _finish(run)
            return _result(run, task.id)


def submit(task_id, actor: str, data: dict, trigger: str | None = None,
           now: datetime | None = None, trigger_data: dict | None = None) -> CommandResult:
    """Submit a task's form (validated; nothing stored when invalid).

    With ``trigger``, also fire that manual trigger in the same command (a decision:
    "Approve", "Send back"); ``trigger_data`` is the data of the transition's own
    ``form`` (a send-back reason), validated and stored like :func:`fire` does: without
    it, a transition with a ``form`` is refused with that form's per-field errors and
    nothing is stored. Auto transitions that the submission completes fire too.
    """
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_of_task(task_id)
    with _refusals_recorded(instance_id, actor, now, trigger, int(task_id)):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            task = _locked_task(run, task_id)
            _check_actor(task, actor, run)
            form = run.version.form(task.form_id)
            data = strip_unknown(form, _payload(data))
            check_submission(form, data)
            _record_submission(run, task, actor, data, trigger)
            if trigger:
                chosen = choose_manual(run, trigger, actor)
                if chosen.form:  # missing data is checked too: a decision needs its reason
                    _transition_form(run, chosen, actor, trigger_data)
                run.take(chosen, actor)
            run.advance(actor)
            _finish(run)
            return _result(run, task.id)


def _record_submission(run: Run, task: Task, actor: str, data: dict, trigger) -> None:
    author = run.people.find(actor)
    store.insert_rows(Submission, [{
        "instance": run.row.id, "task": task.id, "form_id": task.form_id, "author": author.id,
        "data": data, "trigger": trigger, "entry": task.entry, "state": task.state,
        "submitted_at": run.now}])
    fields = {"status": TaskStatus.SUBMITTED, "submitted_at": run.now, "submitted_by": actor,
              "draft": None, "remind_at": None, "escalate_at": None}
    store.update_row(Task, task.id, **fields)
    for row in run.tasks():
        if row.id == task.id:
            for name, value in fields.items():
                setattr(row, name, value)
    run.note_submission(task.form_id, data)
    run.event("submitted", actor, task_id=task.id, form=task.form_id, state=task.state)


# ------------------------------------------------------------------------- triggers


def choose_manual(run: Run, trigger: str, actor: str) -> TransitionSpec:
    """The transition ``actor`` fires with ``trigger`` now, or a clear refusal.

    Unknown trigger: NotFound. Not from this state: Conflict. Not manual, not an allowed
    role, or no candidate's conditions hold: NotAllowed (recorded by the caller).
    """
    spec, state = run.spec, run.row.state
    named = [t for t in spec.transitions if t.trigger == trigger]
    if not named:
        hint = did_you_mean(trigger, sorted({t.trigger for t in spec.transitions}))
        raise NotFound(f"workflow '{spec.id}' has no trigger '{trigger}'"
                       + (f" ({hint})" if hint else ""))
    here = [t for t in named if state in t.sources]
    if not here:
        sources = sorted({s for t in named for s in t.sources})
        raise Conflict(f"instance {run.row.id} is in state '{state}'; '{trigger}' applies "
                       f"only from {', '.join(sources)}")
    manual = [t for t in here if t.manual]
    if not manual:
        raise NotAllowed(f"'{trigger}' fires by itself (auto or timer), not by hand")
    permitted = [t for t in manual if may_fire(run, t, actor)]
    if not permitted:
        who = sorted({r for t in manual for r in (t.allowed or (roles.HR_GROUP,))})
        raise NotAllowed(f"{actor} may not fire '{trigger}': only {' or '.join(who)} may")
    reasons = []
    for t in permitted:
        ok, reason = run.holds(t)
        if ok:
            return t
        reasons.append(reason)
    raise NotAllowed(f"'{trigger}' refused: {'; '.join(r for r in reasons if r)}")


def may_fire(run: Run, transition: TransitionSpec, actor: str) -> bool:
    """Does ``actor`` play one of the transition's ``allowed`` roles (HR when none given)?"""
    if not transition.allowed:
        return roles.is_hr(actor, run.people)
    return roles.plays(actor, transition.allowed, run.spec, run.subject, run.people,
                       run.forms) is not None


def fire(instance_id, trigger: str, actor: str, data: dict | None = None,
         now: datetime | None = None) -> CommandResult:
    """Fire a manual trigger (a button), with the transition's ``form`` data if it has one."""
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_id(instance_id)
    with _refusals_recorded(instance_id, actor, now, trigger):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            _require_running(run.row)
            chosen = choose_manual(run, trigger, actor)
            if chosen.form:
                _transition_form(run, chosen, actor, data)
            run.take(chosen, actor)
            run.advance(actor)
            _finish(run)
            return _result(run)


def _instance_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"no instance {value!r}") from None


def _transition_form(run: Run, transition: TransitionSpec, actor: str, data) -> None:
    form = run.version.form(transition.form)
    data = strip_unknown(form, _payload(data if data is not None else {}))
    check_submission(form, data)
    author = run.people.find(actor)
    Submission.create(instance=run.row.id, task=None, form_id=form.id, author=author.id,
                      data=data, trigger=transition.trigger, entry=run.row.entry,
                      state=run.row.state, submitted_at=run.now)
    run.note_submission(form.id, data)


# ------------------------------------------------------------------------- people


def reassign(task_id, to_email: str | None, actor: str, reason: str | None = None,
             now: datetime | None = None) -> CommandResult:
    """Give an open task to someone else: HR always, the assignee when ``delegable``.

    With ``to_email=None`` the task's role is resolved again from the directory as it is
    now ("by the rule": after a change of manager), which only HR may ask for.
    """
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_of_task(task_id)
    with _refusals_recorded(instance_id, actor, now, task_id=int(task_id)):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            task = _locked_task(run, task_id)
            _require_running(run.row)
            if task.status != TaskStatus.OPEN:
                raise Conflict(f"task {task.id} is already {task.status}")
            kind = _reassign_kind(run, task, actor)
            target = _by_rule(run, task) if to_email is None else run.people.find(to_email)
            if target is None or not target.active:
                raise NotFound(f"no active person {to_email!r} in the directory")
            if to_email is None and kind != "reassigned":
                raise NotAllowed("only HR may reassign a task by its rule")
            before = run.people.get(task.assignee_id)
            store.update_row(Task, task.id, assignee=target.id)
            run.event(kind, actor, task_id=task.id, form=task.form_id,
                      previous=before.email if before else None, to=target.email,
                      reason=reason)
            run.notify([target.email], "assigned", f"New task: {task.form_id}",
                       f"{actor} gave you the task '{task.form_id}' about "
                       f"{run.subject.name}.", task_id=task.id)
            _finish(run)
            return _result(run, task.id)


def _by_rule(run: Run, task: Task) -> Person:
    """The one person the task's role names today (several or nobody: a clear error)."""
    role = run.spec.roles[task.role]
    found = roles.resolve(role, run.subject, run.people,
                          run.forms() if role.kind == "field" else None)
    if len(found.people) != 1:
        who = ", ".join(p.email for p in found.people) or "nobody"
        raise Conflict(f"role '{task.role}' names {who} today; say who should get the task")
    return found.people[0]


def _reassign_kind(run: Run, task: Task, actor: str) -> str:
    if roles.is_hr(actor, run.people):
        return "reassigned"
    assignee = run.people.get(task.assignee_id)
    line = run.line_of(task)
    if assignee is not None and assignee.email == actor:
        if line is not None and line.delegable:
            return "delegated"
        raise NotAllowed(f"task {task.id} is not delegable; ask HR to reassign it")
    raise NotAllowed(f"{actor} may not reassign task {task.id} (HR or a delegating "
                     "assignee may)")


def delegate(task_id, to_email: str, actor: str, reason: str | None = None,
             now: datetime | None = None) -> CommandResult:
    """The assignee hands a ``delegable`` task to someone else (same rules as reassign)."""
    return reassign(task_id, to_email, actor, reason, now)


def cancel(instance_id, actor: str, reason: str, now: datetime | None = None) -> CommandResult:
    """HR stops an instance; its open tasks are cancelled and stay in history."""
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_id(instance_id)
    if not reason or not str(reason).strip():
        raise ReviewflowError("a reason is required to cancel an instance")
    with _refusals_recorded(instance_id, actor, now, "cancel"):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            _require_running(run.row)
            if not roles.is_hr(actor, run.people):
                raise NotAllowed(f"{actor} may not cancel instance {instance_id} (HR may)")
            run.cancel(actor, str(reason).strip())
            _finish(run)
            return _result(run)


def reveal_anonymous(instance_id, actor: str, reason: str | None = None,
                     now: datetime | None = None) -> CommandResult:
    """Record that HR looked at who wrote an instance's anonymous answers.

    Operator views mask anonymous authors (:mod:`engine.anonymity`); unmasking is HR's
    act alone and leaves an ``anonymity-revealed`` event in the history, who and why.
    """
    now, actor = utc(now), normalize_email(actor)
    instance_id = _instance_id(instance_id)
    with _refusals_recorded(instance_id, actor, now, "reveal-anonymous"):
        with transaction():
            run = _run_for(lock_instance(instance_id), now)
            if not roles.is_hr(actor, run.people):
                raise NotAllowed(f"{actor} may not reveal anonymous authors (HR may)")
            run.event("anonymity-revealed", actor, reason=(reason or "").strip() or None)
            _finish(run)
            return _result(run)
