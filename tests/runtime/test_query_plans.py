"""The hot reads never scan a whole task, submission or event table: each query of the
inbox, "recently done", the cycles' open-task counts and a cycle's dashboard (its progress,
its instances, its longest-overdue tasks) is answered through an index, on SQLite and on
PostgreSQL (read with EXPLAIN)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from engine import commands, queries, server_prepared, store
from engine.connection import is_postgres

from .conftest import T0, task_of

GOOD = {"rating": 4, "summary": "A good year"}
BIG_TABLES = ("task", "submission", "event")


@contextmanager
def captured():
    """Every SQL statement (with its parameters) the engine runs inside the block; a
    prepared statement's ``EXECUTE`` as the SQL it runs."""
    database = store.db.obj
    original = database.execute_sql
    seen: list[tuple[str, tuple]] = []

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append((server_prepared.as_written(sql), tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        yield seen
    finally:
        del database.execute_sql


def _aliases(sql: str) -> dict[str, str]:
    """alias -> table for the big tables a statement reads (``"task" t``, ``"task" AS "t1"``)."""
    found = {}
    for table, alias in re.findall(r'"(task|submission|event)"\s+(?:AS\s+)?"?(\w+)"?', sql):
        if alias.upper() not in ("ON", "WHERE", "JOIN", "LEFT", "INNER", "GROUP", "ORDER"):
            found[alias] = table
    for table in BIG_TABLES:
        found.setdefault(table, table)
    return found


def full_scans(sql: str, params: tuple) -> list[str]:
    """The plan lines of ``sql`` that read a whole task, submission or event table (on
    PostgreSQL, in its plan for these values and in the generic plan a prepared statement
    settles on)."""
    if is_postgres():
        store.db.execute_sql("SET enable_seqscan = off")  # small tables: the index, if any
        try:
            plan = [r[0] for r in store.db.execute_sql("EXPLAIN " + sql, params).fetchall()]
            if server_prepared.name_of(sql, params):
                plan += server_prepared.generic_plan(sql, params)
        finally:
            store.db.execute_sql("SET enable_seqscan = on")
        return [line for line in plan
                if re.search(r"Seq Scan on (task|submission|event)\b", line)]
    aliases = _aliases(sql)
    plan = [r[3] for r in store.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
    bad = []
    for line in plan:
        match = re.match(r"SCAN (\w+)", line)  # SEARCH uses an index; SCAN reads it all
        if match and match.group(1) in aliases:
            bad.append(line)
    return bad


def _reads_of_big_tables(seen) -> list[tuple[str, tuple]]:
    return [(sql, params) for sql, params in seen
            if sql.lstrip().upper().startswith("SELECT")
            and any(f'"{t}"' in sql for t in BIG_TABLES)]


@pytest.fixture
def busy(org, library):
    """A launched review with some of it done: every hot read has rows to find."""
    result = commands.launch(library, "review", "2026", now=T0)
    commands.submit(task_of("ann@x.com", "self-review").id, "ann@x.com", GOOD, now=T0)
    commands.save_draft(task_of("bob@x.com", "self-review").id, "bob@x.com", {"rating": 3},
                        now=T0)
    return result.cycle_id


@pytest.mark.parametrize("read", ["inbox", "recently_done", "cycles", "cycle_instances",
                                  "cycle_progress", "overdue_in_cycle"])
def test_hot_reads_use_indexes(busy, read):
    calls = {
        "inbox": lambda: queries.inbox("mia@x.com", now=T0),
        "recently_done": lambda: queries.recently_done("ann@x.com", now=T0),
        "cycles": lambda: queries.cycles(now=T0),
        "cycle_instances": lambda: queries.cycle_instances(busy, now=T0),
        "cycle_progress": lambda: queries.cycle_progress(busy, now=T0),
        "overdue_in_cycle": lambda: queries.overdue_in_cycle(busy, now=T0),
    }
    with captured() as seen:
        calls[read]()
    reads = _reads_of_big_tables(seen)
    assert reads, f"{read} read none of {BIG_TABLES}?"
    scans = {sql: lines for sql, params in reads if (lines := full_scans(sql, params))}
    assert scans == {}


def test_the_check_sees_a_full_scan(busy):
    """The plan reader itself: a query no index can serve is reported."""
    sql = 'SELECT COUNT(*) FROM "task" t WHERE t."form_id" <> \'x\''
    assert full_scans(sql, ()) != []
