"""On PostgreSQL the hot statements are prepared once per connection and then only run:
the same rows as the statement sent as it is, nothing lost when PostgreSQL cannot prepare
one, and a row id beyond 32 bits still finds no row rather than failing."""

from __future__ import annotations

import pytest

from engine import commands, directory, queries, server_prepared, store
from tests.conftest import _empty_postgres

from .conftest import ORG_CSV, T0, task_of

pytestmark = pytest.mark.postgres


@pytest.fixture
def org(postgres_url):
    """PostgreSQL alone (SQLite has no server-side statements), with the small org."""
    store.connect(postgres_url)
    _empty_postgres()
    store.run_reset_hooks()
    directory.import_csv(ORG_CSV, now=T0)
    yield postgres_url
    store.close()


def _prepared_here() -> dict[str, str]:
    """name -> statement text of what this connection has prepared."""
    rows = store.db.execute_sql("SELECT name, statement FROM pg_prepared_statements")
    return dict(rows.fetchall())


def test_a_task_list_is_prepared_once_and_gives_the_same_rows(org, library):
    commands.launch(library, "review", "2026", now=T0)
    sql, params = 'SELECT t."id", t."form_id" FROM "task" t WHERE t."status" = %s ' \
        'ORDER BY t."id"', ["open"]
    plain = store.db.execute_sql(sql, params).fetchall()
    assert plain  # the launch made open tasks
    first = server_prepared.execute(sql, params).fetchall()
    name = server_prepared.name_of(sql, params)
    assert name in _prepared_here()
    count = len(_prepared_here())
    assert server_prepared.execute(sql, params).fetchall() == first == plain
    assert len(_prepared_here()) == count  # run again, not prepared again
    # the inbox's own statements go the same way
    queries.inbox("mia@x.com", now=T0)
    assert len(_prepared_here()) > count


def test_a_row_id_beyond_32_bits_finds_no_row(org, library):
    commands.launch(library, "review", "2026", now=T0)
    assert queries.task_draft(2**40, "mia@x.com") is None
    assert queries.task_draft(2**63 - 1, "mia@x.com") is None
    task = task_of("mia@x.com", "self-review")
    assert queries.task_draft(task.id, "mia@x.com") is None  # found, no draft yet


def test_a_statement_that_cannot_be_prepared_runs_as_it_is_inside_a_transaction(org):
    sql = "SELECT %s IS NULL"  # nothing says what type the parameter is
    with store.db.atomic():
        store.db.execute_sql("""UPDATE "person" SET "title" = 'Lead' WHERE "email" = %s""",
                             ["mia@x.com"])
        assert server_prepared.execute(sql, [None]).fetchone() == (True,)
        assert server_prepared.name_of(sql, [None]) is None
    # the transaction went on and committed what it did before
    title = store.db.execute_sql("""SELECT "title" FROM "person" WHERE "email" = %s""",
                                 ["mia@x.com"]).fetchone()[0]
    assert title == "Lead"


def test_whole_row_statements_are_not_prepared(org):
    sql = 'SELECT * FROM "person" WHERE "email" = %s'
    assert server_prepared.execute(sql, ["mia@x.com"]).fetchone() is not None
    assert server_prepared.name_of(sql, ["mia@x.com"]) is None
    star = 'SELECT p.* FROM "person" p WHERE p."email" = %s'
    server_prepared.execute(star, ["mia@x.com"])
    assert server_prepared.name_of(star, ["mia@x.com"]) is None


def test_a_prepared_statement_outlives_a_rolled_back_transaction(org):
    sql = 'SELECT "name" FROM "person" WHERE "email" = %s'

    class Undo(Exception):
        pass

    with pytest.raises(Undo), store.db.atomic():
        assert server_prepared.execute(sql, ["mia@x.com"]).fetchone() is not None
        raise Undo
    assert server_prepared.name_of(sql, ["mia@x.com"]) in _prepared_here()
    assert server_prepared.execute(sql, ["mia@x.com"]).fetchone() is not None


def test_percent_signs_and_errors_come_through(org):
    sql = 'SELECT "email" FROM "person" WHERE "email" LIKE %s AND \'%%\' = \'%%\' ' \
        'ORDER BY "email"'
    plain = store.db.execute_sql(sql, ["%@x.com"]).fetchall()
    assert plain and server_prepared.execute(sql, ["%@x.com"]).fetchall() == plain
    assert server_prepared.name_of(sql, ["%@x.com"]) is not None
    import peewee

    insert = 'INSERT INTO "person" ("email", "name", "active") VALUES (%s, %s, %s)'
    with pytest.raises(peewee.IntegrityError):  # peewee's error, as callers catch it
        with store.db.atomic():
            server_prepared.execute(insert, ["mia@x.com", "Mia again", True])


def test_a_prepared_statement_runs_its_generic_plan_from_the_first_run(org, library):
    # PostgreSQL would plan the task lists' six-table join again on every run (its
    # estimate of the generic plan is above a custom plan's, though both read the same
    # index): ~1 ms of planning for a 0.1 ms query. Our connections run the plan made once.
    commands.launch(library, "review", "2026", now=T0)
    mia = store.Person.get(store.Person.email == "mia@x.com").id
    queries.inbox("mia@x.com", now=T0)
    mine = next(sql for sql in _prepared_here().values()
                if 't."assignee_id" = $1 AND t."status" = $2' in sql)
    name = next(n for n, sql in _prepared_here().items() if sql == mine)
    plan = "\n".join(r[0] for r in store.db.execute_sql(  # my tasks and those escalated to me
        f"EXPLAIN EXECUTE {name} (%s, %s, %s, %s, %s)", [mia, "open", mia, "open", mia]
    ).fetchall())
    assert "$1" in plan and f"'{mia}'" not in plan, plan


def test_the_dashboards_tasks_of_a_page_of_instances_are_planned_with_their_ids(org, library):
    # a plan made without the ids guessed hundreds of rows and joined the whole person
    # table twice (1.4 ms more at 10,000 people, growing with the directory)
    result = commands.launch(library, "review", "2026", now=T0)
    listed = _open_tasks_of_listed_instances(
        lambda: queries.cycle_instances(result.cycle_id, now=T0))
    assert listed and all(server_prepared.name_of(sql, params) is None
                          for sql, params in listed)


def test_the_open_tasks_of_my_own_few_processes_are_prepared(org, library):
    """The inbox's "about me" lists a handful of processes: their open tasks are read by a
    prepared statement (planning the six-table join each time cost more than running it)."""
    commands.launch(library, "review", "2026", now=T0)
    listed = _open_tasks_of_listed_instances(lambda: queries.about("ann@x.com", now=T0))
    assert listed and all(server_prepared.name_of(sql, params) for sql, params in listed)


def _open_tasks_of_listed_instances(read) -> list[tuple[str, tuple]]:
    """The statements (with their values) by which ``read()``, a list of instances, read
    their open tasks."""
    from tests.runtime.conftest import captured

    with captured() as seen:
        assert read()
    return [(sql, params) for sql, params in seen
            if 'FROM "task" t' in sql and 't."instance_id" IN (' in sql]


def test_the_rows_a_command_reads_are_prepared_statements(org, library):
    """A submit reads its instance (locked through its task), the step's tasks and the
    people it needs by key: each statement names its columns, so each is prepared (one
    selecting ``*`` is run as it is, planned again on every command)."""
    from .conftest import captured

    commands.launch(library, "review", "2026", now=T0)
    task = task_of("ann@x.com", "self-review")
    with captured() as seen:
        commands.submit(task.id, "ann@x.com", {"rating": 4, "summary": "A good year"},
                        now=T0)
    reads = [(sql, params) for sql, params in seen if sql.lstrip().startswith("SELECT")]
    assert any('FOR UPDATE' in sql for sql, _ in reads), reads
    assert [sql for sql, params in reads if not server_prepared.name_of(sql, params)] == []


def test_a_long_in_list_is_run_as_it_is_so_one_off_lengths_fill_no_connection(org):
    """The peers a nomination names are a few: prepared. A batch of people of any length
    is sent as it is, or a worker's connection would fill its prepared statements
    (at most MAX_PER_CONNECTION) with lengths seen once, and prepare nothing hot after."""
    from engine import statements
    from tests.statements import statements_run

    people = list(store.Person.select().order_by(store.Person.id))
    few = [p.id for p in people[:3]]
    many = [p.id for p in people] + list(range(10**6, 10**6 + statements._PREPARED_ROWS))
    with statements_run(store.db.obj) as seen:
        assert [p.id for p in statements.select_in(store.Person, "id", few)] == few
        assert len(statements.select_in(store.Person, "id", many)) == len(people)
    (few_sql, few_params), (many_sql, many_params) = seen
    assert server_prepared.name_of(few_sql, few_params)
    assert server_prepared.name_of(many_sql, many_params) is None
