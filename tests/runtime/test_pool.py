"""Connections are pooled on PostgreSQL and on an SQLite file: a closed connection goes
back to the pool and the next open reuses it, so a web request or a worker round does not
pay for a new one (a server connection, or SQLite reading the schema again)."""

from __future__ import annotations

import threading

import pytest
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from engine import connection, store


def _backend_pid() -> int:
    return store.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


@pytest.mark.postgres
def test_a_closed_connection_is_reused(postgres_url, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_DB_POOL_SIZE", raising=False)
    database = store.init(postgres_url)
    assert isinstance(database, PooledPostgresqlDatabase)
    pids = []
    for _ in range(5):  # as five web requests one after the other
        store.db.connect(reuse_if_open=True)
        pids.append(_backend_pid())
        store.db.close()
    assert len(set(pids)) == 1


@pytest.mark.postgres
def test_threads_get_connections_of_their_own_up_to_the_pool_size(postgres_url, monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_DB_POOL_SIZE", "3")
    store.init(postgres_url)
    barrier, pids, errors = threading.Barrier(3), [], []

    def work():
        try:
            store.db.connect(reuse_if_open=True)
            barrier.wait(timeout=10)  # all three hold a connection at once
            pids.append(_backend_pid())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            store.db.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == [] and len(set(pids)) == 3
    assert store.db.obj._max_connections == 3


@pytest.mark.postgres
def test_pooling_can_be_switched_off_and_a_bad_size_is_refused(postgres_url, monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_DB_POOL_SIZE", "0")
    database = connection.database_for(postgres_url)
    assert not isinstance(database, PooledPostgresqlDatabase)
    monkeypatch.setenv("REVIEWFLOW_DB_POOL_SIZE", "many")
    with pytest.raises(ValueError, match="REVIEWFLOW_DB_POOL_SIZE must be a whole number"):
        connection.database_for(postgres_url)


def test_an_sqlite_file_is_pooled_with_its_pragmas_and_memory_is_not(tmp_path, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_DB_POOL_SIZE", raising=False)
    database = store.init(f"sqlite:///{tmp_path / 'pooled.sqlite3'}")
    assert isinstance(database, PooledSqliteDatabase)
    connections = []
    for _ in range(5):  # as five web requests one after the other
        store.db.connect(reuse_if_open=True)
        connections.append(id(store.db.connection()))
        assert store.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
        store.db.close()
    assert len(set(connections)) == 1
    # every connection to :memory: is a database of its own: never pooled
    assert not isinstance(connection.database_for("sqlite://"), PooledSqliteDatabase)
    monkeypatch.setenv("REVIEWFLOW_DB_POOL_SIZE", "0")
    assert not isinstance(connection.database_for(f"sqlite:///{tmp_path / 'x.sqlite3'}"),
                          PooledSqliteDatabase)
    store.init("sqlite://")


def _round_trips_on_checkout(conn) -> list[str]:
    """What the pool sends on ``conn`` when the next open takes it from the pool."""
    sent = []
    cursor = conn.cursor

    def counting(*args, **kwargs):
        made = cursor(*args, **kwargs)
        sent.append("cursor")
        return made

    conn.cursor = counting
    try:
        store.db.connect(reuse_if_open=True)
        assert store.db.connection() is conn
    finally:
        del conn.cursor
    return sent


@pytest.mark.postgres
def test_a_connection_handed_back_a_moment_ago_is_taken_without_a_round_trip(
        postgres_url, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_DB_POOL_SIZE", raising=False)
    store.init(postgres_url)
    store.db.connect(reuse_if_open=True)
    conn = store.db.connection()
    store.db.close()
    assert _round_trips_on_checkout(conn) == []  # the next request, at once: no SELECT 1
    store.db.close()
    monkeypatch.setattr(connection, "PING_AFTER_S", 0.0)
    assert _round_trips_on_checkout(conn) == ["cursor"]  # idle longer: the pool asks first
    store.db.close()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_while_idle_is_replaced(postgres_url, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_DB_POOL_SIZE", raising=False)
    monkeypatch.setattr(connection, "PING_AFTER_S", 0.0)  # idle long enough to be asked
    store.init(postgres_url)
    store.db.connect(reuse_if_open=True)
    dropped = _backend_pid()
    store.db.close()
    import psycopg2

    with psycopg2.connect(postgres_url) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
    store.db.connect(reuse_if_open=True)
    assert _backend_pid() != dropped  # a new server connection, and the request goes on
    store.db.close()
