"""The hot reads never scan a whole task, submission, event or instance table: each query
of the inbox (its decisions too), "recently done", the cycles' open-task counts and a
cycle's dashboard (its progress, its instances, its longest-overdue tasks) is answered
through an index, on SQLite and on PostgreSQL (read with EXPLAIN). Walking a whole index
for its order counts as a scan: it reads every row as surely as a table scan does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import commands, queries, server_prepared, store, timers
from engine.connection import is_postgres

from .conftest import T0, captured, task_of

GOOD = {"rating": 4, "summary": "A good year"}
BIG_TABLES = ("task", "submission", "event", "instance")
_BIG = "|".join(BIG_TABLES)


def _aliases(sql: str) -> dict[str, str]:
    """alias -> table for the big tables a statement reads (``"task" t``, ``"task" AS "t1"``)."""
    found = {}
    for table, alias in re.findall(rf'"({_BIG})"\s+(?:AS\s+)?"?(\w+)"?', sql):
        if alias.upper() not in ("ON", "WHERE", "JOIN", "LEFT", "INNER", "GROUP", "ORDER"):
            found[alias] = table
    for table in BIG_TABLES:
        found.setdefault(table, table)
    return found


def full_scans(sql: str, params: tuple) -> list[str]:
    """The plan lines of ``sql`` that read a whole task, submission or event table (on
    PostgreSQL, in its plan for these values and in the generic plan a prepared statement
    settles on)."""
    plan = plan_of(sql, params)
    if is_postgres():
        return _postgres_scans(plan)
    aliases = _aliases(sql)
    bad = []
    for line in plan:
        match = re.match(r"SCAN (\w+)", line)  # SEARCH uses an index; SCAN reads it all
        if match and match.group(1) in aliases:
            bad.append(line)
    return bad


def plan_of(sql: str, params: tuple) -> list[str]:
    """The lines of the plan of ``sql`` (on PostgreSQL, its plan for these values, then the
    generic plan a prepared statement settles on)."""
    if not is_postgres():
        return [r[3] for r in
                store.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
    store.db.execute_sql("SET enable_seqscan = off")  # small tables: the index, if any
    try:
        plan = [r[0] for r in store.db.execute_sql("EXPLAIN " + sql, params).fetchall()]
        if server_prepared.name_of(sql, params):
            plan += server_prepared.generic_plan(sql, params)
    finally:
        store.db.execute_sql("SET enable_seqscan = on")
    return plan


def _postgres_scans(plan: list[str]) -> list[str]:
    """The plan nodes that read a whole big table: a sequential scan, or an index scan with
    no ``Index Cond`` (a walk of the whole index for its order, filtering every row)."""
    bad = []
    for number, line in enumerate(plan):
        if re.search(rf"Seq Scan on ({_BIG})\b", line):
            bad.append(line)
        elif re.search(rf"Index (?:Only )?Scan (?:Backward )?using \w+ on ({_BIG})\b", line):
            details = []
            for after in plan[number + 1:]:
                if "->" in after or not after.startswith(" "):
                    break  # the next node, or the next plan
                details.append(after)
            if not any("Index Cond" in d for d in details):
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


def test_decisions_use_an_index_among_many_finished_instances(busy):
    """Years of finished instances and a few waiting on HR: the decisions are found through
    the index on (definition, state, status), not by walking every instance in id order
    (the plan PostgreSQL chose for them as a prepared statement, without the values)."""
    store.db.execute_sql(
        'INSERT INTO "instance" ("workflow_id", "definition_id", "subject_id", "state", '
        '"status", "started_at", "entered_at", "entry") '
        'SELECT "workflow_id", "definition_id", "subject_id", \'done\', \'finished\', '
        '"started_at", "entered_at", 0 FROM "instance", (' + _numbers(600) + ') AS n')
    if is_postgres():
        store.db.execute_sql('ANALYZE "instance"')
    with captured() as seen:
        assert queries.inbox("hal@x.com", now=T0).decisions == []
    decisions = [(sql, params) for sql, params in seen if 'FROM "instance" i' in sql]
    assert decisions
    assert {sql: lines for sql, params in decisions if (lines := full_scans(sql, params))} == {}


def _numbers(n: int) -> str:
    """SQL for a table of ``n`` rows (a column ``k``), on SQLite and PostgreSQL."""
    return (f"WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < {n}) "
            "SELECT k FROM k")


def test_the_check_sees_a_full_scan(busy):
    """The plan reader itself: a query no index can serve is reported."""
    sql = 'SELECT COUNT(*) FROM "task" t WHERE t."form_id" <> \'x\''
    assert full_scans(sql, ()) != []
    walk = 'SELECT i."id" FROM "instance" i WHERE i."state" <> \'x\' ORDER BY i."id" LIMIT 5'
    assert full_scans(walk, ()) != []  # every instance in id order, each one filtered


def test_the_tick_finds_due_timers_through_their_own_indexes(busy):
    """Each look-up of the worker's tick (instance timers, task repeats, reminders and
    escalations) reads the timer's own index over the rows where it is set: paging the
    due rows by id instead walked the whole task table once per kind on every tick."""
    with captured() as seen:
        timers.tick(now=T0 + timedelta(days=60))
    for model, column in store.TIMERS:
        table = model._meta.table_name
        found = [(sql, params) for sql, params in seen if sql.lstrip().startswith("SELECT")
                 and f'FROM "{table}"' in sql and f'"{column}" <=' in sql]
        assert found, f"the tick did not look for due {table}.{column}"
        for sql, params in found:
            plan = plan_of(sql, params)
            assert any(f"{table}_{column}_id" in line for line in plan), (sql, plan)
            assert full_scans(sql, params) == []


def test_the_timer_indexes_hold_only_the_rows_whose_timer_is_set(busy):
    """A done task keeps no entry in the timer indexes, so clearing a timer that is
    already clear (every submit does) writes none."""
    for model, column in store.TIMERS:
        table = model._meta.table_name
        name = f"{table}_{column}_id"
        if is_postgres():
            (predicate,) = store.db.execute_sql(
                "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                (name,)).fetchone()
            assert predicate == f"({column} IS NOT NULL)"
        else:
            partial = {row[1]: row[4] for row in
                       store.db.execute_sql(f'PRAGMA index_list("{table}")').fetchall()}
            assert partial[name] == 1
        assert not any(i.name == f"{table}_{column}" for i in store.db.get_indexes(table))


def _sorts(sql: str, params: tuple) -> list[str]:
    """Plan lines that sort the rows the query found (instead of reading them in order)."""
    return [line for line in plan_of(sql, params)
            if "TEMP B-TREE FOR ORDER BY" in line or re.search(r"\bSort\b", line)]


@pytest.mark.parametrize("where", [[("department", "Sales"), ("department", "Eng")],
                                   [("title", "Rep")], []])
def test_a_launch_reads_its_population_in_id_order_batch_by_batch(org, library, where):
    """Each batch of a launch is the next people by id: read through the primary key and
    stopped at the batch's size. Found through the department index and then sorted, every
    batch read everyone who matches: a launch of 100,000 people read 100,000 rows 200
    times."""
    with captured() as seen:
        commands.launch(library, "review", "2026", where=where, now=T0)
    pages = [(sql, params) for sql, params in seen
             if 'FROM "person"' in sql and "LIMIT" in sql and 'ORDER BY "t1"."id"' in sql]
    assert pages
    if is_postgres():  # its planner goes by statistics: give it an organisation's worth
        store.db.execute_sql(
            'INSERT INTO "person" ("email", "name", "department", "title", "attributes", '
            '"active", "external", "language") SELECT \'p\' || k || \'@x.com\', \'P\' || k, '
            "(ARRAY['Sales', 'Eng', 'Ops'])[1 + mod(k, 3)], 'Rep', '{}', TRUE, FALSE, '' "
            "FROM generate_series(1, 20000) AS k")
        store.db.execute_sql('ANALYZE "person"')
    assert {sql: lines for sql, params in pages if (lines := _sorts(sql, params))} == {}
