"""A rater declines a request: ``decline(task, actor, reason)``.

Only where the task line says ``declinable: true`` (a feedback request, never a step of
the process such as a self review), only its holder, only while it is open, and always
with a reason. The task is closed as ``cancelled`` with a ``declined`` event that keeps
the reason: it no longer counts towards its line (a quorum asks for no more than the
raters left), the state may now be done and move on, and whoever named the rater is told
(HR instead, on an anonymous line: who did not answer is nobody's business there).
"""

from __future__ import annotations

from datetime import datetime

from engine import statements
from engine.commands.base import CommandResult, locked_task_run, require_running, result_of, utc
from engine.commands.tasks import locked_task
from engine.directory import normalize_email
from engine.errors import Conflict, NotAllowed, ReviewflowError
from engine.lifecycle import Run
from engine.store import EventKind, Task, TaskStatus

#: The longest reason kept (a sentence or two, as for a send back).
MAX_REASON = 2000


def decline(task_id, actor: str, reason: str, now: datetime | None = None) -> CommandResult:
    """The holder of an open, declinable task declines it, saying why."""
    now, actor = utc(now), normalize_email(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewflowError("a reason is required to decline a request")
    if len(reason) > MAX_REASON:
        raise ReviewflowError(f"the reason is {len(reason)} characters long; "
                              f"keep it under {MAX_REASON}")
    with locked_task_run(task_id, actor, now, "decline") as run:
        task = locked_task(run, task_id)
        require_running(run.row)
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"task {task.id} is already {task.status}")
        holder = run.people.get(task.assignee_id)
        if holder is None or holder.email != actor:
            raise NotAllowed(f"task {task.id} is not assigned to {actor}")
        line = run.line_of(task)
        if line is None or not line.declinable:
            raise NotAllowed(f"task {task.id} cannot be declined (its line is not "
                             "declinable); ask HR to reassign it")
        fields = {"status": TaskStatus.CANCELLED, "cancelled_at": now, "remind_at": None,
                  "escalate_at": None, "repeat_at": None, "draft": None}
        statements.update_row(Task, task.id, **fields)
        for row in run.tasks():
            if row.id == task.id:
                for name, value in fields.items():
                    setattr(row, name, value)
        run.event(EventKind.DECLINED, actor, task_id=task.id, form=task.form_id,
                  reason=reason)
        _tell(run, task, line, actor, reason)
        run.advance(actor)
        return result_of(run, task.id)


def _tell(run: Run, task: Task, line, actor: str, reason: str) -> None:
    """Tell whoever named the rater (the last author of the role's form), else HR."""
    role = run.spec.roles.get(line.role)
    told = []
    if role is not None and role.named and not line.anonymous:
        author = run.nominator(role)
        if author is not None:
            told = [author.email]
    who = "A reviewer" if line.anonymous else actor
    run.notify(told or run.hr(), "declined",
               f"Declined: {line.title or line.form} about {run.subject.name}",
               f"{who} declined '{line.title or line.form}' about {run.subject.name}: "
               f"{reason if not line.anonymous else '(the reason is kept for HR)'}",
               task_id=None, form=task.form_id, state=task.state, key=task.task_key,
               who=None if line.anonymous else _name(run, actor),
               reason=None if line.anonymous else reason)


def _name(run: Run, email: str) -> str:
    person = run.people.find(email)
    return person.name if person is not None else email
