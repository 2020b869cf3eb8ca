"""One person's work: open tasks, decisions waiting on them, drafts, task lists.

Constant query counts: the inbox is the hottest read (bench/cycle.py measures it).
"""

from __future__ import annotations

from datetime import datetime

from engine import directory, roles, server_prepared, statements, versions
from engine.clock import utc
from engine.definitions.specs import WorkflowSpec
from engine.directory import People, normalize_email
from engine.errors import NotFound
from engine.queries.items import (
    DECISION_LIMIT,
    DecisionItem,
    Inbox,
    TaskItem,
    stored_datetime,
    task_list,
    task_list_union,
)
from engine.store import (
    InstanceStatus,
    Person,
    Submission,
    Task,
    TaskStatus,
    db,
)


def inbox(email: str, now: datetime | None = None, *, person: Person | None = None,
          groups: set[str] | frozenset[str] | None = None) -> Inbox:
    """Open tasks of ``email`` (assigned or escalated), decisions waiting on them, and for
    HR the unassigned tasks. Constant query count. A caller that has read the person and
    their groups already (the signed-in reader) passes them, and they are not read again."""
    now = utc(now)
    known = person is not None and groups is not None and person.email == email
    me = person if known else directory.person(email)
    groups = set(groups) if known else directory.groups_of(me.id)
    # Two index searches rather than one OR, which SQLite answers by scanning all open tasks.
    mine = task_list_union([
        ('t."assignee_id" = {p} AND t."status" = {p}', [me.id, TaskStatus.OPEN.value]),
        ('t."escalated_to_id" = {p} AND t."status" = {p} '
         'AND (t."assignee_id" IS NULL OR t."assignee_id" <> {p})',
         [me.id, TaskStatus.OPEN.value, me.id])], now=now)
    mine.sort(key=lambda t: (t.due_at is None, t.due_at or now, t.id))
    # my drafts are among my open tasks: no query of their own (an escalated task's draft
    # is its holder's)
    drafts = sorted((t for t in mine if t.has_draft and t.assignee_email == me.email),
                    key=lambda t: t.id)
    result = Inbox(tasks=mine, drafts=drafts)
    if me.active and roles.hr_in(groups):
        # never the tasks of an instance about themselves (separation of duties)
        result.unassigned = task_list('t."assignee_id" IS NULL AND t."status" = {p} '
                                       'AND i."subject_id" <> {p}',
                                       [TaskStatus.OPEN.value, me.id], limit=DECISION_LIMIT,
                                       now=now)
    result.decisions = _decisions(me, groups, {t.instance_id: t.id for t in result.tasks})
    return result


def _decision_clauses(me: Person, groups: set[str]) -> tuple[list[str], list, int]:
    """SQL conditions (with their parameters) selecting instances where ``me`` may fire a
    manual trigger, and the longest manager chain they follow."""
    clauses, params, depth = [], [], 1
    for (definition_id,) in db.execute_sql('SELECT "id" FROM "definition"').fetchall():
        spec = versions.version_for(definition_id).spec
        for t in spec.transitions:
            if not t.manual:
                continue
            who, who_params = roles.inbox_sql(spec, roles.deciders(t), me, groups)
            if who is None:
                continue
            depth = max(depth, roles.chain_depth(spec, t.allowed))
            states = ", ".join(["{p}"] * len(t.sources))
            clauses.append(f'(i."definition_id" = {{p}} AND i."state" IN ({states}) AND ({who}))')
            params += [definition_id, *t.sources, *who_params]
    return clauses, params, depth


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
    # Sent as it is, not prepared: its best plan depends on the values. A state few
    # instances are in is found through the (definition, state, status) index; a plan made
    # without the values (a prepared statement's) walks every instance in id order for
    # the first 200 that match, all of them when none does.
    rows = db.execute_sql(sql.format(p=db.obj.param),
                          [InstanceStatus.RUNNING.value, *params]).fetchall()
    forms = _field_forms(rows)
    people = People()
    people.add([me])
    people.remember_groups(me.id, groups)
    out = []
    for iid, workflow_id, definition_id, state, entered, subject_id, s_email, s_name, cycle, \
            *chain in rows:
        spec = versions.version_for(definition_id).spec
        facts = roles.Facts(subject_id, people, forms.get(iid), chain)
        triggers = []
        for t in spec.transitions_from(state):
            if t.manual and t.trigger not in triggers and any(
                    roles.plays(me, name, spec, facts) for name in roles.deciders(t)):
                triggers.append(t.trigger)
        if not triggers:  # a field: candidate whose latest answer names someone else
            continue
        out.append(DecisionItem(
            instance_id=iid, workflow_id=workflow_id, workflow_title=spec.title, state=state,
            subject_email=s_email, subject_name=s_name, triggers=tuple(triggers),
            entered_at=stored_datetime(entered), task_id=my_tasks.get(iid), cycle=cycle))
    return out


def _field_forms(rows) -> dict[int, dict]:
    """Instance id -> its ``forms`` for the decision rows whose triggers allow a ``field:``
    role (one query for all of them; none when no such role is involved)."""
    wanted: dict[int, WorkflowSpec] = {}
    form_ids: set[str] = set()
    for iid, _, definition_id, state, *_ in rows:
        spec = versions.version_for(definition_id).spec
        for t in spec.transitions_from(state):
            for name in (t.allowed if t.manual else ()):
                role = spec.roles.get(name)
                if role is not None and role.named:
                    wanted[iid] = spec
                    form_ids.add(role.form)
    if not wanted:
        return {}
    from engine.lifecycle import current_revision, forms_from_rows

    found: dict[int, list] = {iid: [] for iid in wanted}
    query = (Submission.select(Submission.instance, Submission.form_id, Submission.data,
                               Submission.entry)
             .where(Submission.instance.in_(list(wanted)) & Submission.form_id.in_(form_ids)
                    & current_revision())
             .order_by(Submission.id).tuples())
    for iid, form_id, data, entry in query:
        found[iid].append((form_id, data, entry))
    return {iid: forms_from_rows(wanted[iid], items) for iid, items in found.items()}


def drafts(email: str, now: datetime | None = None) -> list[TaskItem]:
    """Open tasks of ``email`` with a saved draft."""
    return task_list('t."assignee_id" = (SELECT "id" FROM "person" WHERE "email" = {p}) '
                     'AND t."status" = {p} AND t."draft" IS NOT NULL',
                     [normalize_email(email), TaskStatus.OPEN.value], now=utc(now))


def recently_done(email: str, limit: int = 20, now: datetime | None = None) -> list[TaskItem]:
    """Tasks ``email`` submitted, newest first."""
    now, me = utc(now), normalize_email(email)
    return task_list('t."submitted_by" = {p} AND t."status" = {p}',
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
    return task_list(" AND ".join(where), params, limit=limit, now=utc(now))


def task_detail(task_id, now: datetime | None = None) -> TaskItem:
    """One task; raise ``NotFound``."""
    try:
        found = task_list('t."id" = {p}', [statements.row_id(task_id)], now=utc(now))
    except (TypeError, ValueError):
        found = None
    if not found:
        raise NotFound(f"no task {task_id}")
    return found[0]


def open_tasks_of(instance_id: int, now: datetime | None = None) -> list[TaskItem]:
    """An instance's open tasks, oldest first."""
    return task_list('t."instance_id" = {p} AND t."status" = {p}',
                     [statements.row_id(instance_id), TaskStatus.OPEN.value], now=utc(now))


def draft(task_id) -> dict | None:
    """The saved draft of a task (None when there is none or no such task). Callers
    show it to the holder only (``web.access`` decides)."""
    try:
        row = Task.get_or_none(Task.id == statements.row_id(task_id))
    except (TypeError, ValueError, OverflowError):
        return None
    return row.draft if row is not None else None


def task_draft(task_id, viewer: str):
    """The saved draft of task ``task_id`` if ``viewer`` is its assignee (a draft is its
    assignee's alone: not HR's, not the escalation target's), else None."""
    p = db.obj.param
    sql = (f'SELECT t."draft" FROM "task" t JOIN "person" a ON t."assignee_id" = a."id" '
           f'WHERE t."id" = {p} AND a."email" = {p}')
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        return None
    if not -2**63 <= task_id < 2**63:
        return None
    row = server_prepared.execute(sql, [task_id, normalize_email(viewer)]).fetchone()
    return Task.draft.python_value(row[0]) if row else None
