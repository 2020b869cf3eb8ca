"""Steps of a scenario, each reading what it needs from the database afresh.

Scenario tests keep only ids, emails and the clock between steps: every helper here
queries the rows again, so a step sees exactly what a new web request would see.
"""

from __future__ import annotations

from datetime import datetime

from engine import commands, queries, timers, visibility
from engine.store import Event, Instance, Outbox, Person, Submission, Task, TaskStatus

T0 = datetime(2026, 1, 5, 9, 0)  # a Monday morning: where every scenario starts


def state(instance_id: int) -> str:
    """The instance's current state, read from the database."""
    return Instance.get_by_id(instance_id).state


def status(instance_id: int) -> str:
    return Instance.get_by_id(instance_id).status


def open_tasks(instance_id: int) -> list[tuple[str, str | None]]:
    """Sorted (form, assignee email) of the instance's open tasks."""
    query = (Task.select(Task.form_id, Person.email)
             .join(Person, on=(Task.assignee == Person.id))
             .where((Task.instance == instance_id) & (Task.status == TaskStatus.OPEN)))
    return sorted((row.form_id, row.assignee.email) for row in query)


def task_id(instance_id: int, form: str, email: str) -> int:
    """The id of the one open task of ``form`` assigned to ``email`` (oldest if several)."""
    row = (Task.select(Task.id).join(Person, on=(Task.assignee == Person.id))
           .where((Task.instance == instance_id) & (Task.form_id == form)
                  & (Person.email == email) & (Task.status == TaskStatus.OPEN))
           .order_by(Task.id).first())
    assert row is not None, f"{email} has no open '{form}' task; open: {open_tasks(instance_id)}"
    return row.id


def submit(instance_id: int, form: str, email: str, data: dict, now, trigger=None,
           trigger_data=None):
    """``email`` submits their open ``form`` task (optionally pressing ``trigger``, with
    the data of that transition's own form)."""
    return commands.submit(task_id(instance_id, form, email), email, data,
                           trigger=trigger, now=now, trigger_data=trigger_data)


def fire(instance_id: int, trigger: str, email: str, now, data=None):
    return commands.fire(instance_id, trigger, email, data=data, now=now)


def tick(now):
    return timers.tick(now)


def transitions(instance_id: int) -> list[tuple[str, str, str]]:
    """(trigger, from, to) of every transition in the history, in order."""
    query = (Event.select().where((Event.instance == instance_id) & (Event.kind == "transition"))
             .order_by(Event.id))
    return [(e.trigger, e.from_state, e.to_state) for e in query]


def events(instance_id: int, kind: str) -> list[Event]:
    return list(Event.select().where((Event.instance == instance_id) & (Event.kind == kind))
                .order_by(Event.id))


def submissions(instance_id: int, form: str) -> list[dict]:
    """Data of every submission of ``form`` in the instance, oldest first."""
    query = (Submission.select().where((Submission.instance == instance_id)
                                       & (Submission.form_id == form)).order_by(Submission.id))
    return [s.data for s in query]


def task_statuses(instance_id: int, form: str) -> list[tuple[str, str]]:
    """(assignee email, status) of every task of ``form`` in the instance, in creation order."""
    query = (Task.select(Task.status, Person.email).join(Person, on=(Task.assignee == Person.id))
             .where((Task.instance == instance_id) & (Task.form_id == form)).order_by(Task.id))
    return [(t.assignee.email, t.status) for t in query]


def outbox(kind: str, instance_id: int | None = None) -> list[Outbox]:
    """Queued messages of ``kind`` (``reminder``, ``escalation``...), of one instance or all."""
    query = Outbox.select().where(Outbox.kind == kind)
    if instance_id is not None:
        query = query.where(Outbox.instance == instance_id)
    return list(query.order_by(Outbox.id))


def children(instance_id: int) -> list[int]:
    return [i.id for i in Instance.select(Instance.id).where(Instance.parent == instance_id)]


def seen_by(instance_id: int, viewer: str) -> tuple[dict[str, list[dict]], dict]:
    """What ``viewer`` may read: form -> [data] of single submissions, form -> aggregate."""
    detail = queries.instance_detail(instance_id)
    views, aggregates = visibility.visible_submissions(viewer, detail)
    out: dict[str, list[dict]] = {}
    for view in views:
        out.setdefault(view.form_id, []).append(view.data)
    return out, {a.form_id: a for a in aggregates}


def readable(instance_id: int, viewer: str) -> dict[str, list[dict]]:
    """Form -> data of the single submissions ``viewer`` may read."""
    return seen_by(instance_id, viewer)[0]


def decisions(email: str, now) -> list[tuple[int, str, tuple[str, ...]]]:
    """(instance, state, triggers) waiting on ``email``'s decision."""
    return [(d.instance_id, d.state, d.triggers) for d in queries.inbox(email, now).decisions]
