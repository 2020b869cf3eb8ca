"""PostgreSQL plans a hot statement once per connection, not on every run.

PostgreSQL plans each statement it is sent. For the task lists' six-table join the plan
costs about 1.1 ms and the run 0.25 ms, and an inbox page runs five of them. A statement
run through :func:`execute` is prepared on its pooled connection the first time
(``PREPARE``) and from then on only run (``EXECUTE``), with the one generic plan made
for it (our connections set ``plan_cache_mode = force_generic_plan``: left to choose,
PostgreSQL planned the task lists again on every run). SQLite needs none of this:
Python's sqlite3 keeps its compiled statements per connection already.

What is prepared, and what is not:

- Parameters are typed from their Python values where the text of the value could
  mislead: ``int`` as ``bigint`` (so a row id beyond 2**31 finds no row, as it does sent
  as a literal, rather than failing), ``bool``, ``float``, dates and times. Anything else
  is ``unknown``, which PostgreSQL reads from where the parameter stands, as it reads a
  quoted literal. The same SQL with other value types is another statement.
- A statement whose result columns are ``*`` is run as it is: a column added to its
  table later would change its result and PostgreSQL refuses to run it then ("cached
  plan must not change result type").
- A statement PostgreSQL cannot prepare (a parameter whose type nothing decides) is run
  as it is from then on. The first ``PREPARE`` inside a transaction runs under a
  savepoint, so its failure costs the transaction nothing.
- A connection keeps at most :data:`MAX_PER_CONNECTION` statements.

Prepared statements outlive a rolled-back transaction and go with their connection.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime

import peewee
import psycopg2
import psycopg2.extensions

from engine.connection import db, is_postgres

MAX_PER_CONNECTION = 256

_STAR = re.compile(r'(?:\bSELECT|,)\s*(?:(?:"\w+"|\w+)\.)?\*', re.IGNORECASE)
_PLACEHOLDER = re.compile(r"%%|%s")
_IDLE = psycopg2.extensions.TRANSACTION_STATUS_IDLE
_IN_TRANSACTION = psycopg2.extensions.TRANSACTION_STATUS_INTRANS

#: psycopg2's errors as peewee's (an IntegrityError is peewee's wherever it comes from)
_as_peewee_errors = peewee.__exception_wrapper__
_numbers = itertools.count(1)
_names: dict[tuple, str] = {}  # (sql, types) -> the statement's name in every connection
_refused: set[tuple] = set()  # (sql, types) PostgreSQL would not prepare
_shapes: dict[str, tuple[str, int] | None] = {}  # sql -> ($n text, parameters) or None


class PreparingConnection(psycopg2.extensions.connection):
    """A psycopg2 connection that knows the statements prepared on it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reviewflow_prepared: dict[tuple, str] = {}


def _type_of(value) -> str:
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int:
        return "bigint"
    if kind is float:
        return "double precision"
    if kind is datetime:
        return "timestamptz" if value.tzinfo is not None else "timestamp"
    if kind is date:
        return "date"
    return "unknown"


def _shape(sql: str) -> tuple[str, int] | None:
    """``sql`` with ``$1..$n`` for its ``%s`` (and ``%`` for ``%%``), and n; None when its
    result is ``*``."""
    if sql in _shapes:
        return _shapes[sql]
    if _STAR.search(sql):
        found = None
    else:
        numbers = itertools.count(1)
        text = _PLACEHOLDER.sub(lambda m: "%" if m.group(0) == "%%" else f"${next(numbers)}",
                                sql)
        found = (text, next(numbers) - 1)
    _shapes[sql] = found
    return found


def execute(sql: str, params: list | tuple = ()):
    """Run ``sql`` (``%s`` placeholders, as ``db.execute_sql`` takes) with ``params``: on
    PostgreSQL as a statement prepared on this connection; the cursor either way."""
    if not is_postgres():
        return db.execute_sql(sql, params)
    conn = db.connection()
    prepared = getattr(conn, "reviewflow_prepared", None)
    if prepared is None:  # a connection made elsewhere (not through engine.connection)
        return db.execute_sql(sql, params)
    key = (sql, tuple(_type_of(v) for v in params))
    name = prepared.get(key)
    if name is None:
        name = _prepare(conn, prepared, key)
        if name is None:
            return db.execute_sql(sql, params)
    if not params:
        return db.execute_sql(f"EXECUTE {name}")
    return db.execute_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def _prepare(conn, prepared: dict, key: tuple) -> str | None:
    """PREPARE ``key``'s statement on ``conn``; its name, or None to run it as it is."""
    sql, types = key
    if key in _refused or len(prepared) >= MAX_PER_CONNECTION:
        return None
    shape = _shape(sql)
    if shape is None or shape[1] != len(types):
        return None
    status = conn.info.transaction_status
    if status not in (_IDLE, _IN_TRANSACTION):  # an aborted transaction: let it fail as it is
        return None
    name = _names.get(key) or _names.setdefault(key, f"reviewflow_{next(_numbers)}")
    text, _count = shape
    statement = (f"PREPARE {name} ({', '.join(types)}) AS {text}" if types
                 else f"PREPARE {name} AS {text}")
    savepoint = status == _IN_TRANSACTION
    with _as_peewee_errors, conn.cursor() as cursor:
        if savepoint:
            cursor.execute("SAVEPOINT reviewflow_prepare")
        try:
            cursor.execute(statement)  # no parameters: psycopg2 reads no % in it
        except psycopg2.Error:
            if savepoint:
                cursor.execute("ROLLBACK TO SAVEPOINT reviewflow_prepare")
                cursor.execute("RELEASE SAVEPOINT reviewflow_prepare")
            _refused.add(key)
            return None
        if savepoint:
            cursor.execute("RELEASE SAVEPOINT reviewflow_prepare")
    prepared[key] = name
    return name


def name_of(sql: str, params: list | tuple = ()) -> str | None:
    """The name ``sql`` run with ``params`` is prepared under, if it has been."""
    key = (sql, tuple(_type_of(v) for v in params))
    return None if key in _refused else _names.get(key)


def sql_of(name: str) -> str | None:
    """The SQL a prepared statement ``name`` runs (``%s`` placeholders), if it is ours."""
    return next((sql for (sql, _types), known in _names.items() if known == name), None)


_EXECUTE = re.compile(r"EXECUTE (reviewflow_\d+)\b")


def as_written(sql: str) -> str:
    """``sql`` as the engine wrote it: for ``EXECUTE <name> (...)`` of one of ours, the
    statement it runs (what a reader of a statement log wants to see)."""
    found = _EXECUTE.match(sql)
    return (sql_of(found.group(1)) or sql) if found else sql


def generic_plan(sql: str, params: list | tuple = ()) -> list[str]:
    """The lines of ``EXPLAIN`` for ``sql`` as a prepared statement's generic plan: the
    plan PostgreSQL settles on after a few runs, made without the values (so an index it
    takes only for a particular value does not show)."""
    shape = _shape(sql)
    if shape is None:
        raise ValueError("a statement whose result is * is not prepared")
    types = ", ".join(_type_of(v) for v in params)
    with db.cursor() as cursor:  # no parameters: psycopg2 reads no % in it
        cursor.execute(f"PREPARE reviewflow_explain ({types}) AS {shape[0]}" if params
                       else f"PREPARE reviewflow_explain AS {shape[0]}")
    try:
        db.execute_sql("SET plan_cache_mode = force_generic_plan")
        args = f" ({', '.join(['%s'] * len(params))})" if params else ""
        return [r[0] for r in db.execute_sql(f"EXPLAIN EXECUTE reviewflow_explain{args}",
                                             params).fetchall()]
    finally:
        db.execute_sql("RESET plan_cache_mode")
        db.execute_sql("DEALLOCATE reviewflow_explain")
