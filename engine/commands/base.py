"""What every command shares: results, times, the locked run, recorded refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import versions
from engine.clock import utc  # noqa: F401  (re-exported: commands.utc)
from engine.directory import People
from engine.errors import Conflict, NotAllowed, NotFound
from engine.lifecycle import Pending, Run
from engine.locking import transaction
from engine.store import (
    Event,
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

def _instance_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"no instance {value!r}") from None
