"""HR's directory listing is paged by key: active people first, then those who left, each
by department, name and id; Next, Previous and Last walk it page by page without an
offset, through the index person(active, department, name, id), on both databases."""

from __future__ import annotations

import pytest

from engine import directory, queries, server_prepared, store
from engine.connection import is_postgres
from engine.store import Person

# 23 people in 3 departments; every fourth leaves (a sync without them)
PEOPLE = [(f"p{i:02d}@acme.test", f"Person {i % 5} {i:02d}", f"Dept {i % 3}")
          for i in range(23)]
LEAVERS = {email for i, (email, _, _) in enumerate(PEOPLE) if i % 4 == 0}
HEADER = "email,name,manager_email,department,title,groups\n"


def _csv(rows) -> str:
    return HEADER + "".join(f"{e},{n},,{d},Staff,\n" for e, n, d in rows)


@pytest.fixture
def listing(db):
    directory.import_csv(_csv(PEOPLE))
    directory.import_csv(_csv([p for p in PEOPLE if p[0] not in LEAVERS]), sync=True)
    rows = Person.select().where(Person.external == False)  # noqa: E712
    expected = sorted(rows, key=lambda p: (not p.active, p.department, p.name, p.id))
    return [p.email for p in expected]


def _emails(page) -> list[str]:
    return [p.email for p in page.people]


def test_next_and_previous_walk_everyone_once_across_those_who_left(listing):
    assert len(listing) == 23 and sum(e in LEAVERS for e in listing[-6:]) == 6
    pages, page = [], queries.people.people_page(per_page=4)
    while True:
        pages.append(page)
        if not page.has_next:
            break
        page = queries.people.people_page(after=page.last_id, per_page=4)
    assert [p.page for p in pages] == [1, 2, 3, 4, 5, 6] and pages[0].pages == 6
    assert [e for p in pages for e in _emails(p)] == listing
    assert not pages[0].has_previous and pages[-1].has_previous
    # back from the last page, page by page: the same pages
    back = [queries.people.people_page(last=True, per_page=4)]
    while back[-1].has_previous:
        back.append(queries.people.people_page(before=back[-1].first_id, per_page=4))
    assert [_emails(p) for p in reversed(back)] == [_emails(p) for p in pages]
    assert [p.page for p in back] == [6, 5, 4, 3, 2, 1]


def test_a_search_is_paged_by_key_too_and_a_stale_key_starts_over(listing):
    wanted = [e for e in listing if "Person 3" in dict((p[0], p[1]) for p in PEOPLE)[e]]
    first = queries.people.people_page("Person 3", per_page=2)
    second = queries.people.people_page("Person 3", after=first.last_id, per_page=2)
    assert first.matching == len(wanted) and _emails(first) + _emails(second) == wanted[:4]
    assert second.page == 2
    unknown = queries.people.people_page(after=10**9, per_page=4)  # nobody has that id
    assert unknown.page == 1 and _emails(unknown) == listing[:4]


def test_a_page_deep_in_the_listing_reads_the_index_not_the_table(listing):
    deep = queries.people.people_page(after=queries.people.people_page(per_page=10).last_id,
                                      per_page=10)
    mark = Person.get_by_id(deep.first_id)
    query = (Person.select().where((Person.external == False)  # noqa: E712
                                   & (Person.active == True)  # noqa: E712
                                   & (store.pw.Tuple(Person.department, Person.name, Person.id)
                                      > store.pw.Tuple(mark.department, mark.name, mark.id)))
             .order_by(Person.department, Person.name, Person.id).limit(10))
    sql, params = query.sql()
    if is_postgres():
        # a table this small is cheaper to sort: ask whether the index gives the order
        off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
        for setting in off:
            store.db.execute_sql(f"SET {setting} = off")
        try:
            plan = " ".join(r[0] for r in store.db.execute_sql("EXPLAIN " + sql, params))
        finally:
            for setting in off:
                store.db.execute_sql(f"SET {setting} = on")
        assert "person_active_department_name_id" in plan and "Sort" not in plan, plan
    else:
        plan = " ".join(r[3] for r in store.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "person_active_department_name_id" in plan and "TEMP B-TREE" not in plan, plan


def test_the_pickers_nearest_people_are_read_through_the_chain_not_everyone_active(db):
    """A task page's picker (the manager, the team, the reports, the manager's peers) is one
    statement that reads the rater's chain by key and the people near it through
    ``manager_id``: never every active person through the listing's index, as SQLite,
    without statistics, chose to for ``active = true``."""
    from tests.runtime.test_query_plans import plan_of
    from tests.statements import statements_run

    chain = ("boss@acme.test,Boss,,Sales,Head,\n"
             "mid@acme.test,Mid,boss@acme.test,Sales,Lead,\n"
             "me@acme.test,Me,mid@acme.test,Sales,Rep,\n"
             "mate@acme.test,Mate,mid@acme.test,Sales,Rep,\n"
             "kid@acme.test,Kid,me@acme.test,Sales,Trainee,\n"
             "peer@acme.test,Peer,boss@acme.test,Sales,Lead,\n")
    directory.import_csv(_csv(PEOPLE) + chain)
    with statements_run(store.db.obj) as seen:
        near = queries.people.picker_near("ME@acme.test")
    assert [email for email, _ in near] == ["kid@acme.test", "mate@acme.test",
                                            "mid@acme.test", "peer@acme.test"]
    [(sql, params)] = seen
    if is_postgres():
        # the plan that runs, the prepared statement's generic one, with sequential scans
        # off (30 rows are cheaper read whole; planned for these values, any index will do)
        store.db.execute_sql("SET enable_seqscan = off")
        try:
            plan = " ".join(server_prepared.generic_plan(sql, params))
        finally:
            store.db.execute_sql("SET enable_seqscan = on")
    else:
        plan = " ".join(plan_of(sql, params))
    assert "person_manager_id" in plan, plan
    assert "person_active_department_name_id" not in plan, plan
