"""Read models for the web and the CLI: plain dataclasses, never peewee rows.

Each function runs a constant number of queries whatever the number of tasks (joins and
subqueries, no query per row); specs come from the per-version cache in
:mod:`engine.versions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw

from engine import roles, store, versions
from engine.commands import utc
from engine.definitions.specs import WorkflowSpec
from engine.directory import normalize_email
from engine.errors import NotFound
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
    db,
)

Subject = Person.alias("subject")
Manager = Person.alias("manager")
DECISION_LIMIT = 200


@dataclass(frozen=True)
class TaskItem:
    """A task as lists show it."""

    id: int
    instance_id: int
    workflow_id: str
    workflow_title: str
    form_id: str
    form_title: str
    state: str
    role: str
    subject_email: str
    subject_name: str
    assignee_email: str | None
    assignee_name: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    submitted_at: datetime | None = None
    has_draft: bool = False
    cycle: str | None = None
    entry: int = 0
    escalated_to: str | None = None
    task_key: str = ""
    anonymous: bool = False  # its line is ``anonymous``: operator views hide the holder


@dataclass(frozen=True)
class DecisionItem:
    """An instance waiting in a state where this person may fire manual triggers."""

    instance_id: int
    workflow_id: str
    workflow_title: str
    state: str
    subject_email: str
    subject_name: str
    triggers: tuple[str, ...]
    entered_at: datetime
    task_id: int | None = None
    cycle: str | None = None


@dataclass
class Inbox:
    tasks: list[TaskItem] = field(default_factory=list)
    decisions: list[DecisionItem] = field(default_factory=list)
    unassigned: list[TaskItem] = field(default_factory=list)


@dataclass(frozen=True)
class SubmissionItem:
    id: int
    task_id: int | None
    form_id: str
    author_email: str
    author_name: str
    data: dict
    trigger: str | None
    entry: int
    state: str
    submitted_at: datetime
    task_key: str | None = None


@dataclass(frozen=True)
class EventItem:
    id: int
    at: datetime
    actor: str
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    task_id: int | None
    detail: dict


@dataclass(frozen=True)
class TriggerItem:
    trigger: str
    title: str | None
    dest: str
    allowed: tuple[str, ...]
    form: str | None


@dataclass
class InstanceDetail:
    id: int
    workflow_id: str
    workflow_title: str
    version: int
    definition_id: int
    state: str
    state_title: str | None
    status: str
    entry: int
    subject: dict
    cycle: str | None
    started_at: datetime
    entered_at: datetime
    finished_at: datetime | None
    parent_id: int | None
    children: list[dict]
    tasks: list[TaskItem]
    submissions: list[SubmissionItem]
    history: list[EventItem]
    triggers: list[TriggerItem]
    roles: dict  # role name -> [emails], resolved from the directory as it is now
    hr: list[str]
    states_entered: set[str]
    spec: WorkflowSpec = field(repr=False, default=None)


@dataclass(frozen=True)
class CycleProgress:
    id: int
    name: str
    workflow_id: str
    created_at: datetime
    total: int
    running: int
    finished: int
    cancelled: int
    by_state: dict
    completion: float  # percent of instances no longer running
    open_tasks: int
    overdue_tasks: int


@dataclass(frozen=True)
class InstanceItem:
    id: int
    workflow_id: str
    subject_email: str
    subject_name: str
    state: str
    status: str
    started_at: datetime
    entered_at: datetime
    cycle: str | None
    next_task: TaskItem | None = None
    waiting_on: tuple[TaskItem, ...] = ()


# ------------------------------------------------------------------------- helpers


def _version(definition_id: int):
    return versions.version_for(definition_id)


def _form_title(definition_id: int, form_id: str) -> str:
    version = _version(definition_id)
    form = version.forms.get(form_id)
    if form is None:
        return form_id
    return form.title or form.schema.get("title") or form_id


# Task lists are the hottest reads (the inbox), so their SQL is written once by hand:
# peewee's builder costs more than running the query on these machines.
_TASK_SELECT = (
    'SELECT t."id", t."instance_id", t."form_id", t."state", t."role", t."status", '
    't."created_at", t."due_at", t."submitted_at", t."draft" IS NOT NULL, t."entry", '
    't."task_key", i."workflow_id", i."definition_id", s."email", s."name", a."email", '
    'a."name", c."name", e."email" '
    'FROM "task" t JOIN "instance" i ON t."instance_id" = i."id" '
    'JOIN "person" s ON i."subject_id" = s."id" '
    'LEFT JOIN "person" a ON t."assignee_id" = a."id" '
    'LEFT JOIN "person" e ON t."escalated_to_id" = e."id" '
    'LEFT JOIN "cycle" c ON i."cycle_id" = c."id" ')
_DUE_ORDER = ' ORDER BY t."due_at" IS NULL, t."due_at", t."id"'
_datetime = Task.due_at.python_value


def _task_list(where: str, params: list, order: str = ' ORDER BY t."id"',
               limit: int | None = None, now: datetime | None = None) -> list[TaskItem]:
    """Task items matching ``where`` (SQL with ``{p}`` for each parameter)."""
    sql = _TASK_SELECT + "WHERE " + where.format(p=db.obj.param) + order
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = db.execute_sql(sql, params)
    return [_task_item(row, now) for row in cursor.fetchall()]


def _task_item(row, now: datetime) -> TaskItem:
    (tid, instance_id, form_id, state, role, status, created, due, submitted, has_draft, entry,
     key, workflow_id, definition_id, s_email, s_name, a_email, a_name, cycle, e_email) = row
    version = _version(definition_id)
    due = _datetime(due)
    return TaskItem(
        id=tid, instance_id=instance_id, workflow_id=workflow_id,
        workflow_title=version.spec.title, form_id=form_id,
        form_title=_form_title(definition_id, form_id), state=state, role=role,
        subject_email=s_email, subject_name=s_name, assignee_email=a_email,
        assignee_name=a_name, status=status, created_at=_datetime(created), due_at=due,
        overdue=status == TaskStatus.OPEN and due is not None and due < now,
        submitted_at=_datetime(submitted), has_draft=bool(has_draft), cycle=cycle,
        entry=entry, escalated_to=e_email, task_key=key,
        anonymous=(state, key) in _anonymous_lines(definition_id))


def _anonymous_lines(definition_id: int) -> frozenset:
    """``(state, task_key)`` of a version's anonymous task lines (cached per version)."""
    found = _ANONYMOUS.get(definition_id)
    if found is None:
        spec = _version(definition_id).spec
        found = frozenset((name, line.key) for name, state in spec.states.items()
                          for line in state.tasks if line.anonymous)
        _ANONYMOUS[definition_id] = found
    return found


_ANONYMOUS: dict[int, frozenset] = {}
store.reset_hooks.append(_ANONYMOUS.clear)  # definition ids of another database differ


def _person(email: str) -> Person:
    found = store.select_matching(Person, {"email": normalize_email(email)})
    if not found:
        raise NotFound(f"no person {email!r} in the directory")
    return found[0]


def _groups(person_id: int) -> set[str]:
    return {g.group for g in store.select_matching(PersonGroup, {"person": person_id})}


# ------------------------------------------------------------------------- inbox


def inbox(email: str, now: datetime | None = None) -> Inbox:
    """Open tasks of ``email`` (assigned or escalated), decisions waiting on them, and for
    HR the unassigned tasks. Constant query count."""
    now = utc(now)
    me = _person(email)
    groups = _groups(me.id)
    # Two index searches rather than one OR, which SQLite answers by scanning all open tasks.
    mine = _task_list('t."assignee_id" = {p} AND t."status" = {p}',
                      [me.id, TaskStatus.OPEN.value], _DUE_ORDER, now=now)
    mine += _task_list('t."escalated_to_id" = {p} AND t."status" = {p} '
                       'AND (t."assignee_id" IS NULL OR t."assignee_id" <> {p})',
                       [me.id, TaskStatus.OPEN.value, me.id], _DUE_ORDER, now=now)
    mine.sort(key=lambda t: (t.due_at is None, t.due_at or now, t.id))
    result = Inbox(tasks=mine)
    if roles.HR_GROUP in groups:
        result.unassigned = _task_list('t."assignee_id" IS NULL AND t."status" = {p}',
                                       [TaskStatus.OPEN.value], limit=DECISION_LIMIT, now=now)
    result.decisions = _decisions(me, groups, {t.instance_id: t.id for t in result.tasks})
    return result


def _decision_clauses(me: Person, groups: set[str]) -> tuple[list[str], list, int]:
    """SQL conditions (with their parameters) selecting instances where ``me`` may fire a
    manual trigger, and the longest manager chain they follow."""
    clauses, params, depth = [], [], 1
    for (definition_id,) in db.execute_sql('SELECT "id" FROM "definition"').fetchall():
        spec = _version(definition_id).spec
        for t in spec.transitions:
            if not t.manual:
                continue
            who, who_params = _who(spec, t.allowed or (roles.HR_GROUP,), me, groups)
            if who is None:
                continue
            depth = max(depth, _chain_depth(spec, t.allowed))
            states = ", ".join(["{p}"] * len(t.sources))
            clauses.append(f'(i."definition_id" = {{p}} AND i."state" IN ({states}) AND ({who}))')
            params += [definition_id, *t.sources, *who_params]
    return clauses, params, depth


def _chain_depth(spec: WorkflowSpec, allowed) -> int:
    return max((len(spec.roles[n].steps) for n in allowed
                if n in spec.roles and spec.roles[n].kind == "chain"), default=1)


def _plays(spec: WorkflowSpec, name: str, row: dict, me: Person, groups: set[str]) -> bool:
    """Does ``me`` play role ``name`` in the instance of a decision ``row``?"""
    role = spec.roles.get(name)
    if role is None:
        return name == roles.HR_GROUP and roles.HR_GROUP in groups
    if role.kind == "subject":
        return row["subject_id"] == me.id
    if role.kind == "chain":
        chain = row["chain"]  # the subject's manager, their manager, ...
        return len(role.steps) <= len(chain) and chain[len(role.steps) - 1] == me.id
    if role.kind == "group":
        return role.group in groups
    if role.kind == "person":
        return normalize_email(role.email or "") == me.email
    if role.kind == "field":
        forms = row["forms"] or {}
        return me.email in {normalize_email(e)
                            for e in roles.field_emails(forms, role.form, role.field)}
    return False


def _who(spec: WorkflowSpec, allowed, me: Person, groups: set[str]) -> tuple[str | None, list]:
    """SQL for "me plays one of ``allowed``" and its parameters (None: I never can).

    Chains of any depth are driven from my reports (the person.manager_id index), not
    from every instance. A ``field:`` role selects the instances with a submission of
    its form that mentions my email; which submission counts (the latest) is decided
    afterwards in Python (:func:`_plays`), so the SQL may only over-select.
    """
    conds, params = [], []
    for name in allowed:
        role = spec.roles.get(name)
        if role is None:
            if name == roles.HR_GROUP and roles.HR_GROUP in groups:
                conds.append("1 = 1")
        elif role.kind == "subject":
            conds.append('i."subject_id" = {p}')
            params.append(me.id)
        elif role.kind == "chain":
            conds.append(_reports_at(len(role.steps)))
            params.append(me.id)
        elif role.kind == "field":
            conds.append('i."id" IN (SELECT "instance_id" FROM "submission" '
                         'WHERE "form_id" = {p} AND LOWER("data") LIKE {p})')
            params += [role.form, f"%{me.email}%"]
        elif (role.kind == "group" and role.group in groups) or (
                role.kind == "person" and normalize_email(role.email or "") == me.email):
            conds.append("1 = 1")
    if not conds:
        return None, []
    return " OR ".join(conds), params


def _reports_at(depth: int) -> str:
    """SQL: the instance's subject has me as their ``depth``-th manager."""
    if depth == 1:
        return 'i."subject_id" IN (SELECT "id" FROM "person" WHERE "manager_id" = {p})'
    joins = "".join(f' JOIN "person" r{k} ON r{k - 1}."manager_id" = r{k}."id"'
                    for k in range(1, depth))
    return (f'i."subject_id" IN (SELECT r0."id" FROM "person" r0{joins} '
            f'WHERE r{depth - 1}."manager_id" = {{p}})')


def _decision_select(depth: int) -> str:
    """The decision rows with the subject's manager chain up to ``depth`` levels."""
    chain = ['s."manager_id"'] + [f'm{k}."manager_id"' for k in range(1, depth)]
    joins = "".join(f'LEFT JOIN "person" m{k} ON {"s" if k == 1 else f"m{k - 1}"}."manager_id"'
                    f' = m{k}."id" ' for k in range(1, depth))
    return ('SELECT i."id", i."workflow_id", i."definition_id", i."state", i."entered_at", '
            f'i."subject_id", s."email", s."name", c."name", {", ".join(chain)} '
            'FROM "instance" i JOIN "person" s ON i."subject_id" = s."id" '
            + joins + 'LEFT JOIN "cycle" c ON i."cycle_id" = c."id" ')


def _decisions(me: Person, groups: set[str], my_tasks: dict) -> list[DecisionItem]:
    clauses, params, depth = _decision_clauses(me, groups)
    if not clauses:
        return []
    sql = (_decision_select(max(depth, 2)) + 'WHERE i."status" = {p} AND ('
           + " OR ".join(clauses) + ")" + f' ORDER BY i."id" LIMIT {DECISION_LIMIT}')
    rows = db.execute_sql(sql.format(p=db.obj.param),
                          [InstanceStatus.RUNNING.value, *params]).fetchall()
    forms = _field_forms(rows)
    out = []
    for iid, workflow_id, definition_id, state, entered, subject_id, s_email, s_name, cycle, \
            *chain in rows:
        spec = _version(definition_id).spec
        row = {"subject_id": subject_id, "chain": chain, "forms": forms.get(iid)}
        triggers = []
        for t in spec.transitions_from(state):
            if t.manual and t.trigger not in triggers and any(
                    _plays(spec, name, row, me, groups)
                    for name in (t.allowed or (roles.HR_GROUP,))):
                triggers.append(t.trigger)
        if not triggers:  # a field: candidate whose latest answer names someone else
            continue
        out.append(DecisionItem(
            instance_id=iid, workflow_id=workflow_id, workflow_title=spec.title, state=state,
            subject_email=s_email, subject_name=s_name, triggers=tuple(triggers),
            entered_at=_datetime(entered), task_id=my_tasks.get(iid), cycle=cycle))
    return out


def _field_forms(rows) -> dict[int, dict]:
    """Instance id -> its ``forms`` for the decision rows whose triggers allow a ``field:``
    role (one query for all of them; none when no such role is involved)."""
    wanted: dict[int, WorkflowSpec] = {}
    form_ids: set[str] = set()
    for iid, _, definition_id, state, *_ in rows:
        spec = _version(definition_id).spec
        for t in spec.transitions_from(state):
            for name in (t.allowed if t.manual else ()):
                role = spec.roles.get(name)
                if role is not None and role.kind == "field":
                    wanted[iid] = spec
                    form_ids.add(role.form)
    if not wanted:
        return {}
    from engine.machine import forms_from_rows

    found: dict[int, list] = {iid: [] for iid in wanted}
    query = (Submission.select(Submission.instance, Submission.form_id, Submission.data,
                               Submission.entry)
             .where(Submission.instance.in_(list(wanted)) & Submission.form_id.in_(form_ids))
             .order_by(Submission.id).tuples())
    for iid, form_id, data, entry in query:
        found[iid].append((form_id, data, entry))
    return {iid: forms_from_rows(wanted[iid], items) for iid, items in found.items()}


def drafts(email: str, now: datetime | None = None) -> list[TaskItem]:
    """Open tasks of ``email`` with a saved draft."""
    now, me = utc(now), _person(email)
    return _task_list('t."assignee_id" = {p} AND t."status" = {p} AND t."draft" IS NOT NULL',
                      [me.id, TaskStatus.OPEN.value], now=now)


def recently_done(email: str, limit: int = 20, now: datetime | None = None) -> list[TaskItem]:
    """Tasks ``email`` submitted, newest first."""
    now, me = utc(now), normalize_email(email)
    return _task_list('t."submitted_by" = {p} AND t."status" = {p}',
                      [me, TaskStatus.SUBMITTED.value],
                      ' ORDER BY t."submitted_at" DESC, t."id" DESC', limit, now)


def tasks(assignee: str | None = None, open_only: bool = False, limit: int = 200,
          now: datetime | None = None) -> list[TaskItem]:
    """Tasks, optionally of one assignee and/or only open ones (the CLI's list)."""
    where, params = ["1 = 1"], []
    if assignee:
        where.append('a."email" = {p}')
        params.append(normalize_email(assignee))
    if open_only:
        where.append('t."status" = {p}')
        params.append(TaskStatus.OPEN.value)
    return _task_list(" AND ".join(where), params, limit=limit, now=utc(now))


def task_detail(task_id, now: datetime | None = None) -> TaskItem:
    """One task; raise ``NotFound``."""
    try:
        found = _task_list('t."id" = {p}', [int(task_id)], now=utc(now))
    except (TypeError, ValueError):
        found = None
    if not found:
        raise NotFound(f"no task {task_id}")
    return found[0]


# ------------------------------------------------------------------------- instance


def _event_item(e: Event) -> EventItem:
    return EventItem(e.id, e.at, e.actor, e.kind, e.trigger, e.from_state, e.to_state,
                     e.task_id, e.detail or {})


def history(instance_id) -> list[EventItem]:
    """The instance's events in order (append-only)."""
    inst = _instance_row(instance_id)
    return [_event_item(e) for e in Event.select().where(Event.instance == inst.id)
            .order_by(Event.id)]


def _instance_row(instance_id) -> Instance:
    try:
        found = (Instance.select(Instance, Subject, Manager, Cycle)
                 .join(Subject, on=(Instance.subject == Subject.id))
                 .join(Manager, pw.JOIN.LEFT_OUTER, on=(Subject.manager == Manager.id))
                 .switch(Instance)
                 .join(Cycle, pw.JOIN.LEFT_OUTER, on=(Instance.cycle == Cycle.id))
                 .where(Instance.id == int(instance_id)).first())
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(f"no instance {instance_id}")
    return found


def instance_detail(instance_id, now: datetime | None = None) -> InstanceDetail:
    """Everything the instance page shows; constant query count."""
    now = utc(now)
    inst = _instance_row(instance_id)
    spec = _version(inst.definition_id).spec
    tasks = _task_list('t."instance_id" = {p}', [inst.id], now=now)
    subs = list(Submission.select(Submission, Person)
                .join(Person, on=(Submission.author == Person.id))
                .where(Submission.instance == inst.id).order_by(Submission.id))
    keys = {t.id: t.task_key for t in tasks}
    events = [_event_item(e) for e in Event.select().where(Event.instance == inst.id)
              .order_by(Event.id)]
    children = [{"id": c.id, "workflow_id": c.workflow_id, "state": c.state,
                 "status": c.status} for c in Instance.select().where(Instance.parent == inst.id)]
    submissions = [_submission_item(s, keys) for s in subs]
    manager = inst.subject.manager if inst.subject.manager_id else None
    state = spec.states.get(inst.state)
    return InstanceDetail(
        id=inst.id, workflow_id=inst.workflow_id, workflow_title=spec.title,
        version=spec.version, definition_id=inst.definition_id, state=inst.state,
        state_title=state.title if state else None, status=inst.status, entry=inst.entry,
        subject=_subject_dict(inst.subject, manager),
        cycle=inst.cycle.name if inst.cycle_id else None,
        started_at=inst.started_at, entered_at=inst.entered_at, finished_at=inst.finished_at,
        parent_id=inst.parent_id, children=children,
        tasks=tasks, submissions=submissions,
        history=events, triggers=_triggers(spec, inst.state, inst.status),
        roles=_instance_roles(spec, inst, manager, submissions),
        hr=[p.email for p in _group_members([roles.HR_GROUP])[roles.HR_GROUP]],
        states_entered={e.to_state for e in events if e.to_state}, spec=spec,
    )


def _submission_item(s: Submission, keys: dict) -> SubmissionItem:
    task_key = keys.get(s.task_id)
    return SubmissionItem(s.id, s.task_id, s.form_id, s.author.email, s.author.name, s.data,
                          s.trigger, s.entry, s.state, s.submitted_at, task_key)


def _subject_dict(person: Person, manager: Person | None) -> dict:
    return {"id": person.id, "email": person.email, "name": person.name,
            "department": person.department, "title": person.title,
            "manager_email": manager.email if manager else None,
            "manager_name": manager.name if manager else None, "active": person.active,
            "manager_id": person.manager_id}


def _group_members(names) -> dict[str, list[Person]]:
    out = {n: [] for n in names}
    query = (Person.select(Person, PersonGroup.group).join(PersonGroup)
             .where(PersonGroup.group.in_(sorted(out)) & (Person.active == True))  # noqa: E712
             .order_by(Person.email).objects())
    for p in query:
        out[p.group].append(p)
    return out


def _instance_roles(spec: WorkflowSpec, inst: Instance, manager: Person | None,
                    submissions: list[SubmissionItem]) -> dict:
    """Role name -> emails, with a constant number of queries (chains beyond the skip
    level cost one query per level of the longest chain)."""
    groups = _group_members({r.group for r in spec.roles.values() if r.kind == "group"}
                            | {roles.HR_GROUP})
    out: dict[str, list[str]] = {}
    chain = [inst.subject, manager]
    depth = roles.chain_depth(spec)
    while len(chain) <= depth and chain[-1] is not None:
        chain.append(Person.get_or_none(Person.id == chain[-1].manager_id)
                     if chain[-1].manager_id else None)
    rows = [(s.form_id, s.data, s.entry) for s in submissions]
    from engine.machine import forms_from_rows

    forms = forms_from_rows(spec, rows)
    for name, role in spec.roles.items():
        if role.kind == "subject":
            out[name] = [inst.subject.email]
        elif role.kind == "chain":
            person = chain[len(role.steps)] if len(role.steps) < len(chain) else None
            out[name] = [person.email] if person is not None and person.active else []
        elif role.kind == "group":
            out[name] = [p.email for p in groups.get(role.group, [])]
        elif role.kind == "field":
            out[name] = [normalize_email(e) for e in roles.field_emails(forms, role.form,
                                                                         role.field)]
        elif role.kind == "person":
            out[name] = [normalize_email(role.email or "")]
    return out


def _triggers(spec: WorkflowSpec, state: str, status: str) -> list[TriggerItem]:
    if status != InstanceStatus.RUNNING:
        return []
    seen, out = set(), []
    for t in spec.transitions_from(state):
        if t.manual and t.trigger not in seen:
            seen.add(t.trigger)
            out.append(TriggerItem(t.trigger, t.title, t.dest, t.allowed, t.form))
    return out


# ------------------------------------------------------------------------- HR views


def cycles(now: datetime | None = None) -> list[CycleProgress]:
    """Every cycle with its progress: instances per state, completion %, overdue tasks."""
    now = utc(now)
    counts: dict[int, dict] = {}
    query = (Instance.select(Instance.cycle, Instance.state, Instance.status,
                             pw.fn.COUNT(Instance.id).alias("n"))
             .where(Instance.cycle.is_null(False))
             .group_by(Instance.cycle, Instance.state, Instance.status))
    for row in query.dicts():
        counts.setdefault(row["cycle"], []).append(row)
    tasks_open = _task_counts(now)
    out = []
    for cycle in Cycle.select().order_by(Cycle.created_at, Cycle.id):
        rows = counts.get(cycle.id, [])
        by_status = {s: sum(r["n"] for r in rows if r["status"] == s) for s in InstanceStatus}
        by_state: dict[str, int] = {}
        for r in rows:
            by_state[r["state"]] = by_state.get(r["state"], 0) + r["n"]
        total = sum(by_status.values())
        done = total - by_status[InstanceStatus.RUNNING]
        open_n, overdue = tasks_open.get(cycle.id, (0, 0))
        out.append(CycleProgress(
            cycle.id, cycle.name, cycle.workflow_id, cycle.created_at, total,
            by_status[InstanceStatus.RUNNING], by_status[InstanceStatus.FINISHED],
            by_status[InstanceStatus.CANCELLED], by_state,
            round(100.0 * done / total, 1) if total else 0.0, open_n, overdue))
    return out


def _task_counts(now: datetime) -> dict[int, tuple[int, int]]:
    overdue = pw.Case(None, [((Task.due_at < now), 1)], 0)
    query = (Task.select(Instance.cycle, pw.fn.COUNT(Task.id).alias("n"),
                         pw.fn.SUM(overdue).alias("late"))
             .join(Instance, on=(Task.instance == Instance.id))
             .where((Task.status == TaskStatus.OPEN) & Instance.cycle.is_null(False))
             .group_by(Instance.cycle))
    return {r["cycle"]: (r["n"], int(r["late"] or 0)) for r in query.dicts()}


def _instance_items(query, now: datetime) -> list[InstanceItem]:
    rows = list(query)
    if not rows:
        return []
    ids = [r.id for r in rows]
    waiting: dict[int, list[TaskItem]] = {}
    marks = ", ".join(["{p}"] * len(ids))
    open_tasks = _task_list(f't."status" = {{p}} AND t."instance_id" IN ({marks})',
                            [TaskStatus.OPEN.value, *ids], _DUE_ORDER, now=now)
    for t in open_tasks:
        waiting.setdefault(t.instance_id, []).append(t)
    out = []
    for r in rows:
        items = tuple(waiting.get(r.id, ()))
        out.append(InstanceItem(
            r.id, r.workflow_id, r.subject.email, r.subject.name, r.state, r.status,
            r.started_at, r.entered_at, r.cycle.name if r.cycle_id else None,
            items[0] if items else None, items))
    return out


def _instances():
    return (Instance.select(Instance, Subject, Cycle)
            .join(Subject, on=(Instance.subject == Subject.id))
            .switch(Instance).join(Cycle, pw.JOIN.LEFT_OUTER, on=(Instance.cycle == Cycle.id))
            .switch(Instance))


def team(manager_email: str, now: datetime | None = None,
         limit: int = 500) -> list[InstanceItem]:
    """Running instances about the direct reports of ``manager_email``, with what each
    waits on (open tasks and their assignees)."""
    now, me = utc(now), _person(manager_email)
    query = (_instances().where((Subject.manager == me.id)
                                & (Instance.status == InstanceStatus.RUNNING))
             .order_by(Subject.name, Instance.id).limit(limit))
    return _instance_items(query, now)


def instances_of(workflow_id: str, status: str | None = InstanceStatus.RUNNING,
                 now: datetime | None = None, limit: int = 500) -> list[InstanceItem]:
    """Instances of one workflow (e.g. active PIPs) with state, start and next due task."""
    now = utc(now)
    query = _instances().where(Instance.workflow_id == workflow_id)
    if status:
        query = query.where(Instance.status == status)
    return _instance_items(query.order_by(Instance.started_at, Instance.id).limit(limit), now)
