"""Pages stay fast: the inbox and the instance page run a bounded number of queries,
whatever the number of tasks."""

from __future__ import annotations

from engine import commands, store
from engine.directory import import_csv
from tests.statements import statements_run
from tests.web import webscenario as scenario
from tests.web.conftest import ORG, sign_in

MORE_PEOPLE = "".join(f"r{i}@acme.test,Reviewer {i},carla@acme.test,Sales,AE,\n"
                      for i in range(8))


def counting(app):
    """The SQL statements the app's database runs inside the block."""
    return statements_run(app.extensions["reviewflow.database"])


def _queries(app, client, url) -> int:
    client.get(url)  # warm the per-version caches
    with counting(app) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def _fresh_360(app, subject: str = "sam@acme.test") -> int:
    """One more 360 about ``subject`` (each in a cycle of its own: starting one by hand
    while one runs returns the running one)."""
    from engine.store import Instance

    name = f"360 #{Instance.select().count() + 1}"
    commands.launch(scenario.library(app), "feedback-360", name, where=[("email", subject)])
    return Instance.select().order_by(Instance.id.desc()).get().id


def test_inbox_query_count_does_not_grow_with_tasks(app):
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    with app.app_context():
        _fresh_360(app)
    few = _queries(app, sam, "/")
    with app.app_context():
        for _ in range(6):
            iid = _fresh_360(app)
        commands.save_draft(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                            {"peers": ["pat@acme.test"]})
        commands.submit(scenario.open_task(iid - 1, "sam@acme.test").id, "sam@acme.test",
                        {"peers": scenario.PEERS})
    many = _queries(app, sam, "/")
    assert many == few
    assert few <= 25


def _collect_with(app, peers) -> int:
    iid = _fresh_360(app)
    commands.submit(scenario.open_task(iid, "sam@acme.test").id, "sam@acme.test",
                    {"peers": peers})
    commands.submit(scenario.open_task(iid, "bob@acme.test").id, "bob@acme.test", {},
                    trigger="approve")
    scenario.peers_answer(iid, [p for p in peers if p in scenario.PEER_TEXT])
    return iid


def test_instance_page_query_count_does_not_grow_with_tasks(app):
    with app.app_context():
        import_csv(ORG + MORE_PEOPLE)
        small = _collect_with(app, scenario.PEERS)
        large = _collect_with(app, scenario.PEERS + [f"r{i}@acme.test" for i in range(5)])
    for email in ("bob@acme.test", "hana@acme.test"):
        client = sign_in(app.test_client(), app, email)
        few = _queries(app, client, f"/instances/{small}")
        many = _queries(app, client, f"/instances/{large}")
        assert many == few, email
        assert few <= 30


def test_counting_sees_queries(app):
    """The counter itself works (a page that reads the database is not zero)."""
    client = sign_in(app.test_client(), app, "sam@acme.test")
    assert _queries(app, client, "/") > 0
    assert store.db.obj is app.extensions["reviewflow.database"]


def test_the_task_page_reads_the_readers_groups_once(app):
    """The signed-in reader's groups come with the sign-in; the page's rules (may they read
    this answer as HR?) ask the ones already read, not the database again."""
    with app.app_context():
        iid = _fresh_360(app)
        task = scenario.open_task(iid, "sam@acme.test")
    for email in ("sam@acme.test", "hana@acme.test"):  # the holder, and HR
        client = sign_in(app.test_client(), app, email)
        client.get(f"/tasks/{task.id}")
        with counting(app) as seen:
            assert client.get(f"/tasks/{task.id}").status_code == 200
        assert sum('"person_group"' in sql for sql, _ in seen) == 1, email


def test_a_draft_save_and_a_submit_read_the_task_not_what_the_instance_page_shows(app):
    """Acting on a task reads the task: the instance's history and its children (what the
    pages around it show) are read only when a page is shown again, as after an answer
    that does not validate; the saved draft only for a form with read-only fields."""
    with app.app_context():
        iid = _fresh_360(app)
        task = scenario.open_task(iid, "sam@acme.test").id
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    peers = {"__rows__:peers": str(len(scenario.PEERS)),
             **{f"peers[{i}]": email for i, email in enumerate(scenario.PEERS)}}
    sam.get(f"/tasks/{task}")  # warm the per-version caches
    with counting(app) as page:
        assert sam.get(f"/tasks/{task}").status_code == 200
    shown = {sql for sql, _ in page if '"parent_id" =' in sql or 'FROM "event" AS' in sql}
    assert len(shown) == 2, page  # the history and the children, as the page reads them
    with counting(app) as invalid:
        assert sam.post(f"/tasks/{task}", data={"__rows__:peers": "1",
                                                "peers[0]": "not an email"}).status_code == 422
    assert shown <= {sql for sql, _ in invalid}
    with counting(app) as draft:
        assert sam.post(f"/tasks/{task}", data={**peers, "_draft": "1"}).status_code == 303
    with counting(app) as submit:
        response = sam.post(f"/tasks/{task}", data=peers)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/instances/{iid}")
    assert not shown & {sql for sql, _ in draft}, draft
    assert not shown & {sql for sql, _ in submit}, submit
    # a form without read-only fields keeps nothing from the draft: it is not read
    assert not [sql for sql, _ in draft + submit if 'SELECT t."draft"' in sql]
    with app.app_context():
        from engine.store import Task

        assert Task.get_by_id(task).status == "submitted"
