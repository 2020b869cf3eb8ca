"""Rows of the runtime: people, definition versions, cycles, instances, tasks, history.

The engine owns one :class:`peewee.DatabaseProxy`; :func:`connect` points it at SQLite or
PostgreSQL from a URL. State lives in rows, never in a serialized blob rewritten per step
(see design/performance.md). JSON columns are TEXT on both backends.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import sqlite3
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import unquote, urlparse

import peewee as pw

db = pw.DatabaseProxy()

BUSY_TIMEOUT_S = 10


class TaskStatus(StrEnum):
    """A task is open until submitted, or cancelled when its state is left."""

    OPEN = "open"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class InstanceStatus(StrEnum):
    """An instance runs until it enters a final state or HR cancels it."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class JSONField(pw.TextField):
    """A JSON document stored as text (portable between SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Person(BaseModel):
    email = pw.CharField(max_length=320, unique=True)
    name = pw.CharField(max_length=200)
    manager = pw.ForeignKeyField("self", null=True, backref="reports", on_delete="SET NULL")
    department = pw.CharField(max_length=200, default="", index=True)
    title = pw.CharField(max_length=200, default="")
    start_date = pw.DateField(null=True)
    attributes = JSONField(default=dict)
    # The directory's preferred language (a tag such as ``da`` or ``sv-SE``), or "".
    language = pw.CharField(max_length=35, default="", constraints=[pw.SQL("DEFAULT ''")])
    active = pw.BooleanField(default=True)
    updated_at = pw.DateTimeField(null=True)


class PersonGroup(BaseModel):
    person = pw.ForeignKeyField(Person, backref="group_rows", on_delete="CASCADE")
    group = pw.CharField(max_length=100)

    class Meta:
        indexes = ((("group", "person"), True),)


class Definition(BaseModel):
    workflow_id = pw.CharField(max_length=100)
    version = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    title = pw.CharField(max_length=300, default="")
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("workflow_id", "version"), True),)


class DefinitionSource(BaseModel):
    definition = pw.ForeignKeyField(Definition, backref="sources", on_delete="CASCADE")
    kind = pw.CharField(max_length=20)  # "workflow" | "form"
    name = pw.CharField(max_length=100)
    sha256 = pw.CharField(max_length=64)
    text = pw.TextField()

    class Meta:
        indexes = ((("definition", "kind", "name"), True),)


class Cycle(BaseModel):
    name = pw.CharField(max_length=200, unique=True)
    workflow_id = pw.CharField(max_length=100)
    definition = pw.ForeignKeyField(Definition)
    filters = JSONField(default=list)
    created_at = pw.DateTimeField()
    created_by = pw.CharField(max_length=320, default="system")


class Instance(BaseModel):
    definition = pw.ForeignKeyField(Definition)
    workflow_id = pw.CharField(max_length=100)
    cycle = pw.ForeignKeyField(Cycle, null=True, backref="instances")
    subject = pw.ForeignKeyField(Person, backref="instances")
    state = pw.CharField(max_length=100)
    status = pw.CharField(max_length=20, default=InstanceStatus.RUNNING)
    entry = pw.IntegerField(default=1)
    started_at = pw.DateTimeField()
    entered_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children")
    timer_at = pw.DateTimeField(null=True, index=True)
    launch_token = pw.CharField(max_length=40, null=True)

    class Meta:
        indexes = (
            (("cycle", "subject"), True),
            (("definition", "state", "status"), False),
            (("workflow_id", "status"), False),
            (("subject", "status"), False),
            (("cycle", "launch_token"), False),
        )


class Task(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="tasks")
    entry = pw.IntegerField()
    state = pw.CharField(max_length=100)
    task_key = pw.CharField(max_length=200)
    form_id = pw.CharField(max_length=100)
    role = pw.CharField(max_length=100)
    assignee = pw.ForeignKeyField(Person, null=True, backref="tasks")
    status = pw.CharField(max_length=20, default=TaskStatus.OPEN)
    draft = JSONField(null=True)
    created_at = pw.DateTimeField()
    due_at = pw.DateTimeField(null=True)
    remind_at = pw.DateTimeField(null=True, index=True)
    escalate_at = pw.DateTimeField(null=True, index=True)
    escalated_to = pw.ForeignKeyField(Person, null=True, backref="escalated_tasks")
    repeat_at = pw.DateTimeField(null=True, index=True)
    submitted_at = pw.DateTimeField(null=True)
    submitted_by = pw.CharField(max_length=320, null=True)
    cancelled_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("assignee", "status", "due_at"), False),
            (("escalated_to", "status"), False),
            (("instance", "entry"), False),
        )


class Submission(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="submissions")
    task = pw.ForeignKeyField(Task, null=True, backref="submissions")
    form_id = pw.CharField(max_length=100)
    author = pw.ForeignKeyField(Person)
    data = JSONField()
    trigger = pw.CharField(max_length=100, null=True)
    entry = pw.IntegerField()
    state = pw.CharField(max_length=100)
    submitted_at = pw.DateTimeField()

    class Meta:
        indexes = ((("instance", "form_id"), False),)


class Event(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="events")
    at = pw.DateTimeField()
    actor = pw.CharField(max_length=320)
    kind = pw.CharField(max_length=40)
    trigger = pw.CharField(max_length=100, null=True)
    from_state = pw.CharField(max_length=100, null=True)
    to_state = pw.CharField(max_length=100, null=True)
    task = pw.ForeignKeyField(Task, null=True, backref="events")
    detail = JSONField(default=dict)

    class Meta:
        indexes = ((("instance", "id"), False),)


class Outbox(BaseModel):
    recipient = pw.CharField(max_length=320)
    subject = pw.CharField(max_length=300)
    body = pw.TextField()
    kind = pw.CharField(max_length=40)
    created_at = pw.DateTimeField()
    sent_at = pw.DateTimeField(null=True, index=True)
    instance = pw.ForeignKeyField(Instance, null=True)
    task = pw.ForeignKeyField(Task, null=True)


MODELS = (
    Person,
    PersonGroup,
    Definition,
    DefinitionSource,
    Cycle,
    Instance,
    Task,
    Submission,
    Event,
    Outbox,
)


def _sqlite(path: str) -> pw.SqliteDatabase:
    sync = os.environ.get("REVIEWFLOW_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    return pw.SqliteDatabase(
        path,
        pragmas={
            "journal_mode": "wal",
            "synchronous": sync,
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_S * 1000,
        },
        timeout=BUSY_TIMEOUT_S,
        check_same_thread=False,
    )


def _postgres(url: str) -> pw.PostgresqlDatabase:
    parts = urlparse(url)
    return pw.PostgresqlDatabase(
        unquote(parts.path.lstrip("/")),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or None,
        port=parts.port or 5432,
    )


def database_for(url: str) -> pw.Database:
    """A peewee database (not yet connected) for ``sqlite:///PATH`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        return _sqlite(url[len("sqlite:///") :])
    if url == "sqlite://" or url == "sqlite:///:memory:":
        return _sqlite(":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url)
    raise ValueError(f"unsupported database URL {url!r} (use sqlite:///PATH or postgresql://...)")


_current_url: str | None = None


def init(url: str) -> pw.Database:
    """Point the engine's database proxy at ``url`` without connecting (the web app opens
    and closes ``db`` per request, the way ``FlaskDB`` does)."""
    global _current_url
    close()
    database = database_for(url)
    db.initialize(database)
    if url != _current_url:
        run_reset_hooks()  # ids cached for another database mean nothing here
    _current_url = url
    return database


def connect(url: str) -> pw.Database:
    """Point the engine's database proxy at ``url`` and open the connection."""
    database = init(url)
    database.connect()
    return database


def close() -> None:
    """Close the current connection, if any."""
    if db.obj is not None and not db.is_closed():
        db.close()


def is_postgres() -> bool:
    """True when the proxy points at PostgreSQL (locking differs by backend)."""
    return isinstance(db.obj, pw.PostgresqlDatabase)


def create_tables() -> None:
    """Create every table and index that is missing (idempotent)."""
    db.create_tables(MODELS, safe=True)


#: Called when tables are dropped or emptied, so caches keyed by row ids forget them.
reset_hooks: list = []


def drop_tables() -> None:
    """Drop every table of the runtime (tests and ``db init --fresh``)."""
    db.drop_tables(MODELS, safe=True, cascade=is_postgres())
    run_reset_hooks()


def run_reset_hooks() -> None:
    """Tell caches keyed by row ids that the rows are gone."""
    for hook in reset_hooks:
        hook()


# --------------------------------------------------------------------------- hot paths
# Building SQL with peewee's query builder costs a few hundred microseconds per statement
# on these machines, more than running it. Commands run the same few statements over and
# over, so these helpers write each one once per backend and reuse the text; values still
# go through each field's db_value, and rows come back through Model.raw's converters.

_sql_cache: dict = {}


def _sql(key: tuple, make) -> str:
    full = (type(db.obj), *key)
    found = _sql_cache.get(full)
    if found is None:
        found = _sql_cache[full] = make(db.obj.param)
    return found


def _column(model, name: str) -> str:
    return f'"{model._meta.fields[name].column_name}"'


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
        db.execute_sql(sql, values[0])
    else:
        db.cursor().executemany(sql, values)


def can_return() -> bool:
    """Does the database speak ``INSERT ... RETURNING`` (PostgreSQL; SQLite >= 3.35)?"""
    if is_postgres():
        return True
    return sqlite3.sqlite_version_info >= (3, 35, 0)


#: Rows per multi-row INSERT ... RETURNING (well under both backends' parameter limits).
_RETURNING_ROWS = 500


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
        out.extend(tuple(r) for r in db.execute_sql(sql, params).fetchall())
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
    return db.execute_sql(sql, params).rowcount


def update_row(model, row_id: int, **values) -> None:
    """UPDATE one row by id."""
    update_matching(model, values, {"id": row_id})


def select_matching(model, match: dict, for_update: bool = False) -> list:
    """Rows WHERE every ``match`` column equals its value, by id."""
    keys = tuple(match)
    sql = _sql(("select", model, keys, for_update), lambda p: 'SELECT * FROM "{}" WHERE {} '
               'ORDER BY "id"{}'.format(model._meta.table_name,
                                        " AND ".join(f"{_column(model, k)} = {p}" for k in keys),
                                        " FOR UPDATE" if for_update else ""))
    cursor = db.execute_sql(sql, _values(model, keys, match))
    plan = _plan(model, tuple(d[0] for d in cursor.description))
    return [_row(model, plan, values) for values in cursor.fetchall()]


_plans: dict = {}


def _plan(model, columns: tuple) -> list:
    """(field name, python_value, type passed through) per column of a result, cached per
    model and columns."""
    key = (model, columns)
    found = _plans.get(key)
    if found is None:
        fields = model._meta.columns
        found = _plans[key] = [(fields[c].name, fields[c].python_value,
                                _exact_type(fields[c], "python_value")) for c in columns]
    return found


def _row(model, plan: list, values) -> BaseModel:
    obj = model(__no_default__=True)
    obj.__data__ = {name: (v if v is None or type(v) is exact else convert(v))
                    for (name, convert, exact), v in zip(plan, values, strict=True)}
    return obj


def fetch(model, query) -> list:
    """Run a peewee ``query`` selecting whole ``model`` rows, building the objects the
    cheap way (the query is built once; peewee's per-row processing is what costs)."""
    sql, params = query.sql()
    return _objects(model, db.execute_sql(sql, params))


def _objects(model, cursor) -> list:
    plan = _plan(model, tuple(d[0] for d in cursor.description))
    return [_row(model, plan, values) for values in cursor.fetchall()]


def marker() -> pw.Value:
    """A placeholder value for a :class:`Prepared` query (filled in at each run)."""
    return pw.Value(object(), converter=False)


class Prepared:
    """A peewee query whose SQL is built once and run many times, with new values for
    its :func:`marker` placeholders (a loop would otherwise rebuild the same SQL)."""

    def __init__(self, query, *markers: pw.Value):
        self.sql, params = query.sql()
        self.params = list(params)
        self.slots = [[i for i, p in enumerate(self.params) if p is m.value] for m in markers]
        if not all(self.slots):
            raise ValueError("a marker is not a parameter of the query")

    def execute(self, *values):
        """Run with ``values`` in place of the markers, in order; the cursor."""
        params = list(self.params)
        for slots, value in zip(self.slots, values, strict=True):
            for i in slots:
                params[i] = value
        return db.execute_sql(self.sql, params)

    def objects(self, model, *values) -> list:
        """Run, building whole ``model`` rows the way :func:`fetch` does."""
        return _objects(model, self.execute(*values))


def get_row(model, row_id: int, for_update: bool = False):
    """One row by id, or None."""
    rows = select_matching(model, {"id": row_id}, for_update)
    return rows[0] if rows else None
