"""``tick(now)``: everything that happens because time passed.

Deadlines, reminders and timers are columns, not threads: ``Instance.timer_at`` (the next
``after:`` transition), ``Task.repeat_at`` (the next ``repeat:`` task), ``Task.remind_at``
and ``Task.escalate_at``. One tick processes what is due at ``now``, each instance in its
own locked transaction, and re-reads every row under the lock so two ticks running at the
same time never do the same work twice. ``now`` is passed in, so tests move the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw

from engine.clock import local_text, utc
from engine.commands import run_for
from engine.lifecycle import Run, next_reminder
from engine.locking import lock_instance, transaction
from engine.store import EventKind, Instance, InstanceStatus, Task, TaskStatus

SYSTEM = "system"
_BATCH = 200


@dataclass
class TickReport:
    """What one tick did."""

    fired: list[tuple[int, str]] = field(default_factory=list)  # (instance, trigger)
    repeated: int = 0
    reminders: int = 0
    escalations: int = 0

    def as_dict(self) -> dict:
        return {"fired": [{"instance": i, "trigger": t} for i, t in self.fired],
                "repeated": self.repeated, "reminders": self.reminders,
                "escalations": self.escalations}


def tick(now: datetime | None = None) -> TickReport:
    """Process every timer, repeat, reminder and escalation due at ``now``."""
    now = utc(now)
    report = TickReport()
    _each(Instance, Instance.timer_at, now, lambda row: _timers(row.id, now, report),
          Instance.status == InstanceStatus.RUNNING)
    for column, handler in ((Task.repeat_at, _repeat), (Task.remind_at, _remind),
                            (Task.escalate_at, _escalate)):
        _each(Task, column, now, lambda task, h=handler: _on_task(task, now, report, h))
    return report


def _each(model, column, now: datetime, handle, *conditions) -> None:
    """Handle the rows whose ``column`` is due at ``now``, in batches, oldest due first.

    The rows are paged by (due, id), the order of the timer's index (``store.timer_index``),
    so a tick reads only what is due however big the table. Each handled row stops being
    due; one that did not would be passed by the next page, never handled twice.
    """
    query = (model.select(model.id, column, *([Task.instance] if model is Task else []))
             .where(column <= now, *conditions).order_by(column, model.id).limit(_BATCH))
    page = query
    while True:
        batch = list(page)
        if not batch:
            return
        for row in batch:
            handle(row)
        last = batch[-1]
        page = query.where(pw.Tuple(column, model.id)
                           > pw.Tuple(getattr(last, column.name), last.id))


def _timers(instance_id: int, now: datetime, report: TickReport) -> None:
    with transaction():
        row = lock_instance(instance_id)
        if row.status != InstanceStatus.RUNNING or row.timer_at is None or row.timer_at > now:
            return
        run = run_for(row, now)
        due = [t for t in run.spec.transitions_from(row.state)
               if t.after is not None and t.after.add_to(row.entered_at) <= now]
        for transition in due:
            ok, reason = run.holds(transition)
            if ok:
                run.take(transition, SYSTEM)
                run.advance(SYSTEM)
                report.fired.append((row.id, transition.trigger))
                break
            run.event(EventKind.TIMER_HELD, trigger=transition.trigger, reason=reason)
        else:  # still in the state: remind whoever a waiting decision is on
            reminders = run.reminders_due(row.timer_at, now)
            if reminders:
                report.reminders += run.remind_deciders(reminders)
            run.set(timer_at=run.timer_after(now))
        run.save()
        run.pending.flush()


def _on_task(task: Task, now: datetime, report: TickReport, handler) -> None:
    with transaction():
        row = lock_instance(task.instance_id)
        fresh = Task.get(Task.id == task.id)
        run = run_for(row, now)
        handler(run, fresh, now, report)
        run.save()
        run.pending.flush()


def _live(run: Run, task: Task) -> bool:
    return (run.row.status == InstanceStatus.RUNNING and task.status == TaskStatus.OPEN
            and task.entry == run.row.entry)


def _repeat(run: Run, task: Task, now: datetime, report: TickReport) -> None:
    if task.repeat_at is None or task.repeat_at > now:
        return
    Task.update(repeat_at=None).where(Task.id == task.id).execute()
    line = run.line_of(task)
    if line is None or line.repeat is None or task.entry != run.row.entry \
            or run.row.status != InstanceStatus.RUNNING:
        return
    slot = task.repeat_at
    # a tick that ran late creates one task, not a backlog
    while line.repeat.add_to(slot) <= now:
        slot = line.repeat.add_to(slot)
    run.tasks()  # the visit's tasks are loaded before the new one joins them
    run.new_task(line, run.people.get(task.assignee_id), created=slot)
    run.event(EventKind.REPEATED, form=task.form_id, previous=task.id)
    report.repeated += 1


def _assignee_email(run: Run, task: Task) -> list[str]:
    person = run.people.get(task.assignee_id)
    if person is not None:
        return [person.email]
    return run.hr()


def _remind(run: Run, task: Task, now: datetime, report: TickReport) -> None:
    if task.remind_at is None or task.remind_at > now:
        return
    line = run.line_of(task)
    following = next_reminder(task.due_at, line.remind if line else (), now)
    Task.update(remind_at=following).where(Task.id == task.id).execute()
    if not _live(run, task) or (task.due_at is not None and task.due_at <= now):
        return  # past due, escalation (if any) takes over
    due = local_text(task.due_at) if task.due_at else "soon"
    run.notify(_assignee_email(run, task), "reminder",
               f"Reminder: {task.form_id} for {run.subject.name} is due {due}",
               f"Your task '{task.form_id}' about {run.subject.name} is due {due}.",
               task_id=task.id)
    run.event(EventKind.REMINDED, task_id=task.id, recipients=_assignee_email(run, task))
    report.reminders += 1


def _escalate(run: Run, task: Task, now: datetime, report: TickReport) -> None:
    if task.escalate_at is None or task.escalate_at > now:
        return
    Task.update(escalate_at=None).where(Task.id == task.id).execute()
    line = run.line_of(task)
    if not _live(run, task) or line is None or not line.escalate:
        return
    found = run.resolve(line.escalate)
    targets = [p.email for p in found.people] or run.hr()
    if found.people:
        Task.update(escalated_to=found.people[0].id).where(Task.id == task.id).execute()
    assignee = run.people.get(task.assignee_id)
    who = assignee.name if assignee else "nobody (unassigned)"
    run.notify(targets, "escalation",
               f"Overdue: {task.form_id} for {run.subject.name}",
               f"The task '{task.form_id}' about {run.subject.name}, assigned to {who}, "
               f"was due {local_text(task.due_at)} and is not done. You may act on it.",
               task_id=task.id)
    run.event(EventKind.ESCALATED, task_id=task.id, to=targets, role=line.escalate,
              holder=assignee.email if assignee else None)
    report.escalations += 1
