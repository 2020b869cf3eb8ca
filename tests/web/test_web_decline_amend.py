"""On the pages: a manager's "approve with changes" starts from the employee's list, and
a peer declines a declinable request with a reason."""

from __future__ import annotations

from pathlib import Path

from engine import commands
from engine.directory import import_csv
from engine.store import Event, EventKind, Task, TaskStatus
from tests.web.conftest import ORG, make_app, sign_in
from tests.web.webscenario import library, open_task

CIRCLE = Path(__file__).resolve().parents[1] / "acceptance" / "circle"


def _app(tmp_path):
    app = make_app(tmp_path / "circle.sqlite3",
                   LIBRARY_PATHS=[str(CIRCLE / "workflows"), str(CIRCLE / "forms")])
    with app.app_context():
        import_csv(ORG)
        iid = commands.start(library(app), "circle-360", "sam@acme.test",
                             "hana@acme.test").instance_id
        nomination = open_task(iid, "sam@acme.test")
        commands.submit(nomination.id, "sam@acme.test", {"clients": ["c1@client.example"]})
    return app, iid


def test_approving_with_changes_starts_from_the_nominated_list(tmp_path):
    app, iid = _app(tmp_path)
    page = sign_in(app.test_client(), app, "bob@acme.test").get(
        f"/instances/{iid}").get_data(as_text=True)
    assert 'value="c1@client.example"' in page  # the list to amend, not an empty form


def test_a_peer_declines_on_the_task_page_with_a_reason(tmp_path):
    app, iid = _app(tmp_path)
    with app.app_context():
        commands.fire(iid, "approve", "bob@acme.test")
        task = open_task(iid, "pat@acme.test").id
    pat = sign_in(app.test_client(), app, "pat@acme.test")
    page = pat.get(f"/tasks/{task}").get_data(as_text=True)
    assert 'data-testid="decline"' in page
    empty = pat.post(f"/tasks/{task}/decline", data={"reason": " "})
    assert empty.status_code == 303
    with app.app_context():
        assert Task.get_by_id(task).status == TaskStatus.OPEN
    done = pat.post(f"/tasks/{task}/decline", data={"reason": "Not enough contact"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/")
    with app.app_context():
        assert Task.get_by_id(task).status == TaskStatus.CANCELLED
        event = Event.get((Event.instance == iid) & (Event.kind == EventKind.DECLINED))
        assert (event.actor, event.detail["reason"]) == ("pat@acme.test", "Not enough contact")
    # someone else's task offers no decline, and the engine refuses it anyway
    quinn_task = None
    with app.app_context():
        quinn_task = open_task(iid, "quinn@acme.test").id
    assert pat.post(f"/tasks/{quinn_task}/decline",
                    data={"reason": "x"}).status_code in (403, 404)


def test_the_history_tells_the_amendment_and_the_decline_in_words(tmp_path):
    app, iid = _app(tmp_path)
    with app.app_context():
        commands.fire(iid, "approve_with_changes", "bob@acme.test",
                      data={"clients": ["c2@client.example"]})
        task = open_task(iid, "pat@acme.test").id
        commands.decline(task, "pat@acme.test", "Not enough contact")
    bob = sign_in(app.test_client(), app, "bob@acme.test").get(
        f"/instances/{iid}").get_data(as_text=True)
    assert "changed the list when deciding: 1 added, 1 removed." in bob
    assert "added c2@client.example; removed c1@client.example" in bob
    assert "declined “Peer feedback”." in bob and "Not enough contact" in bob
    sam = sign_in(app.test_client(), app, "sam@acme.test").get(
        f"/instances/{iid}").get_data(as_text=True)
    assert "1 added, 1 removed" in sam and "c2@client.example; removed" not in sam
