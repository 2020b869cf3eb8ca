"""HR views: cycles with their progress and dashboards, a manager's team, the running
processes about one person, instances of a workflow.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from engine import directory, server_prepared, statements
from engine.clock import utc
from engine.dates import CycleDates
from engine.directory import normalize_email
from engine.queries.items import (
    DUE_ORDER,
    CycleItem,
    CycleProgress,
    InstanceItem,
    Subject,
    TaskItem,
    task_list,
)
from engine.store import (
    Cycle,
    Instance,
    InstanceStatus,
    Task,
    TaskStatus,
    db,
)


def cycles(now: datetime | None = None) -> list[CycleProgress]:
    """Every cycle with its progress: instances per state, completion %, overdue tasks."""
    now = utc(now)
    return _progress(Cycle.select().order_by(Cycle.created_at, Cycle.id),
                     Instance.cycle.is_null(False), _task_counts(now))


def cycle_progress(cycle_id: int, now: datetime | None = None) -> CycleProgress | None:
    """One cycle's progress (as :func:`cycles` gives it), counting its own instances and
    open tasks only: a dashboard's cost follows its cycle, not every cycle's."""
    now = utc(now)
    found = _progress(Cycle.select().where(Cycle.id == cycle_id), Instance.cycle == cycle_id,
                      {cycle_id: _open_tasks_of(cycle_id, now)})
    return found[0] if found else None


def _open_tasks_of(cycle_id: int, now: datetime) -> tuple[int, int]:
    """(open, overdue) tasks of one cycle, read by instance from the task index."""
    p = db.obj.param
    sql = (f'SELECT COUNT(*), SUM(CASE WHEN t."due_at" < {p} THEN 1 ELSE 0 END) FROM "task" t '
           f'WHERE t."status" = {p} AND '
           + statements.of_instances(f'SELECT "id" FROM "instance" WHERE "cycle_id" = {p}'))
    n, late = server_prepared.execute(sql, [Task.due_at.db_value(now), TaskStatus.OPEN.value,
                                   int(cycle_id)]).fetchone()
    return n or 0, int(late or 0)


def _progress(cycle_rows, in_cycles, tasks_open: dict) -> list[CycleProgress]:
    counts: dict[int, dict] = {}
    query = (Instance.select(Instance.cycle, Instance.state, Instance.status,
                             pw.fn.COUNT(Instance.id).alias("n"))
             .where(in_cycles)
             .group_by(Instance.cycle, Instance.state, Instance.status))
    for row in query.dicts():
        counts.setdefault(row["cycle"], []).append(row)
    out = []
    for cycle in cycle_rows:
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
            round(100.0 * done / total, 1) if total else 0.0, open_n, overdue,
            cycle.definition_id))
    return out


def _cycle_item(row: Cycle) -> CycleItem:
    launcher = directory.person_by_email(row.created_by) if "@" in row.created_by else None
    return CycleItem(row.id, row.name, row.workflow_id, row.definition_id, row.filters or [],
                     row.created_at, row.created_by,
                     launcher.name if launcher else row.created_by, CycleDates.read(row.dates))


def cycle(cycle_id) -> CycleItem | None:
    """One cycle's heading facts (name, workflow, launcher, filters), or None."""
    try:
        row = Cycle.get_or_none(Cycle.id == statements.row_id(cycle_id))
    except (TypeError, ValueError):
        return None
    return _cycle_item(row) if row is not None else None


def cycle_named(name: str) -> CycleItem | None:
    """The cycle called ``name``, or None."""
    row = Cycle.get_or_none(Cycle.name == name)
    return _cycle_item(row) if row is not None else None


def cycle_subject_ids(cycle_id: int) -> set[int]:
    """Ids of the people a cycle already has an instance about."""
    return {i.subject_id for i in Instance.select(Instance.subject)
            .where(Instance.cycle == cycle_id)}


#: Instances on one page of a cycle's dashboard.
DASHBOARD_PAGE = 100


def cycle_instances(cycle_id: int, now: datetime | None = None, after: int | None = None,
                    limit: int | None = None) -> list[InstanceItem]:
    """A cycle's instances by subject name, each with its open tasks (two queries).

    Paged by key, not by offset: ``after`` is the last instance id of the page before, and
    the page starts after that instance's (subject name, id), so page 100 costs what page
    1 costs."""
    query = _instances().where(Instance.cycle == cycle_id)
    if after is not None:
        last = (Instance.select(Instance.id, Subject.name.alias("name"))
                .join(Subject, on=(Instance.subject == Subject.id))
                .where((Instance.id == int(after)) & (Instance.cycle == cycle_id)).dicts()
                .first())
        if last is not None:
            query = query.where((Subject.name > last["name"])
                                | ((Subject.name == last["name"]) & (Instance.id > last["id"])))
    query = query.order_by(Subject.name, Instance.id)
    if limit is not None:
        query = query.limit(limit)
    return _instance_items(query, utc(now))


def overdue_in_cycle(cycle_id: int, now: datetime | None = None,
                     limit: int = 50) -> list[TaskItem]:
    """A cycle's overdue open tasks, the longest overdue first."""
    now = utc(now)
    # by instance (status, instance, due) rather than every open task of every cycle
    in_cycle = statements.of_instances('SELECT "id" FROM "instance" WHERE "cycle_id" = {p}')
    return task_list(f't."status" = {{p}} AND t."due_at" < {{p}} AND {in_cycle}',
                     [TaskStatus.OPEN.value, Task.due_at.db_value(now), int(cycle_id)],
                     DUE_ORDER, limit=limit, now=now)


def about(email: str, now: datetime | None = None) -> list[InstanceItem]:
    """Running processes whose subject is ``email``, newest first."""
    return _instance_items(statements.prepared("about", _about).rows(normalize_email(email)),
                           utc(now), few=True)


def _about():
    subject = statements.marker()
    return (_instances().where((Subject.email == subject)
                               & (Instance.status == InstanceStatus.RUNNING))
            .order_by(Instance.started_at.desc(), Instance.id.desc()), subject)


def _task_counts(now: datetime) -> dict[int, tuple[int, int]]:
    overdue = pw.Case(None, [((Task.due_at < now), 1)], 0)
    query = (Task.select(Instance.cycle, pw.fn.COUNT(Task.id).alias("n"),
                         pw.fn.SUM(overdue).alias("late"))
             .join(Instance, on=(Task.instance == Instance.id))
             .where((Task.status == TaskStatus.OPEN) & Instance.cycle.is_null(False))
             .group_by(Instance.cycle))
    return {r["cycle"]: (r["n"], int(r["late"] or 0)) for r in query.dicts()}


def _instance_items(query, now: datetime, few: bool = False) -> list[InstanceItem]:
    """The items of ``query``'s rows (a query of :func:`_instances`, or its rows); ``few``
    when they are a handful (a person's own processes), whose open tasks are then read
    by a prepared statement."""
    rows = list(query)
    if not rows:
        return []
    ids = [r.id for r in rows]
    waiting: dict[int, list[TaskItem]] = {}
    marks = ", ".join(["{p}"] * len(ids))
    # a page of them not prepared: the plan made without the ids guessed hundreds of rows
    # and read the whole person table twice (hash joins) for a page's tasks
    open_tasks = task_list(f't."status" = {{p}} AND t."instance_id" IN ({marks})',
                            [TaskStatus.OPEN.value, *ids], DUE_ORDER, now=now, prepare=few)
    for t in open_tasks:
        waiting.setdefault(t.instance_id, []).append(t)
    out = []
    for r in rows:
        items = tuple(waiting.get(r.id, ()))
        out.append(InstanceItem(
            r.id, r.workflow_id, r.subject.email, r.subject.name, r.state, r.status,
            r.started_at, r.entered_at, r.cycle.name if r.cycle_id else None,
            items[0] if items else None, items, r.definition_id, r.subject.department,
            r.finished_at))
    return out


def _instances():
    # only what an InstanceItem shows: whole rows of three tables (the subject's
    # attributes document among them) cost more to build and read than the query to run
    return (Instance.select(Instance.id, Instance.workflow_id, Instance.definition,
                            Instance.subject, Instance.cycle, Instance.state, Instance.status,
                            Instance.started_at, Instance.entered_at, Instance.finished_at,
                            Subject.id, Subject.email, Subject.name, Subject.department,
                            Cycle.id, Cycle.name)
            .join(Subject, on=(Instance.subject == Subject.id))
            .switch(Instance).join(Cycle, pw.JOIN.LEFT_OUTER, on=(Instance.cycle == Cycle.id))
            .switch(Instance))


def team(manager_email: str, now: datetime | None = None,
         limit: int = 500) -> list[InstanceItem]:
    """Running instances about the direct reports of ``manager_email``, with what each
    waits on (open tasks and their assignees)."""
    now, me = utc(now), directory.person(manager_email)
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
