"""The HTTP benchmark's floor: the same gunicorn, the same clients, a WSGI app of a few
lines that reads a person's open tasks with plain ``sqlite3`` or ``psycopg2`` (one query,
no ORM, no templates, no session) and answers a small HTML list. Whatever the engine's
inbox costs above this is what reviewflow adds.

    gunicorn -w 2 -b 127.0.0.1:PORT bench.http_floor:app    (BENCH_FLOOR_DB=URL)
"""

from __future__ import annotations

import html
import os
import sqlite3
import threading
from urllib.parse import parse_qs, urlparse

_local = threading.local()
QUERY = ("SELECT t.id, t.form_id, t.due_at FROM task t JOIN person p ON p.id = t.assignee_id"
         " WHERE p.email = {p} AND t.status = 'open' ORDER BY t.due_at, t.id LIMIT 50")


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        url = os.environ["BENCH_FLOOR_DB"]
        if url.startswith("sqlite:///"):
            conn = sqlite3.connect(url[len("sqlite:///"):], check_same_thread=False)
            conn.execute("PRAGMA query_only = 1")
            _local.sql = QUERY.format(p="?")
        else:
            import psycopg2

            parts = urlparse(url)
            conn = psycopg2.connect(host=parts.hostname, port=parts.port or 5432,
                                    user=parts.username, dbname=parts.path.lstrip("/"))
            conn.autocommit = True
            _local.sql = QUERY.format(p="%s")
        _local.conn = conn
    return conn


def app(environ, start_response):
    email = parse_qs(environ.get("QUERY_STRING", "")).get("email", [""])[0]
    conn = _connection()
    cur = conn.cursor()
    cur.execute(_local.sql, (email,))
    rows = cur.fetchall()
    body = "<!doctype html><title>Inbox</title><ul>" + "".join(
        f"<li>{html.escape(str(form))} #{task} due {html.escape(str(due))}</li>"
        for task, form, due in rows) + "</ul>"
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(data)))])
    return [data]
