"""What every command shares: results, times, the locked run, recorded refusals.

:func:`locked_run` is the frame of every command on one instance: refusals recorded,
one transaction, the instance row locked, the :class:`~engine.lifecycle.Run` built,
and its new rows written when the body finishes without an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime

from engine import statements, versions
from engine.clock import utc  # noqa: F401  (re-exported: commands.utc)
from engine.directory import People
from engine.errors import Conflict, NotAllowed, NotFound
from engine.lifecycle import Pending, Run
from engine.locking import lock_instance, lock_instance_of_task, transaction
from engine.store import (
    Event,
    EventKind,
    Instance,
    InstanceStatus,
)

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


def result_of(run: Run, task_id: int | None = None) -> CommandResult:
    """What a command returns: where the run's instance ended up."""
    return CommandResult(run.row.id, run.row.state, run.row.status, tuple(run.fired), task_id)


def run_for(row: Instance, now: datetime, people: People | None = None) -> Run:
    """A Run of instance ``row`` at ``now`` (its version's spec, an empty Pending)."""
    version = versions.version_for(row.definition_id)
    return Run(row, version, people or People(), now, Pending())


def finish(run: Run) -> None:
    """Write the run's changed fields, then its new rows (tasks, events, outbox)."""
    run.save()
    run.pending.flush()


def require_running(row: Instance) -> None:
    """Conflict unless the instance is still running."""
    if row.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {row.id} is {row.status}, not running")


def record_refusal(instance_id: int, actor: str, reason: str, now: datetime,
                   trigger: str | None = None, task_id: int | None = None) -> None:
    """Record a refused attempt in history, in its own transaction (after the rollback)."""
    with transaction():
        state = Instance.select(Instance.state).where(Instance.id == instance_id).scalar()
        Event.create(instance=instance_id, at=now, actor=actor, kind=EventKind.REFUSED,
                     trigger=trigger, from_state=state, task=task_id, detail={"reason": reason})


def instance_id_of(value) -> int:
    """An instance id from user input (NotFound for anything not a number)."""
    try:
        return statements.row_id(value)
    except (TypeError, ValueError):
        raise NotFound(f"no instance {value!r}") from None


def locked_run(instance_id: int, actor: str, now: datetime, trigger: str | None = None,
               task_id: int | None = None) -> AbstractContextManager[Run]:
    """``with locked_run(...) as run:`` the body of a command on one instance.

    The instance row is locked for one transaction and read into a Run; when the body
    ends (or returns) its changes and new rows are written. Any error rolls it all
    back; a :class:`NotAllowed` is then recorded in history (``trigger``, ``task_id``
    name what was refused).
    """
    return _locked(lambda: lock_instance(instance_id), actor, now, trigger, task_id)


def task_id_of(value) -> int:
    """A task id from user input (NotFound for anything not a number)."""
    try:
        return statements.row_id(value)
    except (TypeError, ValueError):
        raise NotFound(f"no task {value}") from None


def locked_task_run(task_id, actor: str, now: datetime,
                    trigger: str | None = None) -> AbstractContextManager[Run]:
    """:func:`locked_run` for a command on task ``task_id`` (NotFound if there is none):
    its instance is found and locked by the task's id in one statement."""
    task_id = task_id_of(task_id)
    return _locked(lambda: lock_instance_of_task(task_id), actor, now, trigger, task_id)


@contextmanager
def _locked(lock: Callable[[], Instance], actor: str, now: datetime, trigger: str | None,
            task_id: int | None) -> Iterator[Run]:
    """The frame of both: in one transaction, ``lock()`` locks and reads the instance,
    the body runs on it, its changes are written; a refusal is recorded against the
    instance that was locked (a task's command learns it only from the lock)."""
    instance_id = None
    try:
        with transaction():
            row = lock()
            instance_id = row.id
            run = run_for(row, now)
            yield run
            finish(run)
    except NotAllowed as refused:  # recorded after the rollback, in its own transaction
        if instance_id is not None:
            record_refusal(instance_id, actor, refused.reason, now, trigger, task_id)
        raise
