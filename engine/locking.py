"""One transaction per command that locks the instance it changes.

PostgreSQL locks the instance row with ``SELECT ... FOR UPDATE``; SQLite, where peewee
refuses ``for_update()``, takes the database write lock up front with ``BEGIN IMMEDIATE``
so two commands never both read the old state and both move it on. A command that lost
the race then reads the new state and fails with a clear ``Conflict`` instead of firing a
second transition.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine import connection, statements
from engine.errors import NotFound
from engine.store import Instance


@contextmanager
def transaction() -> Iterator[None]:
    """A write transaction, taking SQLite's write lock at BEGIN."""
    db = connection.db
    ctx = db.atomic() if connection.is_postgres() else db.atomic("IMMEDIATE")
    with ctx:
        yield


def lock_instance(instance_id: int) -> Instance:
    """Read the instance row and hold it until the transaction ends (inside ``transaction``)."""
    row = statements.get_row(Instance, instance_id, for_update=connection.is_postgres())
    if row is None:
        raise NotFound(f"no instance {instance_id}")
    return row


def lock_instance_of_task(task_id: int) -> Instance:
    """:func:`lock_instance` for the instance of task ``task_id``, found and locked by one
    statement (a command on a task needs no read of the task before its lock)."""
    row = statements.instance_of_task(task_id, for_update=connection.is_postgres())
    if row is None:
        raise NotFound(f"no task {task_id}")
    return row
