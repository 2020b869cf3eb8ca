"""What SQL a block of code runs: the one way the tests watch a database's statements."""

from __future__ import annotations

from contextlib import contextmanager

from engine import server_prepared


@contextmanager
def statements_run(database):
    """Every statement ``database`` (a peewee database) runs inside the block, as
    ``(sql, params)`` in order; a prepared statement's ``EXECUTE`` as the SQL it runs, so
    a test reads the same text on SQLite and on PostgreSQL."""
    original = database.execute_sql
    seen: list[tuple[str, tuple]] = []

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append((server_prepared.as_written(sql), tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        yield seen
    finally:
        del database.execute_sql
