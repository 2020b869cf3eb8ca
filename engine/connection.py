"""The engine's one database handle: a :class:`peewee.DatabaseProxy` and the URL it points at.

:func:`init`/:func:`connect` point the proxy at SQLite (``sqlite:///PATH``) or PostgreSQL
(``postgresql://...``); the web app opens and closes it per request the way ``FlaskDB``
does. The connections are pooled (``playhouse.pool``): closing one hands it back to the
pool, so a request does not pay for a new one (about 2 ms for a PostgreSQL server
connection; 1-3 ms for SQLite to read the schema again). ``REVIEWFLOW_DB_POOL_SIZE`` sets
the most connections one process keeps (default 20; 0 turns pooling off); a thread that
finds them all busy waits up to ``REVIEWFLOW_DB_POOL_TIMEOUT`` seconds (default 30).
Caches keyed by row ids register a reset hook here, so they forget ids that belong to
another database.
"""

from __future__ import annotations

import os
import time
from urllib.parse import unquote, urlparse

import peewee as pw
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

db = pw.DatabaseProxy()

BUSY_TIMEOUT_S = 10
DEFAULT_POOL_SIZE = 20
DEFAULT_POOL_TIMEOUT_S = 30
#: A pooled connection unused this long is closed rather than handed out again.
POOL_STALE_S = 300
#: A PostgreSQL connection handed back less than this long ago is taken again without
#: asking the server whether it is still there (below).
PING_AFTER_S = 1.0


def _sqlite(path: str) -> pw.SqliteDatabase:
    sync = os.environ.get("REVIEWFLOW_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    options = {
        "pragmas": {
            "journal_mode": "wal",
            "synchronous": sync,
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_S * 1000,
        },
        "check_same_thread": False,
    }
    size = pool_size()
    if path == ":memory:" or not size:  # each connection to :memory: is a database of its own
        return pw.SqliteDatabase(path, timeout=BUSY_TIMEOUT_S, **options)
    # A new SQLite connection reads the whole schema on its first statement (1-3 ms with
    # the engine's tables and indexes): the web app's per-request open takes one from a
    # pool instead. (Its ``timeout`` is the wait for a free connection; the busy timeout
    # is the pragma's.)
    return PooledSqliteDatabase(path, max_connections=size, stale_timeout=POOL_STALE_S,
                                timeout=_pool_timeout(), **options)


def pool_size() -> int:
    """``REVIEWFLOW_DB_POOL_SIZE`` (connections one process keeps; 0: none)."""
    text = os.environ.get("REVIEWFLOW_DB_POOL_SIZE", "").strip()
    try:
        return max(0, int(text)) if text else DEFAULT_POOL_SIZE
    except ValueError:
        raise ValueError(f"REVIEWFLOW_DB_POOL_SIZE must be a whole number, not {text!r}") \
            from None


def _postgres(url: str) -> pw.PostgresqlDatabase:
    parts = urlparse(url)
    options = {
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "host": parts.hostname or None,
        "port": parts.port or 5432,
        # knows the statements prepared on it (engine.server_prepared)
        "connection_factory": _preparing_connection(),
        # Run a prepared statement's generic plan from the first run. Left to choose,
        # PostgreSQL plans the task lists' six-table join again on every run (its guess at
        # the generic plan's cost is above a custom plan's, though both read the same
        # index): ~1 ms of planning for a 0.1 ms query, five times an inbox page. Every
        # statement the engine prepares is a keyed read whose generic plan the tests read
        # (tests/runtime/test_query_plans.py); statements sent as they are plan as ever.
        "options": "-c plan_cache_mode=force_generic_plan",
    }
    name, size = unquote(parts.path.lstrip("/")), pool_size()
    if not size:
        return pw.PostgresqlDatabase(name, **options)
    return _PostgresPool(name, max_connections=size, stale_timeout=POOL_STALE_S,
                         timeout=_pool_timeout(), **options)


class _PostgresPool(PooledPostgresqlDatabase):
    """peewee's pool, without its round trip for a connection that came back a moment ago.

    The pool asks the server (``SELECT 1``) before it hands out an idle connection, so a
    connection the server dropped is replaced rather than failing the request: about 0.2 ms,
    a twentieth of an inbox page. Under load a connection goes out again milliseconds after
    it came back, and the server does not drop one in between unless it stops, when the
    requests of that moment fail whatever the pool does. So only a connection idle for
    :data:`PING_AFTER_S` or more is asked.
    """

    def _is_closed(self, conn):
        returned = getattr(conn, "reviewflow_returned_at", None)
        if (returned is not None and not conn.closed
                and time.monotonic() - returned < PING_AFTER_S
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn=False):
        conn.reviewflow_returned_at = time.monotonic()
        super()._close(conn, close_conn)


def _preparing_connection():
    from engine.server_prepared import PreparingConnection  # imports this module

    return PreparingConnection


def _pool_timeout() -> float:
    return float(os.environ.get("REVIEWFLOW_DB_POOL_TIMEOUT") or DEFAULT_POOL_TIMEOUT_S)


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
    if isinstance(db.obj, PooledDatabase):
        db.obj.close_idle()  # the pool we leave keeps no idle server connections open
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


#: Called when tables are dropped or emptied, so caches keyed by row ids forget them.
reset_hooks: list = []


def run_reset_hooks() -> None:
    """Tell caches keyed by row ids that the rows are gone."""
    for hook in reset_hooks:
        hook()
