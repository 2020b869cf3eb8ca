"""Hot-path statements: SQL written once per backend and reused with new values.

Building SQL with peewee's query builder costs a few hundred microseconds per statement
on these machines, more than running it. Commands run the same few statements over and
over, so these helpers write each one once per backend and reuse the text; values still
go through each field's db_value, and rows come back through Model.raw's converters.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from datetime import date, datetime

import peewee as pw
import psycopg2.extras

from engine import server_prepared
from engine.connection import db, is_postgres

_sql_cache: dict = {}


def _sql(key: tuple, make) -> str:
    full = (type(db.obj), *key)
    found = _sql_cache.get(full)
    if found is None:
        found = _sql_cache[full] = make(db.obj.param)
    return found


def _column(model, name: str) -> str:
    return f'"{model._meta.fields[name].column_name}"'


def _columns(model) -> str:
    """Every column of ``model``, named: a statement selecting ``*`` is not prepared on
    PostgreSQL (a column added later would change its result), and these run in every
    command."""
    return ", ".join(f'"{f.column_name}"' for f in model._meta.sorted_fields)


def _values(model, names, row: dict) -> list:
    fields = model._meta.fields
    return [fields[n].db_value(row[n]) for n in names]


# Values whose type is exactly the column's own come out of db_value and python_value
# unchanged (int(int), str(str), a datetime as is), so the hot paths skip the call for
# them; anything else (an enum, a Model for a foreign key, a JSON document, a date as
# text, SQLite's 0/1 for a boolean) still goes through the field's own conversion.
_PASS_THROUGH = (
    (pw.IntegerField, int),
    (pw.CharField, str),
    (pw.TextField, str),
    (pw.DateTimeField, datetime),
    (pw.DateField, date),
    (pw.BooleanField, bool),
)


def _exact_type(field, method: str = "db_value") -> type | None:
    """The one type ``field.<method>`` (db_value or python_value) returns unchanged, or
    None (always convert)."""
    if isinstance(field, pw.ForeignKeyField):
        if getattr(type(field), method) is not getattr(pw.ForeignKeyField, method):
            return None
        return _exact_type(field.rel_field, method)
    if getattr(type(field), method) is not getattr(pw.Field, method):
        return None  # a field of its own (JSONField): its conversion always runs
    for cls, exact in _PASS_THROUGH:
        if isinstance(field, cls) and type(field).adapt is cls.adapt:
            return exact
    return None


_converters: dict = {}


def _row_converter(model, names: tuple):
    """A function row dict -> parameter list, built once per model and column names."""
    key = (model, names)
    found = _converters.get(key)
    if found is None:
        fields = model._meta.fields
        types = tuple(_exact_type(fields[n]) for n in names)
        converters = tuple(fields[n].db_value for n in names)
        get = operator.itemgetter(*names)
        if len(names) == 1:
            def get(row, _get=get):
                return (_get(row),)

        def found(row: dict) -> list:
            return [v if type(v) is exact or v is None else convert(v)
                    for v, exact, convert in zip(get(row), types, converters, strict=True)]

        _converters[key] = found
    return found


def insert_rows(model, rows: list[dict], ignore_conflicts: bool = False) -> None:
    """INSERT rows (dicts with the same keys) with one reused statement; with
    ``ignore_conflicts``, rows breaking a unique constraint are skipped (both backends
    speak ``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return
    names = tuple(rows[0])
    suffix = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    sql = _sql(("insert", model, names, suffix), lambda p: 'INSERT INTO "{}" ({}) VALUES ({}){}'
               .format(model._meta.table_name, ", ".join(_column(model, n) for n in names),
                       ", ".join([p] * len(names)), suffix))
    convert = _row_converter(model, names)
    values = [convert(row) for row in rows]
    if len(values) == 1:
        server_prepared.execute(sql, values[0])
    elif is_postgres():
        # psycopg2's executemany is a round trip per row (a submit that opens seven tasks
        # sends seven events and seven mails); one multi-row VALUES per page of rows
        many = _sql(("insert-values", model, names, suffix), lambda p: sql.replace(
            "VALUES ({})".format(", ".join([p] * len(names))), "VALUES %s", 1))
        with pw.__exception_wrapper__:  # a driver's error as peewee's, as execute_sql does
            psycopg2.extras.execute_values(db.cursor(), many, values, page_size=_VALUES_ROWS)
    else:
        with pw.__exception_wrapper__:
            db.cursor().executemany(sql, values)  # in-process: nothing to save by batching


#: Rows per multi-row INSERT on PostgreSQL (a launch inserts its instances 500 at a time).
_VALUES_ROWS = 500


def can_return() -> bool:
    """Does the database speak ``INSERT ... RETURNING`` (PostgreSQL; SQLite >= 3.35)?"""
    if is_postgres():
        return True
    return sqlite3.sqlite_version_info >= (3, 35, 0)


#: Rows per multi-row INSERT ... RETURNING (well under both backends' parameter limits).
_RETURNING_ROWS = 500
#: At most this many rows (or values of an IN list), a statement is prepared on PostgreSQL.
_PREPARED_ROWS = 16


def insert_returning(model, rows: list[dict], returning: tuple[str, ...],
                     ignore_conflicts: bool = False) -> list[tuple]:
    """INSERT rows like :func:`insert_rows` and return ``returning`` columns of the rows
    actually inserted (those skipped by ``ignore_conflicts`` are not), in no set order.
    Only where :func:`can_return` says so."""
    if not rows:
        return []
    names = tuple(rows[0])
    convert = _row_converter(model, names)
    per_row = max(1, min(_RETURNING_ROWS, 30000 // len(names)))
    out: list[tuple] = []
    for start in range(0, len(rows), per_row):
        chunk = rows[start:start + per_row]
        count = len(chunk)
        sql = _sql(("insert-returning", model, names, returning, ignore_conflicts, count),
                   functools.partial(_returning_sql, model, names, returning,
                                     ignore_conflicts, count))
        params = [v for row in chunk for v in convert(row)]
        # a few rows (a command's new tasks) as a prepared statement; a launch's batch as
        # it is: preparing and then parsing an EXECUTE of thousands of values cost more
        # than the plan it saves (a 100,000-person launch ran 15% longer prepared)
        run = server_prepared.execute if count <= _PREPARED_ROWS else db.execute_sql
        out.extend(tuple(r) for r in run(sql, params).fetchall())
    return out


def _returning_sql(model, names, returning, ignore_conflicts: bool, count: int, p: str) -> str:
    one = "({})".format(", ".join([p] * len(names)))
    return 'INSERT INTO "{}" ({}) VALUES {}{} RETURNING {}'.format(
        model._meta.table_name, ", ".join(_column(model, n) for n in names),
        ", ".join([one] * count), " ON CONFLICT DO NOTHING" if ignore_conflicts else "",
        ", ".join(_column(model, n) for n in returning))


def update_matching(model, values: dict, match: dict) -> int:
    """UPDATE ``values`` WHERE every ``match`` column equals its value; rows changed."""
    names, keys = tuple(values), tuple(match)
    sql = _sql(("update", model, names, keys), lambda p: 'UPDATE "{}" SET {} WHERE {}'.format(
        model._meta.table_name, ", ".join(f"{_column(model, n)} = {p}" for n in names),
        " AND ".join(f"{_column(model, k)} = {p}" for k in keys)))
    params = _values(model, names, values) + _values(model, keys, match)
    return server_prepared.execute(sql, params).rowcount


def update_row(model, row_id: int, **values) -> None:
    """UPDATE one row by id."""
    update_matching(model, values, {"id": row_id})


def select_matching(model, match: dict, for_update: bool = False) -> list:
    """Rows WHERE every ``match`` column equals its value, by id."""
    keys = tuple(match)
    sql = _sql(("select", model, keys, for_update), lambda p: 'SELECT {} FROM "{}" WHERE {} '
               'ORDER BY "id"{}'.format(_columns(model), model._meta.table_name,
                                        " AND ".join(f"{_column(model, k)} = {p}" for k in keys),
                                        " FOR UPDATE" if for_update else ""))
    return _objects(model, server_prepared.execute(sql, _values(model, keys, match)))


def select_in(model, column: str, values: list) -> list:
    """Rows WHERE ``column`` is one of ``values``, by id (the SQL built once per number of
    values, the objects the cheap way: the people a nomination names, a batch of ids)."""
    if not values:
        return []
    sql = _sql(("in", model, column, len(values)), lambda p: (
        'SELECT {} FROM "{}" WHERE {} IN ({}) ORDER BY "id"'.format(
            _columns(model), model._meta.table_name, _column(model, column),
            ", ".join([p] * len(values)))))
    convert = model._meta.fields[column].db_value
    # a few values (the peers a nomination names) prepared; a batch of any length as it
    # is, so that one-off lengths never fill a connection's prepared statements
    run = server_prepared.execute if len(values) <= _PREPARED_ROWS else db.execute_sql
    return _objects(model, run(sql, [convert(v) for v in values]))


def submissions_of(instance_id: int) -> list[tuple]:
    """``(form_id, data, entry, author_id, state, task_key)`` of every submission of the
    instance that no later revision replaces (a calibration keeps the original row), in
    order; ``state`` and ``task_key`` are its task's (None for a transition's form).
    Reused SQL: once or twice per command."""
    from engine.store import Submission

    sql = _sql(("submissions",), lambda p: (
        'SELECT s."form_id", s."data", s."entry", s."author_id", t."state", t."task_key" '
        'FROM "submission" AS s LEFT JOIN "task" AS t ON t."id" = s."task_id" '
        f'WHERE s."instance_id" = {p}'
        ' AND NOT EXISTS (SELECT 1 FROM "submission" AS r WHERE r."revision_of_id" = s."id")'
        ' ORDER BY s."id"'))
    load = Submission.data.python_value
    return [(form_id, load(data), entry, author, state, key)
            for form_id, data, entry, author, state, key in
            server_prepared.execute(sql, [instance_id]).fetchall()]


_plans: dict = {}


def _plan(model, columns: tuple):
    """A function result row -> ``model`` object, made once per model and columns.

    Its code is written out per column (as ``collections.namedtuple`` does): a loop over
    the columns in a comprehension cost more than the query itself for a task row. Each
    value goes through its field's python_value unless None or of the type it would come
    back as anyway (:func:`_exact_type`)."""
    key = (model, columns)
    found = _plans.get(key)
    if found is None:
        fields = model._meta.columns
        env: dict = {"new": functools.partial(model, __no_default__=True)}
        items = []
        for i, column in enumerate(columns):
            field = fields[column]
            env[f"c{i}"] = _python_value(field)
            env[f"t{i}"] = _exact_type(field, "python_value")
            items.append(f"{field.name!r}: v{i} if v{i} is None or type(v{i}) is t{i} "
                         f"else c{i}(v{i})")
        names = "".join(f"v{i}, " for i in range(len(columns)))
        code = (f"def build(values):\n    ({names}) = values\n    obj = new()\n"
                f"    obj.__data__ = {{{', '.join(items)}}}\n    return obj\n")
        exec(code, env)  # noqa: S102 - our own text, from the model's column names
        found = _plans[key] = env["build"]
    return found


def _python_value(field):
    """``field.python_value``; for a plain DateTimeField, the same result the short way.

    SQLite hands datetimes back as text; peewee parses it with ``fromisoformat`` after
    a few string edits (a space separator, a trailing ``Z``) that Python 3.11's
    ``fromisoformat`` accepts as they are, so when it parses the text the result is
    the same; anything it refuses still goes through peewee."""
    convert = field.python_value
    if type(field) is not pw.DateTimeField:
        return convert
    parse = datetime.fromisoformat

    def datetime_value(value):
        if type(value) is str:
            try:
                return parse(value)
            except ValueError:
                pass
        return convert(value)

    return datetime_value


def fetch(model, query) -> list:
    """Run a peewee ``query`` selecting whole ``model`` rows, building the objects the
    cheap way (the query is built once; peewee's per-row processing is what costs)."""
    sql, params = query.sql()
    return _objects(model, db.execute_sql(sql, params))


def _objects(model, cursor) -> list:
    build = _plan(model, tuple(d[0] for d in cursor.description))
    return [build(values) for values in cursor.fetchall()]


def marker() -> pw.Value:
    """A placeholder value for a :class:`Prepared` query (filled in at each run)."""
    return pw.Value(object(), converter=False)


class Prepared:
    """A peewee query whose SQL is built once and run many times, with new values for
    its :func:`marker` placeholders (a loop would otherwise rebuild the same SQL)."""

    def __init__(self, query, *markers: pw.Value):
        self.query = query
        self.sql, params = query.sql()
        self.params = list(params)
        self.slots = [[i for i, p in enumerate(self.params) if p is m.value] for m in markers]
        if not all(self.slots):
            raise ValueError("a marker is not a parameter of the query")
        self._reader = None  # peewee's row reader for this SQL, set up by the first rows

    def execute(self, *values):
        """Run with ``values`` in place of the markers, in order; the cursor."""
        params = list(self.params)
        for slots, value in zip(self.slots, values, strict=True):
            for i in slots:
                params[i] = value
        return server_prepared.execute(self.sql, params)

    def objects(self, model, *values) -> list:
        """Run, building whole ``model`` rows the way :func:`fetch` does."""
        return _objects(model, self.execute(*values))

    def rows(self, *values) -> list:
        """Run, with the rows peewee's own query would give (joined models included).

        peewee works out which column goes to which joined model on every run (from the
        cursor's columns): a fifth of a millisecond for the instance page's instance row,
        more than running it. The SQL is the same every run, so the reader set up by the
        first run that found a row builds the rows of the later ones."""
        cursor = self.execute(*values)
        reader = self._reader
        if reader is not None:
            return [reader.process_row(row) for row in cursor.fetchall()]
        reader = self.query._get_cursor_wrapper(cursor)
        found = list(reader)
        if reader.initialized:  # a row came back, so it knows the columns
            reader.row_cache, reader.cursor = [], None  # keep none of this run's rows
            self._reader = reader
        return found


_prepared: dict = {}


def prepared(key: str, build) -> Prepared:
    """The :class:`Prepared` query of ``build()`` (a query and its markers), built once
    per backend and ``key``: a page's fixed-shape query without its SQL built anew on
    every request."""
    full = (type(db.obj), key)
    found = _prepared.get(full)
    if found is None:
        query, *markers = build()
        found = _prepared[full] = Prepared(query, *markers)
    return found


def of_instances(subquery: str) -> str:
    """A condition on task ``t``: its instance is one of ``subquery``'s ids, written so that
    both databases read the tasks by instance (PostgreSQL otherwise hashes the whole task
    table for the join; ``ANY(ARRAY(...))`` makes it an index scan)."""
    if is_postgres():
        return f't."instance_id" = ANY(ARRAY({subquery}))'
    return f't."instance_id" IN ({subquery})'


def get_row(model, row_id: int, for_update: bool = False):
    """One row by id, or None."""
    rows = select_matching(model, {"id": row_id}, for_update)
    return rows[0] if rows else None


def instance_of_task(task_id: int, for_update: bool = False):
    """The instance row of task ``task_id`` (None if no such task), in one statement: a
    task never moves to another instance, so the lock can be taken by the task's id."""
    from engine.store import Instance

    sql = _sql(("instance-of-task", for_update), lambda p: (
        f'SELECT {_columns(Instance)} FROM "instance" WHERE "id" = (SELECT "instance_id" '
        f'FROM "task" WHERE "id" = {p})' + (" FOR UPDATE" if for_update else "")))
    rows = _objects(Instance, server_prepared.execute(sql, [task_id]))
    return rows[0] if rows else None


#: Row ids are 64-bit signed integers on every backend.
MAX_ROW_ID = 2**63 - 1


def row_id(value) -> int:
    """An id from user input as a row id: ``int(value)``, and ``ValueError`` for anything
    outside 1..2**63-1 (``/tasks/10**23`` would overflow SQLite's INTEGER or PostgreSQL's
    bigint and answer 500)."""
    number = int(value)
    if not 0 < number <= MAX_ROW_ID:
        raise ValueError(f"no row has id {value!r}")
    return number


def update_sent(ids: list[int], now, message_id: str) -> None:
    """Mark outbox rows ``ids`` sent at ``now`` with ``message_id`` (one reused statement;
    the mailer's hot path, once per mail)."""
    from engine.store import MailStatus, Outbox

    sql = _sql(("sent", len(ids)), lambda p: (
        'UPDATE "outbox" SET "status" = {p}, "sent_at" = {p}, "error" = NULL, '
        '"message_id" = {p}, "attempts" = "attempts" + 1 WHERE "id" IN ({ids})'
        .format(p=p, ids=", ".join([p] * len(ids)))))
    sent_at = _values(Outbox, ("sent_at",), {"sent_at": now})[0]
    server_prepared.execute(sql, [MailStatus.SENT.value, sent_at, message_id, *ids])
