"""Shared fixtures. Storage fixtures (sqlite|postgresql) live here too.

``db`` runs a test on a fresh SQLite file and on a PostgreSQL database of our own
(``reviewflow_test_<worker>_<pid>``, created once per session and worker, emptied before
each test, dropped at the end). Without a reachable server the PostgreSQL runs are
skipped with a message saying how to get them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("REVIEWFLOW_TEST_POSTGRES",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
_PG_NAME = re.compile(r"^reviewflow_test_(\w+?)_(\d+)$")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


def _admin_connection():
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_stale(cur) -> None:
    """Drop test databases left by sessions that were killed (their pid is gone)."""
    cur.execute("SELECT datname FROM pg_database WHERE datname LIKE 'reviewflow_test_%'")
    for (name,) in cur.fetchall():
        match = _PG_NAME.match(name)
        if match and not _pid_alive(int(match.group(2))):
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database of this session/worker with the runtime's tables."""
    try:
        conn = _admin_connection()
    except Exception as exc:  # no server: skip, and say how to run these tests
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__}); "
                    "start it (pg_ctlcluster 15 main start) or set REVIEWFLOW_TEST_POSTGRES")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"reviewflow_test_{worker}_{os.getpid()}"
    with conn.cursor() as cur:
        _drop_stale(cur)
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = urlparse(PG_ADMIN_URL)
    url = urlunparse(parts._replace(path="/" + name))
    from engine import store

    store.connect(url)
    store.create_tables()
    store.close()
    yield url
    store.close()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _empty_postgres() -> None:
    """DELETE every row and restart the ids: ~2 ms, where TRUNCATE takes ~100-500 ms."""
    from engine import store

    tables = [m._meta.table_name for m in reversed(store.MODELS)]
    # the web's own tables too (sign-in accounts, settings), where a test's app made them
    web = [t for t in store.db.get_tables() if t.startswith("web_")]
    deletes = "; ".join(f'DELETE FROM "{t}"' for t in [*web, *tables])
    restarts = ", ".join(f"setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)"
                         for t in tables)
    store.db.execute_sql(f"{deletes}; SELECT {restarts}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """A fresh, connected database with every table; yields its URL."""
    from engine import store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reviewflow.sqlite3'}"
        store.connect(url)
        store.create_tables()
    else:
        url = request.getfixturevalue("postgres_url")
        store.connect(url)
        _empty_postgres()
    store.run_reset_hooks()
    yield url
    store.close()


# The browser tests (tests/web/test_web_browser.py) leave screenshots of the main pages;
# the summary says where. Here, not in tests/web/conftest.py, so that the xdist controller
# (which never imports sub-folder conftests) prints it too.
_STARTED = __import__("time").time()


def pytest_terminal_summary(terminalreporter):
    shots = ROOT / "test-artifacts" / "screenshots"
    fresh = [p for p in shots.glob("*.png") if p.stat().st_mtime >= _STARTED]
    if fresh:
        terminalreporter.write_line(f"browser screenshots: {shots} ({len(fresh)} pages)")
