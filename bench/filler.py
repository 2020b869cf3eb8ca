"""Fill the engine's database up to a million tasks, fast, for the inbox timing.

Rows are generated inside the database (a recursive CTE on SQLite, ``generate_series``
on PostgreSQL) in one transaction, so a million rows take seconds, not minutes. They
look like past cycles of the bench-360 workflow: eight tasks per instance (the subject,
the manager, six peers spread over the whole org), 90% submitted, 5% cancelled and 5%
still open in running instances, with due dates spread over a year.
"""

from __future__ import annotations

from engine import store
from engine.store import Instance, Person, Task, db

TASKS_PER_INSTANCE = 8

# Expressions by backend: a row number ``i`` -> a timestamp some days back.
_DAYS_AGO = {
    "sqlite": "datetime('now', printf('%+d days', -({expr})))",
    "postgres": "(now() at time zone 'utc') - ({expr}) * interval '1 day'",
}
_SERIES = {
    "sqlite": "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < {n})",
    "postgres": "WITH s(i) AS (SELECT generate_series(0::bigint, {n} - 1))",
}


def _backend() -> str:
    return "postgres" if store.is_postgres() else "sqlite"


def _execute(sql: str) -> None:
    # psycopg2 reads % as a placeholder even without parameters
    db.execute_sql(sql.replace("%", "%%") if store.is_postgres() else sql)


def fill(total_tasks: int, definition_id: int) -> int:
    """Add filler instances and tasks until the task table holds ``total_tasks`` rows.

    Returns the number of task rows added. People are picked by id arithmetic from the
    people already imported, so every assignee is a real directory row.
    """
    have = Task.select().count()
    missing = total_tasks - have
    if missing <= 0:
        return 0
    instances = -(-missing // TASKS_PER_INSTANCE)
    low = Person.select(Person.id).order_by(Person.id).limit(1).scalar()
    people = Person.select().count()
    with db.atomic():
        first = _fill_instances(instances, definition_id, low, people)
        _fill_tasks(missing, first, low, people)
    return missing


def _fill_instances(n: int, definition_id: int, low: int, people: int) -> int:
    """``n`` instances after the current highest id; returns the first new id."""
    backend = _backend()
    first = (Instance.select(Instance.id).order_by(Instance.id.desc()).limit(1).scalar() or 0) + 1
    started = _DAYS_AGO[backend].format(expr="30 + (s.i % 700)")
    running = "s.i % 20 = 0"  # one instance in 20 still collecting (its tasks are open)
    sql = (
        _SERIES[backend].format(n=n)
        + f" INSERT INTO {Instance._meta.table_name} (id, definition_id, workflow_id, subject_id,"
        " state, status, entry, started_at, entered_at)"
        f" SELECT {first} + s.i, {definition_id}, 'bench-360', {low} + (s.i % {people}),"
        f" CASE WHEN {running} THEN 'collect' ELSE 'closed' END,"
        f" CASE WHEN {running} THEN 'running' ELSE 'finished' END,"
        f" 2, {started}, {started} FROM s"
    )
    _execute(sql)
    if backend == "postgres":  # explicit ids do not move the sequence on
        table = Instance._meta.table_name
        _execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {first + n - 1})")
    return first


def _fill_tasks(n: int, first_instance: int, low: int, people: int) -> None:
    backend = _backend()
    instance = f"{first_instance} + s.i / {TASKS_PER_INSTANCE}"
    slot = f"s.i % {TASKS_PER_INSTANCE}"
    # slot 0 follows the instance's subject; the others are spread over the whole org
    assignee = (
        f"CASE WHEN {slot} = 0 THEN {low} + ((s.i / {TASKS_PER_INSTANCE}) % {people})"
        f" ELSE {low} + ((s.i * 7919) % {people}) END"
    )
    open_ = f"(s.i / {TASKS_PER_INSTANCE}) % 20 = 0"
    status = (
        f"CASE WHEN {open_} THEN 'open' WHEN s.i % 20 = 1 THEN 'cancelled' ELSE 'submitted' END"
    )
    created = _DAYS_AGO[backend].format(expr="30 + ((s.i / 8) % 700)")
    due = _DAYS_AGO[backend].format(expr="16 + ((s.i / 8) % 700) - 30")
    sql = (
        _SERIES[backend].format(n=n)
        + f" INSERT INTO {Task._meta.table_name} (instance_id, entry, state, task_key, form_id,"
        " role, assignee_id, status, created_at, due_at, submitted_at)"
        f" SELECT {instance}, 2, 'collect',"
        f" CASE WHEN {slot} = 0 THEN '0:manager-review' ELSE '1:peer-feedback' END,"
        f" CASE WHEN {slot} = 0 THEN 'manager-review' ELSE 'peer-feedback' END,"
        f" CASE WHEN {slot} = 0 THEN 'manager' ELSE 'peers' END,"
        f" {assignee}, {status}, {created}, {due},"
        f" CASE WHEN {open_} THEN NULL ELSE {created} END FROM s"
    )
    _execute(sql)
