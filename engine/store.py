"""Rows of the runtime: people, definition versions, cycles, instances, tasks, history.

The engine owns one :class:`peewee.DatabaseProxy`; :func:`connect` points it at SQLite or
PostgreSQL from a URL. State lives in rows, never in a serialized blob rewritten per step
(see design/performance.md). JSON columns are TEXT on both backends.
"""

from __future__ import annotations

import json
import os
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
            (("status", "assignee"), False),
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
