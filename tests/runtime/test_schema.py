"""Schema versions: a database made by an older reviewflow upgrades in place, keeping its
rows, on SQLite and PostgreSQL (each test on an empty database of its own)."""

from __future__ import annotations

import os
from datetime import datetime
from urllib.parse import urlparse, urlunparse

import peewee as pw
import pytest
from click.testing import CliRunner

from engine import schema, store
from engine.store import db
from tests.conftest import PG_ADMIN_URL, _admin_connection

T0 = datetime(2026, 3, 2, 9, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request, tmp_path):
    """An empty, connected database of this test alone (the shared one keeps its shape)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        store.connect(url)
        yield url
        store.close()
        return
    try:
        admin = _admin_connection()
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})")
    name = f"reviewflow_test_schema{os.environ.get('PYTEST_XDIST_WORKER', '')}_{os.getpid()}"
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name))
    store.connect(url)
    yield url
    store.close()
    store.db.obj.close_all() if hasattr(store.db.obj, "close_all") else None
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def columns(table: str) -> set[str]:
    return {c.name for c in db.get_columns(table)}


def test_a_fresh_database_gets_the_newest_tables_stamped_with_the_latest_version(empty_db):
    done = schema.upgrade(store.ENGINE)
    assert (done.from_version, done.to_version, done.applied) == (None, store.ENGINE.latest, [])
    for model in store.MODELS:
        assert columns(model._meta.table_name) == {f.column_name for f in
                                                    model._meta.sorted_fields}
    assert [r.version for r in schema.history(store.ENGINE)] == \
        list(range(1, store.ENGINE.latest + 1))
    again = schema.upgrade(store.ENGINE)
    assert not again.changed and again.applied == []


def _pre_versions_database() -> None:
    """The shape of a release before schema versions and before the mailer and languages:
    no ``schema_version``, no ``person.language``, no outbox delivery columns."""
    db.create_tables(store.MODELS)
    db.execute_sql('DROP INDEX "outbox_status_recipient_id"')
    for table, column in [("person", "language"), ("outbox", "status"),
                          ("outbox", "attempts"), ("outbox", "params")]:
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql("INSERT INTO person (email, name, department, title, attributes, active) "
                   "VALUES ('ann@x.com', 'Ann', 'Sales', 'Rep', '{}', %s)"
                   .replace("%s", "TRUE" if store.is_postgres() else "1"))
    db.execute_sql("INSERT INTO outbox (recipient, subject, body, kind, created_at) "
                   "VALUES ('ann@x.com', 'Hello', 'Body', 'assigned', '2026-03-02 09:00:00')")


def test_a_database_made_before_schema_versions_upgrades_and_keeps_its_rows(empty_db):
    _pre_versions_database()
    assert schema.current_version(store.ENGINE) == 0
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.from_version == 0 and done.to_version == store.ENGINE.latest
    assert done.applied[0] == "1: catch up with the tables of releases before schema versions"
    assert {"language"} <= columns("person")
    assert {"status", "attempts", "params"} <= columns("outbox")
    assert "outbox_status_recipient_id" in {i.name for i in db.get_indexes("outbox")}
    ann = store.Person.get(store.Person.email == "ann@x.com")
    assert (ann.name, ann.language) == ("Ann", "")  # the old row, with the column's default
    mail = store.Outbox.get()
    assert (mail.subject, mail.status, mail.attempts) == ("Hello", "queued", 0)
    assert schema.current_version(store.ENGINE) == store.ENGINE.latest


class Widget(pw.Model):
    """A table of a made-up part, to upgrade through steps of our own."""

    name = pw.CharField()
    colour = pw.CharField(max_length=20, default="blue",
                          constraints=[pw.SQL("DEFAULT 'blue'")])
    size = pw.IntegerField(null=True)

    class Meta:
        database = db
        table_name = "widget"


def _part(*steps):
    return schema.Part("widgets", [Widget], steps)


STEP1 = schema.Step(1, "catch up", schema.catch_up([Widget]))
STEP2 = schema.Step(2, "add widget.colour", schema.add_column(Widget, "colour"))
STEP3 = schema.Step(3, "add widget.size", schema.add_column(Widget, "size"))


def _widgets_at_version_1():
    db.execute_sql('CREATE TABLE "widget" (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL)'
                   if not store.is_postgres() else
                   'CREATE TABLE "widget" (id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL)')
    schema.SchemaVersion.create_table()
    schema.SchemaVersion.create(part="widgets", version=1, name="catch up", applied_at=T0)
    db.execute_sql("INSERT INTO widget (name) VALUES ('one'), ('two')")


def test_steps_after_the_stored_version_run_in_order_and_keep_the_rows(empty_db):
    _widgets_at_version_1()
    done = schema.upgrade(_part(STEP1, STEP2, STEP3), now=T0)
    assert (done.from_version, done.to_version) == (1, 3)
    assert done.applied == ["2: add widget.colour", "3: add widget.size"]
    rows = [(w.name, w.colour, w.size) for w in Widget.select().order_by(Widget.id)]
    assert rows == [("one", "blue", None), ("two", "blue", None)]
    assert [(r.version, r.name) for r in schema.history(_part())] == \
        [(1, "catch up"), (2, "add widget.colour"), (3, "add widget.size")]
    assert schema.upgrade(_part(STEP1, STEP2, STEP3)).applied == []


def test_a_failing_step_leaves_the_table_and_the_version_as_they_were(empty_db):
    _widgets_at_version_1()

    def broken(migrator):
        schema.add_column(Widget, "size")(migrator)
        raise RuntimeError("the step's data fix failed")

    bad = schema.Step(3, "add widget.size and fail", broken)
    with pytest.raises(RuntimeError, match="data fix failed"):
        schema.upgrade(_part(STEP1, STEP2, bad), now=T0)
    store.close()
    store.db.connect()
    assert columns("widget") == {"id", "name"}
    assert schema.current_version(_part()) == 1
    assert schema.upgrade(_part(STEP1, STEP2, STEP3)).applied == \
        ["2: add widget.colour", "3: add widget.size"]


def test_steps_must_be_numbered_from_one_in_order():
    with pytest.raises(ValueError, match=r"numbered 1..n in order, not \[1, 3\]"):
        _part(STEP1, STEP3)


def test_cli_db_upgrade_says_what_it_did_and_then_that_nothing_is_left(empty_db):
    from web.cli import main

    _pre_versions_database()
    store.close()
    runner = CliRunner()
    first = runner.invoke(main, ["--db", empty_db, "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"engine: version 0 -> {store.ENGINE.latest}" in first.output
    assert "applied 1: catch up with the tables" in first.output
    assert "web: created at version 1" in first.output
    second = runner.invoke(main, ["--db", empty_db, "db", "upgrade"])
    assert second.output.splitlines() == [f"engine: version {store.ENGINE.latest}, up to date",
                                          "web: version 1, up to date"]
    store.connect(empty_db)
    assert store.Person.get().email == "ann@x.com"


def test_a_database_of_version_1_gets_the_calibration_tables_and_revisions(empty_db):
    """Step 2: a database stamped at version 1 (before calibration) gains the session
    tables and ``submission.revision_of`` with its index, and keeps its rows."""
    calibration = [store.CalibrationSession, store.Calibrator, store.Proposal,
                   store.SessionEvent]
    field = store.Submission._meta.fields["revision_of"]
    store.Submission._meta.remove_field("revision_of")
    try:  # the tables as version 1 made them
        db.create_tables([m for m in store.MODELS if m not in calibration])
    finally:
        store.Submission._meta.add_field("revision_of", field)
    schema.SchemaVersion.create_table()
    schema.SchemaVersion.create(part="engine", version=1, name="catch up", applied_at=T0)
    assert "revision_of_id" not in columns("submission")
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied[0] == "2: calibration sessions, and submission.revision_of"
    assert "revision_of_id" in columns("submission")
    assert ["revision_of_id"] in [i.columns for i in db.get_indexes("submission")]
    for model in calibration:
        assert columns(model._meta.table_name) == {f.column_name for f in
                                                    model._meta.sorted_fields}
    assert schema.upgrade(store.ENGINE).applied == []


def test_a_version_2_database_gains_the_external_raters_columns_with_its_rows(empty_db):
    """Step 3 on a database of the release before it (version 2, its rows kept)."""
    schema.upgrade(store.ENGINE, now=T0)
    for table, column in [("person", "external"), ("task", "link_nonce"),
                          ("task", "link_expires_at")]:
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    schema.SchemaVersion.delete().where((schema.SchemaVersion.part == "engine")
                                        & (schema.SchemaVersion.version >= 3)).execute()
    truth = "TRUE" if store.is_postgres() else "1"
    db.execute_sql("INSERT INTO person (email, name, department, title, attributes, active, "
                   f"language) VALUES ('ann@x.com', 'Ann', 'Sales', 'Rep', '{{}}', {truth}, '')")
    assert schema.current_version(store.ENGINE) == 2
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied[0] == ("3: external raters: person.external, task.link_nonce, "
                               "task.link_expires_at")
    assert "external" in columns("person") and {"link_nonce", "link_expires_at"} <= \
        columns("task")
    ann = store.Person.get(store.Person.email == "ann@x.com")
    assert (ann.name, ann.active, ann.external) == ("Ann", True, False)


def test_a_version_3_database_gains_the_dates_of_cycles(empty_db):
    """Step 4 on a database of the release before it: ``cycle.dates``, null for the
    cycles launched before (they have no dates)."""
    schema.upgrade(store.ENGINE, now=T0)
    db.execute_sql('ALTER TABLE "cycle" DROP COLUMN "dates"')
    schema.SchemaVersion.delete().where((schema.SchemaVersion.part == "engine")
                                        & (schema.SchemaVersion.version >= 4)).execute()
    assert schema.current_version(store.ENGINE) == 3
    assert "dates" not in columns("cycle")
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied[0] == "4: calendar dates of a cycle: cycle.dates"
    assert "dates" in columns("cycle")
    assert schema.upgrade(store.ENGINE).applied == []


def test_a_version_4_database_gains_the_directory_listings_index(empty_db):
    """Step 5 on a database of the release before it: the index HR's people pages walk."""
    schema.upgrade(store.ENGINE, now=T0)
    name = "person_active_department_name_id"
    db.execute_sql(f'DROP INDEX "{name}"')
    schema.SchemaVersion.delete().where((schema.SchemaVersion.part == "engine")
                                        & (schema.SchemaVersion.version >= 5)).execute()
    assert schema.current_version(store.ENGINE) == 4
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied[0] == ("5: the directory listing's index: person(active, "
                               "department, name, id)")
    assert [i.columns for i in db.get_indexes("person") if i.name == name] == [
        ["active", "department", "name", "id"]]
    assert schema.upgrade(store.ENGINE).applied == []


def test_a_version_5_database_drops_the_indexes_a_longer_one_serves(empty_db):
    """Step 6 on a database of the release before it: the single-column indexes of the
    foreign keys that lead a longer index go (each insert wrote both); a fresh database
    never has them; the rows stay."""
    schema.upgrade(store.ENGINE, now=T0)
    assert not [name for table, name in store.LED_BY_LONGER_INDEXES
                if any(i.name == name for i in db.get_indexes(table))]
    for table, name in store.LED_BY_LONGER_INDEXES:
        column = name[len(table) + 1:]
        db.execute_sql(f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
    schema.SchemaVersion.delete().where((schema.SchemaVersion.part == "engine")
                                        & (schema.SchemaVersion.version >= 6)).execute()
    assert schema.current_version(store.ENGINE) == 5
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied[0] == ("6: no index of their own for the foreign keys a longer "
                               "index leads")
    for table, name in store.LED_BY_LONGER_INDEXES:
        left = [i.columns for i in db.get_indexes(table)]
        assert not any(i.name == name for i in db.get_indexes(table)), (table, name)
        column = name[len(table) + 1:]
        assert any(columns[0] == column and len(columns) > 1 for columns in left), left
    assert schema.upgrade(store.ENGINE).applied == []


def test_a_version_6_database_indexes_its_timers_where_they_are_set(empty_db):
    """Step 7 on a database of the release before it: each timer's index of every row
    (peewee's, on the column alone) gives way to one of (due, id) over the rows where it is
    set; the rows stay and the tick still finds what is due."""
    schema.upgrade(store.ENGINE, now=T0)
    for model, column in store.TIMERS:
        table = model._meta.table_name
        db.execute_sql(f'DROP INDEX "{table}_{column}_id"')
        db.execute_sql(f'CREATE INDEX "{table}_{column}" ON "{table}" ("{column}")')
    schema.SchemaVersion.delete().where((schema.SchemaVersion.part == "engine")
                                        & (schema.SchemaVersion.version >= 7)).execute()
    assert schema.current_version(store.ENGINE) == 6
    done = schema.upgrade(store.ENGINE, now=T0)
    assert done.applied == ["7: timers indexed by (due, id) where set: instance.timer_at, "
                            "task.remind_at, task.escalate_at, task.repeat_at"]
    for model, column in store.TIMERS:
        table = model._meta.table_name
        found = {i.name: i for i in db.get_indexes(table)}
        assert f"{table}_{column}" not in found
        new = found[f"{table}_{column}_id"]
        assert new.columns == [column, "id"]
        assert "IS NOT NULL" in new.sql.upper()
    assert schema.upgrade(store.ENGINE).applied == []
