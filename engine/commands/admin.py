"""Hand-overs and HR acts: reassign, delegate, cancel, reveal anonymous authors.
"""

from __future__ import annotations

from datetime import datetime

from engine import roles, statements
from engine.commands.base import (
    CommandResult,
    instance_id_of,
    locked_run,
    locked_task_run,
    require_running,
    result_of,
    utc,
)
from engine.commands.tasks import (
    locked_task,
)
from engine.directory import normalize_email
from engine.errors import Conflict, NotAllowed, NotFound, ReviewflowError
from engine.lifecycle import Run
from engine.store import (
    EventKind,
    Person,
    Task,
    TaskStatus,
)


def reassign(task_id, to_email: str | None, actor: str, reason: str | None = None,
             now: datetime | None = None) -> CommandResult:
    """Give an open task to someone else: HR always, the assignee when ``delegable``.

    With ``to_email=None`` the task's role is resolved again from the directory as it is
    now ("by the rule": after a change of manager), which only HR may ask for.
    """
    now, actor = utc(now), normalize_email(actor)
    with locked_task_run(task_id, actor, now) as run:
        task = locked_task(run, task_id)
        require_running(run.row)
        if task.status != TaskStatus.OPEN:
            raise Conflict(f"task {task.id} is already {task.status}")
        kind = _reassign_kind(run, task, actor)
        target = _by_rule(run, task) if to_email is None else run.people.find(to_email)
        if target is None or not target.active:
            raise NotFound(f"no active person {to_email!r} in the directory")
        if to_email is None and not run.is_hr(actor):
            raise NotAllowed("only HR may reassign a task by its rule")
        if target.email == actor and not run.is_hr(actor):
            raise NotAllowed(f"{actor} may not take task {task.id} themselves; give it to "
                             "someone else")
        line = run.line_of(task)
        if target.id == run.row.subject_id and roles.excludes_subject(
                run.spec, task.role, line is not None and line.allow_subject):
            raise NotAllowed(f"{target.email} is the subject of this instance and may not "
                             f"hold task {task.id} about themselves")
        before = run.people.get(task.assignee_id)
        # the draft was the previous assignee's alone: the new one starts from an empty form
        statements.update_row(Task, task.id, assignee=target.id, draft=None)
        run.event(kind, actor, task_id=task.id, form=task.form_id,
                  previous=before.email if before else None, to=target.email,
                  reason=reason, draft_dropped=task.draft is not None)
        run.notify([target.email], "assigned", f"New task: {task.form_id}",
                   f"{actor} gave you the task '{task.form_id}' about "
                   f"{run.subject.name}.", task_id=task.id)
        return result_of(run, task.id)


def _by_rule(run: Run, task: Task) -> Person:
    """The one person the task's role names today (several or nobody: a clear error)."""
    line = run.line_of(task)
    found = run.resolve(task.role, line is not None and line.allow_subject)
    if len(found.people) != 1:
        who = ", ".join(p.email for p in found.people) or "nobody"
        raise Conflict(f"role '{task.role}' names {who} today; say who should get the task")
    return found.people[0]


def _reassign_kind(run: Run, task: Task, actor: str) -> EventKind:
    if run.is_hr(actor) or is_escalation_target(run, task, actor):
        return EventKind.REASSIGNED
    assignee = run.people.get(task.assignee_id)
    line = run.line_of(task)
    if assignee is not None and assignee.email == actor:
        if line is not None and line.delegable:
            return EventKind.DELEGATED
        raise NotAllowed(f"task {task.id} is not delegable; ask HR to reassign it")
    raise NotAllowed(f"{actor} may not reassign task {task.id} (HR or a delegating "
                     "assignee may)")


def is_escalation_target(run: Run, task: Task, actor: str) -> bool:
    """Was open task ``task`` escalated to ``actor`` (who may then nudge or reassign it)?"""
    target = run.people.get(task.escalated_to_id)
    return target is not None and target.email == actor and target.active


def delegate(task_id, to_email: str, actor: str, reason: str | None = None,
             now: datetime | None = None) -> CommandResult:
    """The assignee hands a ``delegable`` task to someone else (same rules as reassign)."""
    return reassign(task_id, to_email, actor, reason, now)


def cancel(instance_id, actor: str, reason: str, now: datetime | None = None) -> CommandResult:
    """HR stops an instance; its open tasks are cancelled and stay in history."""
    now, actor = utc(now), normalize_email(actor)
    instance_id = instance_id_of(instance_id)
    if not reason or not str(reason).strip():
        raise ReviewflowError("a reason is required to cancel an instance")
    with locked_run(instance_id, actor, now, "cancel") as run:
        require_running(run.row)
        if not run.is_hr(actor):
            raise NotAllowed(f"{actor} may not cancel instance {instance_id} (HR may)")
        run.cancel(actor, str(reason).strip())
        return result_of(run)


def reveal_anonymous(instance_id, actor: str, reason: str | None = None,
                     now: datetime | None = None) -> CommandResult:
    """Record that HR looked at who wrote an instance's anonymous answers.

    Operator views mask anonymous authors (:mod:`engine.anonymity`); unmasking is HR's
    act alone and leaves an ``anonymity-revealed`` event in the history, who and why.
    """
    now, actor = utc(now), normalize_email(actor)
    instance_id = instance_id_of(instance_id)
    with locked_run(instance_id, actor, now, "reveal-anonymous") as run:
        if not run.is_hr(actor):
            raise NotAllowed(f"{actor} may not reveal anonymous authors (HR may)")
        run.event(EventKind.ANONYMITY_REVEALED, actor, reason=(reason or "").strip() or None)
        return result_of(run)
