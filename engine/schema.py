"""Schema versions: the shape of reviewflow's own tables, upgraded step by step.

A release that changes a table adds a :class:`Step` at the end of its part's list
(:data:`ENGINE` here; the web's own tables are a second part, in :mod:`web.database`). The
database keeps one ``schema_version`` row per step applied, so :func:`upgrade` knows where
it stands and runs only the steps after that, in order, each in the same transaction as
its row (a step that fails leaves the database as it was, on both backends: PostgreSQL
and SQLite both roll back DDL). The actions use ``playhouse.migrate``, which ships with
peewee.

- A fresh database gets the newest tables at once and is stamped with the latest version
  (replaying history on an empty database would only be slower).
- A database made before schema versions existed (tables, no ``schema_version``) starts
  at 0: step 1 brings it to the shape every older release reached by itself (missing
  tables and columns added).
- Steps are written to be safe to run twice (``add_column`` skips a column that is
  there), because step 1 may already have added what a later step adds.

Two processes upgrading at once (web workers starting together) queue on a lock: an
advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite. The second one finds the
work done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw
from playhouse.migrate import SchemaMigrator

from engine import connection
from engine.clock import utc
from engine.connection import db

TABLE = "schema_version"
#: pg_advisory_xact_lock key of schema upgrades (any constant; "rflw" in ASCII).
_LOCK_KEY = 0x72666C77


class SchemaVersion(pw.Model):
    """One step applied to one part of the database (``engine`` or ``web``)."""

    part = pw.CharField(max_length=40)
    version = pw.IntegerField()
    name = pw.CharField(max_length=200)
    applied_at = pw.DateTimeField()

    class Meta:
        database = db
        table_name = TABLE
        indexes = ((("part", "version"), True),)


Action = Callable[[SchemaMigrator], None]


@dataclass(frozen=True)
class Step:
    """One change to the tables: ``version`` counts up from 1 in its part's list."""

    version: int
    name: str
    apply: Action


@dataclass(frozen=True)
class Part:
    """A set of tables upgraded together, with its ordered steps."""

    name: str
    models: Sequence[type[pw.Model]]
    steps: Sequence[Step]

    def __post_init__(self):
        numbers = [s.version for s in self.steps]
        if numbers != list(range(1, len(numbers) + 1)):
            # Two branches that each added "step 4" meet here: renumber the later one.
            raise ValueError(f"schema steps of {self.name!r} must be numbered 1..n in "
                             f"order, not {numbers}")

    @property
    def latest(self) -> int:
        return len(self.steps)


@dataclass
class Upgrade:
    """What :func:`upgrade` did to one part."""

    part: str
    from_version: int | None  # None: the part had no tables (a fresh database)
    to_version: int
    applied: list[str] = field(default_factory=list)  # "3: external raters: ..."

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version


# ----------------------------------------------------------------- actions for steps


def add_column(model: type[pw.Model], name: str) -> Action:
    """A step action adding ``model.name`` to its existing table (skipped if there).

    The column must be nullable or carry a SQL ``DEFAULT`` (``constraints=[SQL("DEFAULT
    ''")]``): both backends then add it in place. A NOT NULL column with only a Python
    default makes ``playhouse.migrate`` rebuild the table on SQLite (copy, drop, rename),
    which is slow on big tables and unwise for one that foreign keys point at.
    """
    column = model._meta.fields[name]

    def run(migrator: SchemaMigrator) -> None:
        table = model._meta.table_name
        if name_in(column.column_name, table):
            return
        if not column.null and _has_sql_default(column):
            # In place on both backends (the migrator would add it nullable, fill it, then
            # rebuild the table on SQLite to make it NOT NULL).
            ctx = db.get_sql_context()
            ddl = ctx.sql(column.ddl(ctx)).query()[0]
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')
        else:
            migrator.add_column(table, column.column_name, column).run()

    return run


def _has_sql_default(column: pw.Field) -> bool:
    return any("DEFAULT" in getattr(c, "sql", "").upper() for c in column.constraints or ())


def name_in(column_name: str, table: str) -> bool:
    """True when ``table`` has a column ``column_name``."""
    return any(c.name == column_name for c in db.get_columns(table))


def create_table(model: type[pw.Model]) -> Action:
    """A step action creating ``model``'s table with its indexes (skipped if there)."""

    def run(migrator: SchemaMigrator) -> None:
        model.create_table(safe=True)

    return run


def add_index(model: type[pw.Model], columns: tuple[str, ...], unique: bool = False) -> Action:
    """A step action adding an index on ``columns`` of ``model``'s table (skipped if there)."""

    def run(migrator: SchemaMigrator) -> None:
        table = model._meta.table_name
        wanted = list(columns)
        if any(i.columns == wanted for i in db.get_indexes(table)):
            return
        migrator.add_index(table, wanted, unique).run()

    return run


def create_index(model: type[pw.Model], name: str) -> Action:
    """A step action creating the index ``name`` that ``model`` declares (one made with
    ``Model.add_index``: a partial one, say), as the model says it (skipped if there)."""
    index = next((i for i in model._meta.fields_to_index() if i._name == name), None)
    if index is None:
        raise ValueError(f"{model.__name__} declares no index {name!r}")

    def run(migrator: SchemaMigrator) -> None:
        sql, params = db.get_sql_context().sql(index.safe(True)).query()
        db.execute_sql(sql, params)

    return run


def drop_index(table: str, name: str) -> Action:
    """A step action dropping the index ``name`` of ``table`` (skipped if not there)."""

    def run(migrator: SchemaMigrator) -> None:
        if any(i.name == name for i in db.get_indexes(table)):
            db.execute_sql(f'DROP INDEX "{name}"')

    return run


def all_of(*actions: Action) -> Action:
    """A step action doing several actions in order (one step, one transaction)."""

    def run(migrator: SchemaMigrator) -> None:
        for action in actions:
            action(migrator)

    return run


def catch_up(models: Sequence[type[pw.Model]]) -> Action:
    """Step 1 of a part: what reviewflow did on every start before schema versions (create
    missing tables, add the columns a model gained), so any older database reaches one
    known shape."""

    def run(migrator: SchemaMigrator) -> None:
        for model in models:
            if not db.table_exists(model._meta.table_name):
                continue
            for f in model._meta.sorted_fields:
                add_column(model, f.name)(migrator)
        db.create_tables(list(models), safe=True)

    return run


# --------------------------------------------------------------------- the upgrade


def current_version(part: Part) -> int | None:
    """The part's version in the database: None when it has no tables yet, 0 when they
    were made before schema versions."""
    if db.table_exists(TABLE):
        found = (SchemaVersion.select(pw.fn.MAX(SchemaVersion.version))
                 .where(SchemaVersion.part == part.name).scalar())
        if found is not None:
            return found
    if any(db.table_exists(m._meta.table_name) for m in part.models):
        return 0
    return None


def upgrade(part: Part, now: datetime | None = None) -> Upgrade:
    """Bring ``part``'s tables to its latest version (idempotent); say what was done."""
    before = current_version(part)
    if before == part.latest:
        return Upgrade(part.name, before, before)
    now = utc(now)
    with _locked():
        SchemaVersion.create_table(safe=True)
        before = current_version(part)  # another process may have done it meanwhile
        result = Upgrade(part.name, before, part.latest)
        if before is None:
            db.create_tables(list(part.models), safe=True)
            _stamp(part, part.steps, now)
            return result
        migrator = SchemaMigrator.from_database(db.obj)
        for step in part.steps[before:]:
            with db.atomic():  # a savepoint: the step and its row go together
                step.apply(migrator)
                _stamp(part, [step], now)
            result.applied.append(f"{step.version}: {step.name}")
    return result


def _stamp(part: Part, steps: Sequence[Step], now: datetime) -> None:
    if steps:
        SchemaVersion.insert_many([
            {"part": part.name, "version": s.version, "name": s.name, "applied_at": now}
            for s in steps]).execute()


def _locked():
    if connection.is_postgres():
        return _PostgresLock()
    return db.atomic("IMMEDIATE")


class _PostgresLock:
    """A transaction holding the schema's advisory lock until it ends."""

    def __enter__(self):
        self._tx = db.atomic()
        self._tx.__enter__()
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))

    def __exit__(self, *exc):
        return self._tx.__exit__(*exc)


def forget(part: Part) -> None:
    """Drop the part's version rows (its tables were dropped: ``db init --fresh``)."""
    if db.table_exists(TABLE):
        SchemaVersion.delete().where(SchemaVersion.part == part.name).execute()


def history(part: Part) -> list[SchemaVersion]:
    """The steps applied to ``part``, oldest first."""
    if not db.table_exists(TABLE):
        return []
    return list(SchemaVersion.select().where(SchemaVersion.part == part.name)
                .order_by(SchemaVersion.version))
