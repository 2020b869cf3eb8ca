"""Rows read through engine.statements' cheap object building equal peewee's own.

The hot paths build model objects without peewee's per-row machinery and parse SQLite's
datetime text the short way (engine/statements.py); whatever the stored text, the object
must hold exactly what ``Model.get_by_id`` would have made of it.
"""

from datetime import datetime

import pytest

from engine import statements, store
from engine.store import Outbox


def _outbox(**fields) -> int:
    row = {"recipient": "ann@x.com", "subject": "s", "body": "b", "kind": "assigned",
           "created_at": datetime(2026, 3, 2, 9, 0), **fields}
    return Outbox.insert(**row).execute()


def test_every_column_reads_as_peewee_reads_it(db):
    row_id = _outbox(sent_at=datetime(2026, 3, 2, 9, 30, 0, 123456), attempts=2,
                     params={"reason": "late", "n": [1, 2]}, error=None)
    cheap = statements.get_row(Outbox, row_id)
    assert cheap.__data__ == Outbox.get_by_id(row_id).__data__
    assert cheap.params == {"reason": "late", "n": [1, 2]} and cheap.error is None
    assert cheap.sent_at == datetime(2026, 3, 2, 9, 30, 0, 123456)


@pytest.mark.parametrize("text", [
    "2026-03-02 09:00:00", "2026-03-02 09:00:00.123456", "2026-03-02 09:00:00.123",
    "2026-03-02", "2026-03-02T09:00:00", "2026-03-02 09:00:00+02:00",
    "2026-03-02 09:00:00Z", "2026-03-02 09:00:00.5-01:30", "not a date", "",
])
def test_sqlite_datetime_text_reads_as_peewee_reads_it(tmp_path, text):
    store.connect(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    store.create_tables()
    try:
        row_id = _outbox()
        store.db.execute_sql('UPDATE "outbox" SET "created_at" = ?, "sent_at" = ? WHERE id = ?',
                             [text, text, row_id])
        cheap = statements.get_row(Outbox, row_id)
        peewee = Outbox.get_by_id(row_id)
        for name in ("created_at", "sent_at"):
            assert getattr(cheap, name) == getattr(peewee, name), name
            assert type(getattr(cheap, name)) is type(getattr(peewee, name)), name
    finally:
        store.close()


def test_a_prepared_querys_rows_equal_peewees_on_every_run(org, library):
    """Later runs reuse the first run's row reader: each still gives what the peewee query
    itself gives, joined models and an outer join that found nothing included."""
    from engine import commands
    from engine.queries.instances import _instance_query
    from tests.runtime.conftest import T0

    commands.launch(library, "review", "2026", now=T0)
    commands.start(library, "review", "ceo@x.com", actor="hal@x.com", now=T0)  # no manager
    query, marker = _instance_query()
    prepared = statements.Prepared(query, marker)
    assert prepared.rows(10**6) == []  # no row: nothing learnt yet
    ids = [i.id for i in store.Instance.select().order_by(store.Instance.id)]
    for instance_id in ids + ids:
        (row,) = prepared.rows(instance_id)
        own = store.Instance.get_by_id(instance_id)
        assert row.__data__ == own.__data__
        assert row.subject.__data__ == own.subject.__data__
        manager = own.subject.manager
        assert (row.subject.manager.__data__ if manager else None) == (
            manager.__data__ if manager else None)
        assert (row.cycle.__data__ if own.cycle else None) == (
            own.cycle.__data__ if own.cycle else None)
    assert prepared._reader is not None
