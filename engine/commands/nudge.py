"""HR's nudge: a reminder about one open task, sent now rather than on the ``remind``
schedule (which :mod:`engine.timers` keeps).

Like every command it runs in one transaction that locks the instance, so a nudge never
goes out for a task submitted, reassigned or cancelled while it waited: it reads the task
again under the lock. The reminder is an outbox row (the mailer delivers it) and the act
a ``nudged`` event, written together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.clock import local_day
from engine.commands.admin import is_escalation_target
from engine.commands.base import (
    locked_task_run,
    require_running,
    utc,
)
from engine.commands.tasks import locked_task
from engine.directory import normalize_email
from engine.errors import Conflict, NotAllowed, ReviewflowError
from engine.lifecycle import Run
from engine.store import EventKind, Task, TaskStatus

MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class NudgeResult:
    """Who was reminded of which task."""

    instance_id: int
    task_id: int
    form_id: str
    recipient: str
    recipient_name: str


def nudge(task_id, actor: str, message: str | None = None, link: str | None = None,
          now: datetime | None = None) -> NudgeResult:
    """HR queues a reminder to the holder of open task ``task_id``, with an optional
    ``message`` of their own and a ``link`` to the task (the web knows its address).

    Refused (and recorded) for anyone not in HR; a task that is no longer open, or that
    nobody active holds, is a :class:`Conflict` and sends nothing.
    """
    now, actor = utc(now), normalize_email(actor)
    message = (message or "").strip() or None
    if message is not None and len(message) > MESSAGE_LIMIT:
        raise ReviewflowError(f"the message is {len(message)} characters long; "
                              f"keep it to {MESSAGE_LIMIT}")
    with locked_task_run(task_id, actor, now, "nudge") as run:
        task = locked_task(run, task_id)
        if not (run.is_hr(actor) or is_escalation_target(run, task, actor)):
            raise NotAllowed(f"{actor} may not nudge the holder of task {task_id} "
                             "(HR or the task's escalation target may)")
        require_running(run.row)
        holder = _holder(run, task)
        run.notify([holder.email], "nudge", *_letter(run, task, actor, message, link),
                   task_id=task.id, message=message)
        run.event(EventKind.NUDGED, actor, task_id=task.id, form=task.form_id, to=holder.email,
                  message=message)
        return NudgeResult(run.row.id, task.id, task.form_id, holder.email, holder.name)


def _holder(run: Run, task: Task):
    """The active person holding ``task``, which must still be open."""
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"task {task.id} is {task.status}, not open")
    holder = run.people.get(task.assignee_id)
    if holder is None or not holder.active:
        raise Conflict(f"nobody active holds task {task.id} (reassign it)")
    return holder


def _letter(run: Run, task: Task, actor: str, message: str | None,
            link: str | None) -> tuple[str, str]:
    """The reminder's subject and body."""
    form = run.version.forms.get(task.form_id)
    what = (form.title or form.schema.get("title") if form is not None else None) or task.form_id
    sender = run.people.find(actor)
    due = f" It is due {local_day(task.due_at):%d %b %Y}." if task.due_at else ""
    who = sender.name if sender else actor
    who = f"HR ({who})" if run.is_hr(actor) else who
    body = f"{who} reminds you of the task '{what}' about {run.subject.name}.{due}\n"
    if message:
        body += f"\n{message}\n"
    body += f"\nOpen it: {link}\n" if link else f"\nIt is task {task.id} in reviewflow.\n"
    return f"Reminder: {what} for {run.spec.title}", body
